"""Legibility against uplink bytes: OCR of normalised pages against OCR of the raw photo.

Generated Vietnamese forms (``tests.media.imagery.document_photo``, body text at about 14 pt
and about 10 pt on A4) photographed at 12 megapixels are read by Tesseract (Debian's
``tesseract-ocr`` with ``tesseract-ocr-vie``) raw, then after each candidate normalisation.
Character accuracy is one minus the Levenshtein distance between what Tesseract read and the
text drawn, over the text's length (whitespace collapsed, NFC). For each candidate: its bytes as
a fraction of the raw photo, its accuracy and the points it loses against the raw photo's, whether
the page's QR code still reads, the time to encode it, the time the server's check of an upload
(``validate_image``) takes on it, and the time to make what the clerk's browser is shown
(``media.derive.viewable``, a grey JPEG). ``in_force`` is what ``media.normalise`` does now.

Prints JSON.

    .venv/bin/python -m bench.legibility [--photos 3] [--divisors 60,85]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time
from collections.abc import Callable

from PIL import Image, ImageOps

from media import decode_qr, normalise, validate_image
from media.derive import viewable
from tests.media.imagery import document_lines, document_photo, encode
from tests.media.ocr import character_accuracy as accuracy
from tests.media.ocr import clean_text as _clean

QR = "https://luudong.example/tra-cuu/DEMO.07192-260302-0001?t=Zk3q9"
SIZE = (4000, 3000)
TEXT_BOTTOM = 0.68
"""The lines stop above the stamp, the signature and the QR code, so every character counts."""


def _gray_fit(photo: bytes, long_side: int) -> Image.Image:
    with Image.open(io.BytesIO(photo)) as image:
        gray = ImageOps.exif_transpose(image).convert("L")
    scale = min(1.0, long_side / max(gray.size))
    size = (round(gray.width * scale), round(gray.height * scale))
    return gray.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _encoder(kind: str, long_side: int, quality: int) -> Callable[[bytes], tuple[bytes, str]]:
    options: dict[str, object] = {"quality": quality}
    if kind == "JPEG":
        options.update(progressive=True, optimize=True, subsampling=0)
    media_type = {"JPEG": "image/jpeg", "WEBP": "image/webp", "AVIF": "image/avif"}[kind]

    def run(photo: bytes) -> tuple[bytes, str]:
        return encode(_gray_fit(photo, long_side), kind, **options), media_type

    return run


def _in_force(mode: str) -> Callable[[bytes], tuple[bytes, str]]:
    def run(photo: bytes) -> tuple[bytes, str]:
        result = normalise(photo, mode)  # type: ignore[arg-type]
        return result.data, result.facts.media_type

    return run


CANDIDATES: dict[str, Callable[[bytes], tuple[bytes, str]]] = {
    "in_force_document": _in_force("document"),
    "in_force_text": _in_force("text"),
    "in_force_id_card": _in_force("id_card"),
    "jpeg_q60_2200": _encoder("JPEG", 2200, 60),  # the document mode before this measure
    "jpeg_q45_2600": _encoder("JPEG", 2600, 45),  # a browser that cannot encode WebP
    "jpeg_q60_2600": _encoder("JPEG", 2600, 60),
    "webp_q40_2200": _encoder("WEBP", 2200, 40),
    "webp_q50_2400": _encoder("WEBP", 2400, 50),
    "webp_q30_2600": _encoder("WEBP", 2600, 30),
    "webp_q50_2600": _encoder("WEBP", 2600, 50),
    "avif_q40_2600": _encoder("AVIF", 2600, 40),
}
"""What ``media.normalise`` does now, and the alternatives it was chosen from."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--photos", type=int, default=3, help="photos per text size")
    parser.add_argument("--divisors", default="60,85", help="page height ÷ text height")
    parser.add_argument("--only", default="", help="comma-separated candidates (default all)")
    args = parser.parse_args()
    chosen = [c for c in args.only.split(",") if c] or list(CANDIDATES)
    rows: dict[str, dict[str, list[float]]] = {c: {} for c in chosen}
    raw_rows: dict[str, list[float]] = {"accuracy": [], "bytes": []}
    for divisor in (int(d) for d in args.divisors.split(",")):
        truth = _clean(
            " ".join(document_lines(SIZE, font_divisor=divisor, text_bottom=TEXT_BOTTOM))
        )
        for seed in range(args.photos):
            photo = document_photo(
                seed, size=SIZE, qr_text=QR, font_divisor=divisor, text_bottom=TEXT_BOTTOM
            )
            raw_accuracy = accuracy(Image.open(io.BytesIO(photo)), truth)
            raw_rows["accuracy"].append(raw_accuracy)
            raw_rows["bytes"].append(len(photo))
            for name in chosen:
                start = time.perf_counter()
                data, media_type = CANDIDATES[name](photo)
                encoded = time.perf_counter() - start
                with Image.open(io.BytesIO(data)) as image:
                    image.load()
                    read = accuracy(image, truth)
                    as_png = encode(image.convert("L"), "PNG")
                row = rows[name]
                if media_type != "image/avif":  # not an accepted upload type: not checked
                    start = time.perf_counter()
                    validate_image(data, media_type)
                    row.setdefault("check_ms", []).append((time.perf_counter() - start) * 1000)
                    start = time.perf_counter()
                    viewable(data)
                    row.setdefault("view_ms", []).append((time.perf_counter() - start) * 1000)
                for key, value in (
                    ("fraction", len(data) / len(photo)),
                    ("accuracy", read),
                    ("points_lost", (raw_accuracy - read) * 100),
                    ("qr_reads", float([r.text for r in decode_qr(as_png)] == [QR])),
                    ("encode_ms", encoded * 1000),
                    (f"points_lost_divisor_{divisor}", (raw_accuracy - read) * 100),
                ):
                    row.setdefault(key, []).append(value)
    report: dict[str, object] = {
        "photos": len(raw_rows["bytes"]),
        "divisors": args.divisors,
        "raw": {
            "median_bytes": int(statistics.median(raw_rows["bytes"])),
            "median_accuracy": round(statistics.median(raw_rows["accuracy"]), 4),
            "min_accuracy": round(min(raw_rows["accuracy"]), 4),
        },
        "candidates": {
            name: {
                "median_fraction_of_raw": round(statistics.median(row["fraction"]), 4),
                "max_fraction_of_raw": round(max(row["fraction"]), 4),
                "median_accuracy": round(statistics.median(row["accuracy"]), 4),
                "max_points_lost": round(max(row["points_lost"]), 2),
                **{
                    key: round(max(values), 2)
                    for key, values in row.items()
                    if key.startswith("points_lost_divisor")
                },
                "qr_reads": f"{int(sum(row['qr_reads']))}/{len(row['qr_reads'])}",
                "median_encode_ms": round(statistics.median(row["encode_ms"]), 1),
                **{
                    f"median_{key}": (round(statistics.median(row[key]), 1) if key in row else None)
                    for key in ("check_ms", "view_ms")
                },
            }
            for name, row in rows.items()
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
