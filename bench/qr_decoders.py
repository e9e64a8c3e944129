"""QR decoding: media.decode_qr (zbar cascade) against zxing-cpp on the same generated images.

Prints JSON: per case, the success rate and median time per image of each decoder (bytes in,
text out, image decoding included for both), and the time ratio ours / zxing-cpp.

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
from tests.media.imagery import DECODER_CASES, case_image, encode, qr_image, vietnamese_strings


def _zxing(data: bytes) -> list[str]:
    image = Image.open(io.BytesIO(data))
    image.draft("L", image.size)
    return [r.text for r in zxingcpp.read_barcodes(image.convert("L"))]


def _ours(data: bytes) -> list[str]:
    return [r.text for r in decode_qr(data)]


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
        for n, name in zip(range(1, 97), vietnamese_strings(args.per_case, seed=3), strict=False)
    ]
    report: dict[str, object] = {"per_case": args.per_case, "cases": {}}
    all_ours: list[float] = []
    all_zx: list[float] = []
    totals = {"ours": 0, "zxing": 0, "zxing_read_ours_missed": 0}
    for case in DECODER_CASES:
        ours_ok = zx_ok = 0
        ours_t: list[float] = []
        zx_t: list[float] = []
        for payload in payloads:
            data = case_image(case, payload)
            t_ours, ours = _timed(_ours, data)
            t_zx, zx = _timed(_zxing, data)
            ours_ok += ours == [payload]
            zx_ok += zx == [payload]
            totals["zxing_read_ours_missed"] += zx == [payload] and ours != [payload]
            ours_t.append(t_ours)
            zx_t.append(t_zx)
        all_ours += ours_t
        all_zx += zx_t
        totals["ours"] += ours_ok
        totals["zxing"] += zx_ok
        report["cases"][case] = {  # type: ignore[index]
            "images": len(payloads),
            "ours_success": ours_ok / len(payloads),
            "zxing_success": zx_ok / len(payloads),
            "ours_median_ms": round(statistics.median(ours_t) * 1000, 2),
            "zxing_median_ms": round(statistics.median(zx_t) * 1000, 2),
            "time_ratio": round(statistics.median(ours_t) / statistics.median(zx_t), 2),
        }
    images = len(payloads) * len(DECODER_CASES)
    report["overall"] = {
        "images": images,
        "ours_success": totals["ours"] / images,
        "zxing_success": totals["zxing"] / images,
        "zxing_read_ours_missed": totals["zxing_read_ours_missed"],
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
