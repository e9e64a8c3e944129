"""Serving the built field app: the shell, its hashed assets and its service worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import File, Redirect

from backend.errors import AppError
from backend.settings import Settings
from schemas.errors import ErrorCode

__all__ = ["DIST", "FieldAppController"]

DIST = Path(__file__).parent / "frontend" / "dist"
"""Where ``make`` (``npm run build``) puts the built app."""

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".webmanifest": "application/manifest+json",
    ".json": "application/json",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}
_POLICY = (
    "default-src 'self'; img-src 'self' blob: data:; connect-src 'self'; worker-src 'self'; "
    "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


def _file(folder: Path | None, relative: str) -> File:
    base = (folder or DIST).resolve()
    path = (base / relative).resolve()
    if not path.is_relative_to(base) or not path.is_file() or path.suffix not in _TYPES:
        if not (base / "index.html").is_file():
            raise AppError(
                ErrorCode.not_ready, "Ứng dụng thiết bị chưa được dựng: chạy `make run`."
            )
        raise AppError(ErrorCode.not_found, "Không có tệp này trong ứng dụng.")
    # Assets' names carry their content hash; the shell, the manifest and the worker are
    # always revalidated, so a new deployment reaches every device on its next start.
    cache = "public, max-age=31536000, immutable" if relative.startswith("assets/") else "no-cache"
    headers = {
        "Cache-Control": cache,
        "Content-Security-Policy": _POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    if relative == "sw.js":
        headers["Service-Worker-Allowed"] = "/thiet-bi/"
    return File(
        path=path,
        media_type=_TYPES[path.suffix],
        headers=headers,
        content_disposition_type="inline",
    )


class FieldAppController(Controller):
    """``/thiet-bi/``: the app for phones and tablets (no login: the device enrols inside)."""

    path = "/thiet-bi"
    include_in_schema = False
    opt = {"exclude_from_auth": True}

    @get("/", name="field_app")
    async def shell(
        self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]
    ) -> File | Redirect:
        raw = request.scope.get("raw_path", b"")  # Litestar's own path has no trailing slash
        if not raw.split(b"?")[0].endswith(b"/"):
            return Redirect("/thiet-bi/")  # the shell's links are relative to the folder
        return _file(settings.field_app_dir, "index.html")

    @get("/{relative:path}")
    async def asset(self, relative: FromPath[str], settings: NamedDependency[Settings]) -> File:
        return _file(settings.field_app_dir, relative.lstrip("/") or "index.html")
