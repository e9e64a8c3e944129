"""Who is calling, and the guards that check it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from backend.auth.roles import Permission, permissions_of
from backend.errors import AppError
from schemas.accounts import Role
from schemas.errors import ErrorCode

__all__ = [
    "DevicePrincipal",
    "Principal",
    "allowed",
    "client_address",
    "device_of",
    "devices_only",
    "principal_of",
    "require",
    "staff_only",
]


@dataclass(frozen=True)
class Principal:
    """An authenticated staff member, bound to one commune."""

    user_id: int
    username: str
    role: Role
    commune_code: str
    via: Literal["session", "token"]
    session_id: int | None = None
    csrf_token: str | None = None
    personal_data: bool = False
    """A commune admin granted this (viewer) account the personal-data permissions."""

    @property
    def permissions(self) -> frozenset[Permission]:
        """What this staff member may do (``backend.auth.roles``)."""
        return permissions_of(self.role, self.personal_data)

    def can(self, permission: Permission) -> bool:
        """Whether this staff member has ``permission``."""
        return permission in self.permissions


@dataclass(frozen=True)
class DevicePrincipal:
    """An enrolled field device, bound to one team of one commune."""

    device_id: str
    team_id: int
    commune_code: str
    name: str


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The staff member calling; a device on a staff route is refused (403)."""
    user = connection.scope.get("user")
    if isinstance(user, DevicePrincipal):
        raise AppError(ErrorCode.forbidden, "Thiết bị không dùng được chức năng này.")
    if not isinstance(user, Principal):
        raise AppError(ErrorCode.unauthenticated, "Cần đăng nhập.")
    return user


def device_of(connection: ASGIConnection[Any, Any, Any, Any]) -> DevicePrincipal:
    """The device calling; staff on a device route are refused (403)."""
    user = connection.scope.get("user")
    if isinstance(user, Principal):
        raise AppError(ErrorCode.forbidden, "Chức năng này dành cho thiết bị hiện trường.")
    if not isinstance(user, DevicePrincipal):
        raise AppError(ErrorCode.unauthenticated, "Cần mã truy cập của thiết bị.")
    return user


def require(
    permission: Permission,
) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]:
    """A guard admitting only staff with ``permission`` (403 ``forbidden`` for the others).

    The guard is named after the permission and keeps it in ``permission``, so the
    authorisation matrix reads every route's rule from the route table. Guards are coroutines:
    Litestar runs a plain function given as a guard in a worker thread, on every request.
    """

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if not principal_of(connection).can(permission):
            raise AppError(ErrorCode.forbidden, "Vai trò của bạn không được phép thao tác này.")

    guard.__name__ = f"require_{permission.value}"
    guard.permission = permission  # type: ignore[attr-defined]
    return guard


def allowed(principal: Principal, permission: Permission) -> None:
    """Raise 403 ``forbidden`` unless ``principal`` has ``permission`` (inside a handler)."""
    if not principal.can(permission):
        raise AppError(ErrorCode.forbidden, "Vai trò của bạn không được phép xem nội dung này.")


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The caller's address as the server saw it (for the audit trail)."""
    return connection.client.host if connection.client else ""


async def staff_only(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """A guard for the staff routes without a permission of their own: a device is refused
    before its body is even read (403), an anonymous caller with 401. Public routes of the
    same controller (``exclude_from_auth``) pass."""
    if not handler.opt.get("exclude_from_auth"):
        principal_of(connection)


async def devices_only(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """A guard for the device routes: staff are refused before the body is read (403)."""
    if not handler.opt.get("exclude_from_auth"):
        device_of(connection)
