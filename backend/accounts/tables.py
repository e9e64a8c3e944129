"""People who log in (clerks, admins, viewers), their sessions and personal API tokens."""

from __future__ import annotations

from piccolo.columns import (
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from backend.communes.tables import Commune

__all__ = ["ApiToken", "LoginSession", "LoginThrottle", "User"]


class User(Table, tablename="app_user"):
    """A commune staff member. ``password_hash`` is argon2id; the password itself is never kept."""

    id = Serial(primary_key=True)
    username = Varchar(length=64, unique=True)
    full_name = Varchar(length=200, default="")
    password_hash = Text()
    role = Varchar(length=16)
    commune = ForeignKey(Commune, null=False, on_delete=OnDelete.restrict, index=True)
    active = Boolean(default=True)
    personal_data = Boolean(default=False)
    """A commune admin granted this viewer the personal-data permissions (``auth.roles``)."""
    created_at = Timestamptz()
    last_login_at = Timestamptz(null=True, default=None)


class LoginSession(Table, tablename="login_session"):
    """A browser login. The cookie holds a random token; only its keyed hash is stored."""

    id = Serial(primary_key=True)
    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(User, null=False, on_delete=OnDelete.cascade, index=True)
    csrf_token = Varchar(length=64)
    created_at = Timestamptz()
    expires_at = Timestamptz(index=True)


class ApiToken(Table, tablename="api_token"):
    """A personal token for scripts (``Authorization: Bearer``); stored as a keyed hash."""

    id = Serial(primary_key=True)
    token_hash = Varchar(length=64, unique=True)
    prefix = Varchar(length=16)
    name = Varchar(length=200, default="")
    user = ForeignKey(User, null=False, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class LoginThrottle(Table, tablename="login_throttle"):
    """Failed logins per login name, shared by every worker through the database.

    Kept for any name tried, existing or not, so the growing delay tells nobody which accounts
    exist. A successful login removes the row.
    """

    username = Varchar(length=64, primary_key=True)
    failures = Integer(default=0)
    blocked_until = Timestamptz(null=True, default=None)
