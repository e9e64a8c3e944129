"""Normalisation for the uplink: output size as a fraction of the raw phone photo, and time.

Prints JSON per mode: median output bytes as a fraction of the raw 12-megapixel JPEG, median time
as a ratio to a plain full decode of the same photo (the baseline), and whether the QR code on
the page still reads after normalisation. Also the time to refuse a decompression bomb.

    .venv/bin/python -m bench.normalise [--photos 5]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import struct
import time
import zlib

from PIL import Image

from media import TooManyPixelsError, decode_qr, normalise, validate_image
from tests.media.imagery import document_photo

QR = "https://luudong.example/tra-cuu/DEMO.07192-260302-0001?t=Zk3q9"


def _bomb() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--photos", type=int, default=5)
    args = parser.parse_args()
    photos = [document_photo(seed, qr_text=QR) for seed in range(args.photos)]
    baseline = []
    for photo in photos:
        start = time.perf_counter()
        Image.open(io.BytesIO(photo)).load()
        baseline.append(time.perf_counter() - start)
    report: dict[str, object] = {
        "photos": len(photos),
        "raw_megapixels": 12.0,
        "raw_median_bytes": int(statistics.median(len(p) for p in photos)),
        "baseline_full_decode_ms": round(statistics.median(baseline) * 1000, 1),
        "modes": {},
    }
    for mode in ("document", "text", "id_card"):
        fractions, times, readable = [], [], 0
        for photo in photos:
            start = time.perf_counter()
            result = normalise(photo, mode)  # type: ignore[arg-type]
            times.append(time.perf_counter() - start)
            fractions.append(len(result.data) / len(photo))
            readable += [r.text for r in decode_qr(result.data)] == [QR]
        report["modes"][mode] = {  # type: ignore[index]
            "median_bytes": int(
                statistics.median(f * len(p) for f, p in zip(fractions, photos, strict=True))
            ),
            "median_fraction_of_raw": round(statistics.median(fractions), 4),
            "max_fraction_of_raw": round(max(fractions), 4),
            "median_ms": round(statistics.median(times) * 1000, 1),
            "time_ratio_to_full_decode": round(
                statistics.median(times) / statistics.median(baseline), 2
            ),
            "qr_readable": f"{readable}/{len(photos)}",
        }
    bomb = _bomb()
    refusals = []
    for _ in range(200):
        start = time.perf_counter()
        try:
            validate_image(bomb, "image/png")
        except TooManyPixelsError:
            refusals.append(time.perf_counter() - start)
    report["bomb_50000x50000_png"] = {
        "bytes": len(bomb),
        "refused": len(refusals) == 200,
        "median_refusal_ms": round(statistics.median(refusals) * 1000, 3),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
