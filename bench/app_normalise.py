"""The field app's on-device normalisation, in Debian's Chromium, against the server's.

The same generated 12-megapixel phone photos as ``bench.normalise`` (a filled-in A4 form with a
stamp, a signature and a QR code) go through the app's ``normalise`` (``frontend/src/image.js``,
bundled for the bench with esbuild) and through ``media.normalise``. Prints JSON per mode: the
median output as a fraction of the raw photo, its size as a ratio to the server's output, the
time in the browser, and whether ``media.decode_qr`` still reads the page's QR code.

    .venv/bin/python -m bench.app_normalise [--photos 5]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import shutil
import statistics
import subprocess
import tempfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.async_api import async_playwright

from backend.field_app.controllers import DIST
from media import decode_qr, normalise
from schemas.media import NORMALISE
from tests.media.imagery import document_photo

QR = "https://luudong.example/tra-cuu/DEMO.07192-260302-0001?t=Zk3q9"
PAGE = """<!doctype html><meta charset="utf-8"><script type="module">
import { normalise } from "./image.js";
window.run = async (b64, mode, rules) => {
  const raw = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const started = performance.now();
  const out = await normalise(new File([raw], "photo.jpg", { type: "image/jpeg" }), mode, rules);
  const ms = performance.now() - started;
  const bytes = new Uint8Array(await out.blob.arrayBuffer());
  let text = ""; for (const b of bytes) text += String.fromCharCode(b);
  return { ms, data: btoa(text) };
};
window.ready = true;
</script>"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No access log on the bench's output."""


def bundle(folder: Path) -> None:
    """``image.js`` and what it imports, as one module the bench page loads."""
    esbuild = DIST.parent / "node_modules" / ".bin" / "esbuild"
    subprocess.run(
        [
            str(esbuild),
            "src/image.js",
            "--bundle",
            "--format=esm",
            f"--outfile={folder / 'image.js'}",
        ],
        cwd=DIST.parent,
        check=True,
        capture_output=True,
    )
    (folder / "index.html").write_text(PAGE, encoding="utf-8")


async def measure(photos: list[bytes], base: str) -> dict[str, list[dict[str, object]]]:
    rules = json.loads(
        json.dumps({"long_side": NORMALISE.long_side, "jpeg_quality": NORMALISE.jpeg_quality})
    )
    results: dict[str, list[dict[str, object]]] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=["--no-sandbox", "--disable-background-networking"],
        )
        page = await browser.new_page()
        await page.goto(f"{base}/index.html")
        await page.wait_for_function("window.ready === true")
        for mode in ("document", "id_card"):
            for photo in photos:
                answer = await page.evaluate(
                    "([b64, mode, rules]) => window.run(b64, mode, rules)",
                    [base64.b64encode(photo).decode(), mode, rules],
                )
                data = base64.b64decode(answer["data"])
                results.setdefault(mode, []).append(
                    {
                        "raw": len(photo),
                        "app": len(data),
                        "server": len(normalise(photo, mode).data),  # type: ignore[arg-type]
                        "ms": answer["ms"],
                        "qr": [c.text for c in decode_qr(data)] == [QR],
                    }
                )
        await browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--photos", type=int, default=5)
    args = parser.parse_args()
    photos = [document_photo(seed, qr_text=QR) for seed in range(args.photos)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bundle(folder)
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(folder)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            results = asyncio.run(measure(photos, f"http://127.0.0.1:{server.server_port}"))
        finally:
            server.shutdown()
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
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
