"""The field app's ``normalise`` (``frontend/src/image.js``) on a page of its own, for a browser.

Bundled with the app's esbuild and served from a folder, so a test or a bench can call it on any
photo without enrolling a device: ``window.run(base64, mode, rules, webp)`` answers
``{ms, media_type, data}`` (``data`` in base64).
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from backend.field_app.controllers import DIST

__all__ = ["PAGE", "served"]

PAGE = """<!doctype html><meta charset="utf-8"><script type="module">
import { normalise } from "./image.js";
window.run = async (b64, mode, rules, webp) => {
  const raw = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const started = performance.now();
  const file = new File([raw], "photo.jpg", { type: "image/jpeg" });
  const out = await normalise(file, mode, rules, { webp });
  const ms = performance.now() - started;
  const bytes = new Uint8Array(await out.blob.arrayBuffer());
  let text = ""; for (const b of bytes) text += String.fromCharCode(b);
  return { ms, media_type: out.media_type, data: btoa(text) };
};
window.ready = true;
</script>"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No access log on the output."""


@contextmanager
def served(folder: Path) -> Iterator[str]:
    """``image.js`` and what it imports bundled as one module into ``folder`` with the page,
    served on loopback; yields the page's address."""
    esbuild = DIST.parent / "node_modules" / ".bin" / "esbuild"
    subprocess.run(
        [str(esbuild), "src/image.js", "--bundle", "--format=esm",
         f"--outfile={folder / 'image.js'}"],
        cwd=DIST.parent,
        check=True,
        capture_output=True,
    )  # fmt: skip
    (folder / "index.html").write_text(PAGE, encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/index.html"
    finally:
        server.shutdown()
        server.server_close()
