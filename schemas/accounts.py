"""Wire types for logins, users and personal API tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from schemas.common import CommuneCode, Line, Name, line

__all__ = [
    "PASSWORD_MIN_LENGTH",
    "ApiToken",
    "ApiTokenCreate",
    "ApiTokenCreated",
    "LoginRequest",
    "Password",
    "Role",
    "SessionInfo",
    "User",
    "UserCreate",
    "UserUpdate",
    "Username",
]


class Role(StrEnum):
    """What a staff member may do in their commune."""

    admin = "admin"
    """Manages teams, devices, users, the procedure catalog and holidays."""
    clerk = "clerk"
    """Receives and processes dossiers at the one-stop counter."""
    viewer = "viewer"
    """Reads dossiers and reports, changes nothing."""


Username = Annotated[
    str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9._-]{2,63}$", examples=["clerk.coto"])
]
"""Lower-case login name, 3 to 64 characters."""

PASSWORD_MIN_LENGTH = 10
Password = Annotated[str, msgspec.Meta(min_length=PASSWORD_MIN_LENGTH, max_length=256)]
"""A password of at least ``PASSWORD_MIN_LENGTH`` characters (the users page states it)."""


class LoginRequest(msgspec.Struct, frozen=True):
    """Credentials for ``POST /api/v1/auth/login``."""

    username: Annotated[str, line(64)]
    password: Annotated[str, msgspec.Meta(max_length=256)]


class User(msgspec.Struct, frozen=True):
    """A staff account as shown to admins and to the user themself."""

    id: int
    username: str
    full_name: str
    role: Role
    commune_code: CommuneCode
    active: bool
    created_at: datetime
    last_login_at: datetime | None = None
    personal_data: bool = False
    """Granted the personal-data permissions (meaningful for viewers: clerks and admins
    have them by role)."""


class SessionInfo(msgspec.Struct, frozen=True):
    """Answer to a login: who is logged in and the CSRF token for unsafe requests."""

    user: User
    csrf_token: str
    """Send it back in the ``X-CSRF-Token`` header of every POST/PUT/PATCH/DELETE."""
    expires_at: datetime


class UserCreate(msgspec.Struct, frozen=True):
    """A new account in the admin's own commune."""

    username: Username
    password: Password
    role: Role
    full_name: Line = ""
    personal_data: bool = False
    """Grant a viewer the applicant's details, ID number and scans (an inspector)."""


class UserUpdate(msgspec.Struct, frozen=True):
    """Fields to change; absent fields stay as they are."""

    full_name: Line | UnsetType = UNSET
    role: Role | UnsetType = UNSET
    active: bool | UnsetType = UNSET
    password: Password | UnsetType = UNSET
    personal_data: bool | UnsetType = UNSET


class ApiTokenCreate(msgspec.Struct, frozen=True):
    """A personal API token to create for the caller."""

    name: Name


class ApiToken(msgspec.Struct, frozen=True):
    """A personal API token, without its secret."""

    id: int
    name: str
    prefix: str
    """First characters of the token, to recognise it."""
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class ApiTokenCreated(msgspec.Struct, frozen=True):
    """The token's secret, shown once."""

    token: str
    info: ApiToken
