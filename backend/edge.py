"""Input rules applied to every request before any handler: one place for what no route takes.

- A path or query string holding control characters (``%00``, ``%1B``...) or invisible
  formatting characters is refused (422 ``forbidden_characters``): they reach no database,
  where PostgreSQL would fail on NUL and SQLite would store it.
- A request body to the JSON API must say it is JSON (415 ``unsupported_media_type``). A
  cross-site ``<form enctype="text/plain">`` cannot send a JSON body the API would parse (login
  CSRF). Routes with their own body format (tus uploads) mark it with ``opt={"body": ...}``.

Text fields inside JSON bodies are held to the same rule by their schema types
(``schemas.common.line`` and ``text``); a JSON body nested too deep is a 400 (``errors.py``).

Every answer (``answer_headers``, a ``before_send`` hook, so error pages too) carries a request
id, also written to the access log with the method, the path without its query string (which
holds clerks' searches and tracking tokens), the status and the time taken. Staff and public
pages and the field app get ``X-Frame-Options: DENY`` and a Content-Security-Policy that admits
scripts, styles, workers and images from this server only: none has an inline script, style or
event handler.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from typing import Any
from urllib.parse import unquote

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from backend.errors import NOT_PAGES, AppError
from backend.logs import REQUEST_ID
from schemas.common import NOT_IN_LINE
from schemas.errors import ErrorCode

__all__ = ["PAGE_POLICY", "EdgeMiddleware", "answer_headers", "public_base"]

access_log = logging.getLogger("luudong.access")

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
"""The Content-Security-Policy of the staff and public pages and the field app."""


_FORBIDDEN = re.compile(f"[{NOT_IN_LINE}]")
_JSON = re.compile(r"^application/(?:[\w.+-]+\+)?json\s*(?:;|$)", re.IGNORECASE)


def public_base(request: Request[Any, Any, Any]) -> str:
    """The address printed for people and devices (receipt and enrolment QR codes):
    ``PUBLIC_URL``, or, where the demo and tests leave it out, the one this request used."""
    configured: str | None = request.app.state["services"].ctx.settings.public_url
    return configured or str(request.base_url).rstrip("/")


class EdgeMiddleware(ASGIMiddleware):
    """The checks above, for every HTTP request that reached a route."""

    scopes = ("http",)  # type: ignore[assignment]

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        state = scope.setdefault("state", {})
        state["started"] = time.perf_counter()
        state["request_id"] = secrets.token_hex(8)
        token = REQUEST_ID.set(state["request_id"])
        try:
            await self._checked(scope, receive, send, next_app)
        finally:
            REQUEST_ID.reset(token)

    async def _checked(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        raw_path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        for part, name in ((raw_path, "đường dẫn"), (query, "tham số")):
            if _FORBIDDEN.search(unquote(part.decode("utf-8", "replace").replace("+", " "))):
                raise AppError(
                    ErrorCode.forbidden_characters,
                    f"Có ký tự điều khiển hoặc ký tự ẩn trong {name} của yêu cầu.",
                )
        if scope["path"].startswith("/api/") and _has_body(scope):
            handler: Any = scope.get("route_handler")
            kind = handler.opt.get("body", "json") if handler is not None else "json"
            content_type = _header(scope, b"content-type")
            if kind == "json" and not _JSON.match(content_type):
                raise AppError(
                    ErrorCode.unsupported_media_type,
                    "Nội dung gửi lên phải là JSON (Content-Type: application/json).",
                )
        await next_app(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""


def _has_body(scope: Scope) -> bool:
    length = _header(scope, b"content-length").strip()
    if length:
        return length != "0"
    return bool(_header(scope, b"transfer-encoding"))


async def answer_headers(message: Message, scope: Scope) -> None:
    """The request id and, on pages, the framing and content policies; one access-log line."""
    if message["type"] != "http.response.start":
        return
    state = scope.setdefault("state", {})
    request_id = state.setdefault("request_id", secrets.token_hex(8))
    headers = MutableScopeHeaders.from_message(message)
    headers["X-Request-ID"] = request_id
    headers.setdefault("X-Content-Type-Options", "nosniff")
    path = scope.get("path", "")
    if not path.startswith(NOT_PAGES) or path.startswith("/thiet-bi"):
        headers["X-Frame-Options"] = "DENY"
        headers["Referrer-Policy"] = "same-origin"
        headers["Content-Security-Policy"] = PAGE_POLICY
    started = state.get("started")
    took = round((time.perf_counter() - started) * 1000, 1) if started else None
    client = scope.get("client")
    address = client[0] if client else None
    access_log.info(
        "%s %s %s %s %sms",
        address or "-",
        scope.get("method", "-"),
        path,
        message["status"],
        "-" if took is None else took,
        extra={
            "client": address,
            "method": scope.get("method"),
            "path": path,
            "status": message["status"],
            "ms": took,
        },
    )
