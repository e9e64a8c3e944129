"""The field app's on-device normalisation, in Debian's Chromium, against the server's.

The same generated 12-megapixel phone photos as ``bench.normalise`` (a filled-in A4 form with a
stamp, a signature and a QR code) go through the app's ``normalise`` (``frontend/src/image.js``,
bundled by ``tests/field_app/normalise_page.py``) and through ``media.normalise``. Prints JSON
per mode: the median output as a fraction of the raw photo, its size as a ratio to the server's
output, the time in the browser, whether ``media.decode_qr`` still reads the page's QR code, and
the points of character accuracy Tesseract loses on it against the raw photo
(``bench/legibility.py``).
``document_jpeg`` is the JPEG a browser that cannot encode WebP sends instead.

    .venv/bin/python -m bench.app_normalise [--photos 5]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import shutil
import statistics
import tempfile
from pathlib import Path

import msgspec
from PIL import Image
from playwright.async_api import async_playwright

from media import decode_qr, normalise
from schemas.media import NORMALISE
from tests.field_app.normalise_page import served
from tests.media.imagery import document_lines, document_photo
from tests.media.ocr import character_accuracy as accuracy
from tests.media.ocr import clean_text

QR = "https://luudong.example/tra-cuu/DEMO.07192-260302-0001?t=Zk3q9"
DIVISOR, TEXT_BOTTOM = 85, 0.68
"""About 10-point text, clear of the stamp and the QR code, as in ``bench/legibility.py``."""
TRUTH = clean_text(" ".join(document_lines(font_divisor=DIVISOR, text_bottom=TEXT_BOTTOM)))


async def measure(photos: list[bytes], url: str) -> dict[str, list[dict[str, object]]]:
    rules = msgspec.to_builtins(NORMALISE)
    raw_accuracy = [accuracy(Image.open(io.BytesIO(photo)), TRUTH) for photo in photos]
    results: dict[str, list[dict[str, object]]] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=["--no-sandbox", "--disable-background-networking"],
        )
        page = await browser.new_page()
        await page.goto(url)
        await page.wait_for_function("window.ready === true")
        for label, mode, webp in (
            ("document", "document", True),
            ("document_jpeg", "document", False),
            ("id_card", "id_card", True),
        ):
            for photo, before in zip(photos, raw_accuracy, strict=True):
                answer = await page.evaluate(
                    "([b64, mode, rules, webp]) => window.run(b64, mode, rules, webp)",
                    [base64.b64encode(photo).decode(), mode, rules, webp],
                )
                data = base64.b64decode(answer["data"])
                after = accuracy(Image.open(io.BytesIO(data)), TRUTH)
                results.setdefault(label, []).append(
                    {
                        "raw": len(photo),
                        "app": len(data),
                        "server": len(normalise(photo, mode).data),  # type: ignore[arg-type]
                        "ms": answer["ms"],
                        "qr": [c.text for c in decode_qr(data)] == [QR],
                        "points_lost": (before - after) * 100,
                        "type": Image.open(io.BytesIO(data)).format,
                    }
                )
        await browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--photos", type=int, default=5)
    args = parser.parse_args()
    photos = [
        document_photo(seed, qr_text=QR, font_divisor=DIVISOR, text_bottom=TEXT_BOTTOM)
        for seed in range(args.photos)
    ]
    with tempfile.TemporaryDirectory() as tmp, served(Path(tmp)) as url:
        results = asyncio.run(measure(photos, url))
    report: dict[str, object] = {
        "photos": len(photos),
        "raw_median_bytes": int(statistics.median(len(p) for p in photos)),
        "modes": {},
    }
    for mode, rows in results.items():
        report["modes"][mode] = {  # type: ignore[index]
            "median_bytes": int(statistics.median(r["app"] for r in rows)),  # type: ignore[misc]
            "median_fraction_of_raw": round(
                statistics.median(r["app"] / r["raw"] for r in rows), 4
            ),  # type: ignore[operator]
            "max_fraction_of_raw": round(max(r["app"] / r["raw"] for r in rows), 4),  # type: ignore[operator]
            "ratio_to_server_output": round(
                statistics.median(r["app"] / r["server"] for r in rows), 3
            ),  # type: ignore[operator]
            "median_ms_in_browser": round(statistics.median(r["ms"] for r in rows), 1),  # type: ignore[misc]
            "qr_readable": f"{sum(bool(r['qr']) for r in rows)}/{len(rows)}",
            "max_points_lost": round(max(r["points_lost"] for r in rows), 2),  # type: ignore[type-var]
            "formats": sorted({str(r["type"]) for r in rows}),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
