"""Authentication of every request: a bearer token, or a session cookie plus its CSRF token."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from litestar.connection import ASGIConnection, Request
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from backend.accounts.principal import Principal
from backend.accounts.secrets import TokenKind
from backend.errors import AppError, ErrorCode

if TYPE_CHECKING:
    from backend.services import Services

__all__ = [
    "APP_VERSION_HEADER",
    "CSRF_FORM_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "AuthenticationMiddleware",
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


class AuthenticationMiddleware(AbstractAuthenticationMiddleware):
    """Resolves the caller to a :class:`Principal`.

    ``Authorization: Bearer`` wins over the cookie and needs no CSRF token (a browser never adds
    that header on its own); a device token (``ldd_``) resolves to a device, a personal token
    (``ldp_``) to its owner. A session cookie is an ambient credential, so unsafe methods must
    also carry the session's CSRF token (synchronizer-token pattern, compared in constant time).
    Routes marked ``exclude_from_auth`` (health, login, public pages) are skipped.
    """

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        services: Services = connection.app.state.services
        accounts = services.accounts
        header = connection.headers.get("authorization")
        if header is not None:
            scheme, _, token = header.partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token:
                raise AppError(ErrorCode.unauthenticated, "Tiêu đề Authorization không hợp lệ.")
            if token.startswith(TokenKind.device):
                device = await services.devices.principal_for_token(
                    token, connection.headers.get(APP_VERSION_HEADER)
                )
                return AuthenticationResult(user=device, auth=None)
            principal = await accounts.principal_for_api_token(token)
            if principal is None:
                raise AppError(
                    ErrorCode.unauthenticated, "Mã truy cập không hợp lệ hoặc đã thu hồi."
                )
            return AuthenticationResult(user=principal, auth=None)

        cookie = connection.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise AppError(ErrorCode.unauthenticated, "Cần đăng nhập.")
        principal = await accounts.principal_for_session(cookie)
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
