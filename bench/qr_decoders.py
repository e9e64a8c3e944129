"""QR decoding: media.decode_qr (its cascade) against zxing-cpp alone on the same generated images.

The cases (``tests.media.imagery.DECODER_CASES``) run from clean codes to field photos: 30° of
perspective, glare, low light, a curled card, a photo of a phone's screen, two-pixel modules,
several codes on a page, a washed-out print. An image is read when a decoder returns exactly
the texts on it. Prints JSON: per case, the images each decoder read, those only one of them
read, the median time per image of each (bytes in, text out, image decoding included for both),
and the time ratio ours / zxing-cpp.

    .venv/bin/python -m bench.qr_decoders [--per-case 12]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time

import zxingcpp
from PIL import Image
from pyzbar import pyzbar

from media import decode_qr
from tests.media.imagery import (
    DECODER_CASES,
    case_image,
    case_payloads,
    encode,
    qr_image,
    vietnamese_strings,
)

FORMATS = zxingcpp.barcode_formats_from_str("QRCode,Code128,EAN13")
"""The symbologies ``media.decode_qr`` reads: zxing-cpp looks for no others, as a user would set
it up (searching every symbology it knows takes it about twice as long)."""


def _zxing(data: bytes) -> list[str]:
    image = Image.open(io.BytesIO(data))
    image.draft("L", image.size)
    return sorted(r.text for r in zxingcpp.read_barcodes(image.convert("L"), formats=FORMATS))


def _ours(data: bytes) -> list[str]:
    return sorted(r.text for r in decode_qr(data))


def _timed(decode: object, data: bytes) -> tuple[float, list[str]]:
    start = time.perf_counter()
    texts = decode(data)  # type: ignore[operator]
    return time.perf_counter() - start, texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-case", type=int, default=12)
    args = parser.parse_args()
    payloads = [
        f"{n:03d}095001234||{name}|12041995|Nam|Thôn Bắc Vàn, Cô Tô|01072021"
        for n, name in zip(range(1, 1000), vietnamese_strings(args.per_case, seed=3), strict=False)
    ]
    report: dict[str, object] = {"per_case": args.per_case, "cases": {}}
    all_ours: list[float] = []
    all_zx: list[float] = []
    totals = {"ours": 0, "zxing": 0, "zxing_read_ours_missed": 0, "ours_read_zxing_missed": 0}
    for case in DECODER_CASES:
        ours_ok = zx_ok = only_ours = only_zx = 0
        ours_t: list[float] = []
        zx_t: list[float] = []
        for payload in payloads:
            data = case_image(case, payload)
            expected = case_payloads(case, payload)
            t_ours, ours = _timed(_ours, data)
            t_zx, zx = _timed(_zxing, data)
            ours_ok += ours == expected
            zx_ok += zx == expected
            only_zx += zx == expected and ours != expected
            only_ours += ours == expected and zx != expected
            ours_t.append(t_ours)
            zx_t.append(t_zx)
        all_ours += ours_t
        all_zx += zx_t
        totals["ours"] += ours_ok
        totals["zxing"] += zx_ok
        totals["zxing_read_ours_missed"] += only_zx
        totals["ours_read_zxing_missed"] += only_ours
        report["cases"][case] = {  # type: ignore[index]
            "images": len(payloads),
            "ours_read": ours_ok,
            "zxing_read": zx_ok,
            "zxing_read_ours_missed": only_zx,
            "ours_median_ms": round(statistics.median(ours_t) * 1000, 2),
            "zxing_median_ms": round(statistics.median(zx_t) * 1000, 2),
            "time_ratio": round(statistics.median(ours_t) / statistics.median(zx_t), 2),
        }
    images = len(payloads) * len(DECODER_CASES)
    report["overall"] = {
        "images": images,
        "ours_read": totals["ours"],
        "zxing_read": totals["zxing"],
        "zxing_read_ours_missed": totals["zxing_read_ours_missed"],
        "ours_read_zxing_missed": totals["ours_read_zxing_missed"],
        "ours_median_ms": round(statistics.median(all_ours) * 1000, 2),
        "zxing_median_ms": round(statistics.median(all_zx) * 1000, 2),
        "time_ratio": round(statistics.median(all_ours) / statistics.median(all_zx), 2),
    }
    names = vietnamese_strings(200, seed=9)
    images = [encode(qr_image(name, scale=4), "PNG") for name in names]
    default = sum(
        [d.data.decode("utf-8", "replace") for d in pyzbar.decode(Image.open(io.BytesIO(i)))]
        == [name]
        for name, i in zip(names, images, strict=True)
    )
    binary = sum(_ours(i) == [name] for name, i in zip(names, images, strict=True))
    report["vietnamese_names"] = {
        "images": len(names),
        "pyzbar_default_text_correct": default,
        "ours_binary_mode_correct": binary,
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
