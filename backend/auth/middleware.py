"""Authentication of every request: a bearer token, or a session cookie plus its CSRF token."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Any, Protocol

from litestar.connection import ASGIConnection, Request
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp

from backend.auth.principal import DevicePrincipal, Principal
from backend.errors import AppError
from schemas.errors import ErrorCode

__all__ = [
    "APP_VERSION_HEADER",
    "CSRF_FORM_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "AuthenticationMiddleware",
    "SessionResolver",
    "TokenResolver",
    "form_csrf_guard",
]

APP_VERSION_HEADER = "x-app-version"
"""Header a field client sends with its version; recorded on the device."""

SESSION_COOKIE = "luudong_session"
"""Cookie holding a clerk's session token (HttpOnly, SameSite=Lax)."""

CSRF_HEADER = "x-csrf-token"
"""Header carrying the session's CSRF token on unsafe requests."""
CSRF_FORM_FIELD = "_csrf"
"""The same token as a field of an HTML form."""

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenResolver(Protocol):
    """Turns the bearer tokens of one kind (one prefix) into their caller."""

    token_prefix: str
    """The prefix of the tokens this resolver owns (``ldd_``, ``ldp_``)."""

    async def resolve_token(
        self, token: str, app_version: str | None
    ) -> Principal | DevicePrincipal | None:
        """The caller, ``None`` for an unknown token; may raise ``AppError`` (revoked...)."""
        ...


class SessionResolver(Protocol):
    """Turns a session cookie into the staff member it belongs to."""

    async def principal_for_session(self, token: str) -> Principal | None:
        """The logged-in staff member, ``None`` if the session is unknown or expired."""
        ...


class AuthenticationMiddleware(AbstractAuthenticationMiddleware):
    """Resolves the caller to a :class:`Principal`.

    ``Authorization: Bearer`` wins over the cookie and needs no CSRF token (a browser never adds
    that header on its own); a device token (``ldd_``) resolves to a device, a personal token
    (``ldp_``) to its owner. A session cookie is an ambient credential, so unsafe methods must
    also carry the session's CSRF token (synchronizer-token pattern, compared in constant time).
    Routes marked ``exclude_from_auth`` (health, login, public pages) are skipped.

    The tokens are resolved by the domains that issue them (``tokens``, one per prefix) and the
    cookie by ``sessions``; this module knows none of their tables.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        tokens: Sequence[TokenResolver],
        sessions: SessionResolver,
        exclude: str | list[str] | None = None,
    ) -> None:
        super().__init__(app, exclude=exclude)
        self.tokens = tuple(tokens)
        self.sessions = sessions

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization")
        if header is not None:
            scheme, _, token = header.partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token:
                raise AppError(ErrorCode.unauthenticated, "Tiêu đề Authorization không hợp lệ.")
            resolver = next((r for r in self.tokens if token.startswith(r.token_prefix)), None)
            caller = (
                await resolver.resolve_token(token, connection.headers.get(APP_VERSION_HEADER))
                if resolver is not None
                else None
            )
            if caller is None:
                raise AppError(
                    ErrorCode.unauthenticated, "Mã truy cập không hợp lệ hoặc đã thu hồi."
                )
            return AuthenticationResult(user=caller, auth=None)

        cookie = connection.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise AppError(ErrorCode.unauthenticated, "Cần đăng nhập.")
        principal = await self.sessions.principal_for_session(cookie)
        if principal is None:
            raise AppError(ErrorCode.unauthenticated, "Phiên đăng nhập đã hết hạn.")
        if connection.scope.get("method", "GET") not in _SAFE_METHODS:
            _check_csrf(connection, principal)
        return AuthenticationResult(user=principal, auth=None)


def _check_csrf(connection: ASGIConnection[Any, Any, Any, Any], principal: Principal) -> None:
    if connection.route_handler.opt.get("csrf") == "form" and _is_form(connection):
        return  # the route's guard checks the form's ``_csrf`` field once the body is read
    sent = connection.headers.get(CSRF_HEADER, "")
    _compare(sent, principal)


async def form_csrf_guard(connection: ASGIConnection[Any, Any, Any, Any], _: Any) -> None:
    """Guard of the web pages' form routes: the session's token in the ``_csrf`` field.

    The authentication middleware cannot read a body, so for routes marked ``csrf="form"`` it
    leaves form posts to this guard, which runs once the request (and its body) is at hand.
    """
    user = connection.scope.get("user")
    method = connection.scope.get("method", "GET")
    if method in _SAFE_METHODS or not isinstance(user, Principal) or user.via != "session":
        return
    sent = connection.headers.get(CSRF_HEADER, "")
    if not sent and _is_form(connection) and isinstance(connection, Request):
        value = (await connection.form()).get(CSRF_FORM_FIELD, "")
        sent = value if isinstance(value, str) else ""
    _compare(sent, user)


def _is_form(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    content_type = connection.headers.get("content-type", "")
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


def _compare(sent: str, principal: Principal) -> None:
    expected = principal.csrf_token or ""
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise AppError(ErrorCode.csrf_failed, "Thiếu hoặc sai mã chống giả mạo (CSRF).")
