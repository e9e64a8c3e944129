"""Accounts: passwords, login sessions, personal API tokens, user administration."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from msgspec import UNSET

from backend.accounts.tables import ApiToken, LoginSession, LoginThrottle, User
from backend.auth.principal import Principal
from backend.auth.secrets import (
    TokenKind,
    hash_password,
    hash_token,
    new_token,
    verify_password,
)
from backend.communes.tables import Commune
from backend.context import Context
from backend.db.engine import is_unique_violation
from backend.errors import AppError
from schemas import accounts as wire
from schemas.errors import ErrorCode

__all__ = ["AccountService"]

FREE_FAILURES = 3
"""Wrong passwords a login name may get in a row before each next try must wait."""
MAX_LOGIN_DELAY = timedelta(minutes=15)
"""The longest wait: the delay doubles with every failure after the free ones, up to this."""

_TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)
"""A token's ``last_used_at`` is written at most this often (not on every request)."""

_USER_COLUMNS = (
    User.id,
    User.username,
    User.full_name,
    User.role,
    User.commune,
    User.active,
    User.personal_data,
    User.created_at,
    User.last_login_at,
)


def _user(row: dict[str, Any]) -> wire.User:
    return wire.User(
        id=row["id"],
        username=row["username"],
        full_name=row["full_name"],
        role=wire.Role(row["role"]),
        commune_code=row["commune"],
        active=row["active"],
        personal_data=row["personal_data"],
        created_at=row["created_at"],
        last_login_at=row["last_login_at"],
    )


def _token(row: dict[str, Any]) -> wire.ApiToken:
    return wire.ApiToken(
        id=row["id"],
        name=row["name"],
        prefix=row["prefix"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        revoked_at=row["revoked_at"],
    )


class AccountService:
    """Everything about staff accounts. Every query is scoped to the caller's commune."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _hash(self, token: str) -> str:
        return hash_token(self.ctx.settings.secret_key, token)

    async def signer_name(self, commune_code: str, username: str) -> str:
        """The full name a printed form gives for the commune's staff member ``username`` (the
        login name when no full name was recorded)."""
        row = await (
            User.select(User.full_name)
            .where((User.username == username) & (User.commune == commune_code))
            .first()
        )
        return (row["full_name"] if row else "").strip() or username

    # --- login sessions -------------------------------------------------------------------

    async def login(self, username: str, password: str) -> tuple[str, wire.SessionInfo]:
        """Check credentials and open a session; return the cookie token and the session info.

        A wrong password and an unknown or inactive user give the same error, in the same time.
        """
        name = username.strip().lower()[:64]
        await self._check_throttle(name)
        row = await User.select().where(User.username == name).first()
        stored_hash = row["password_hash"] if row and row["active"] else None
        if not verify_password(stored_hash, password) or row is None:
            await self._failed(name)
            raise AppError(ErrorCode.invalid_credentials, "Sai tên đăng nhập hoặc mật khẩu.")
        await LoginThrottle.delete().where(LoginThrottle.username == name)
        now = self.ctx.clock.now()
        token = new_token(TokenKind.session)
        csrf = secrets.token_urlsafe(32)
        expires = now + self.ctx.settings.session_ttl
        async with self.ctx.db.transaction():
            await LoginSession.insert(
                LoginSession(
                    token_hash=self._hash(token),
                    user=row["id"],
                    csrf_token=csrf,
                    created_at=now,
                    expires_at=expires,
                )
            )
            await User.update({User.last_login_at: now}).where(User.id == row["id"])
            # Expired sessions are swept on login: the table stays small without a cron job.
            await LoginSession.delete().where(LoginSession.expires_at < now)
        user = _user({**row, "last_login_at": now})
        return token, wire.SessionInfo(user=user, csrf_token=csrf, expires_at=expires)

    async def _check_throttle(self, name: str) -> None:
        """429 while the name's delay after its last wrong password runs (whatever the
        password this time: the wait is what slows a guesser down, from any address)."""
        row = (
            await LoginThrottle.select(LoginThrottle.blocked_until)
            .where(LoginThrottle.username == name)
            .first()
        )
        now = self.ctx.clock.now()
        if row is None or row["blocked_until"] is None or row["blocked_until"] <= now:
            return
        wait = max(1, int((row["blocked_until"] - now).total_seconds() + 0.999))
        raise AppError(
            ErrorCode.rate_limited,
            f"Đăng nhập sai nhiều lần liên tiếp: hãy thử lại sau {wait} giây.",
            headers={"Retry-After": str(wait)},
        )

    async def _failed(self, name: str) -> None:
        """Count a wrong password for ``name`` and set the wait before its next try."""
        counted = await (
            LoginThrottle.update({LoginThrottle.failures: LoginThrottle.failures + 1})
            .where(LoginThrottle.username == name)
            .returning(LoginThrottle.failures)
        )
        if not counted:
            await LoginThrottle.insert(LoginThrottle(username=name, failures=1)).on_conflict(
                action="DO NOTHING"
            )
            return
        failures = counted[0]["failures"]
        if failures > FREE_FAILURES:
            delay = min(MAX_LOGIN_DELAY, timedelta(seconds=2 ** min(failures - FREE_FAILURES, 10)))
            await LoginThrottle.update(
                {LoginThrottle.blocked_until: self.ctx.clock.now() + delay}
            ).where(LoginThrottle.username == name)

    async def logout(self, principal: Principal) -> None:
        """End the caller's session (a token caller has none to end)."""
        if principal.session_id is not None:
            await LoginSession.delete().where(LoginSession.id == principal.session_id)

    async def principal_for_session(self, token: str) -> Principal | None:
        """The staff member a session cookie belongs to, if it is live."""
        row = await (
            LoginSession.select(
                LoginSession.id,
                LoginSession.csrf_token,
                LoginSession.expires_at,
                *LoginSession.user.all_columns(),
            )
            .where(LoginSession.token_hash == self._hash(token))
            .first()
        )
        if row is None or row["expires_at"] <= self.ctx.clock.now() or not row["user.active"]:
            return None
        return Principal(
            user_id=row["user.id"],
            username=row["user.username"],
            role=wire.Role(row["user.role"]),
            commune_code=row["user.commune"],
            via="session",
            session_id=row["id"],
            csrf_token=row["csrf_token"],
            personal_data=row["user.personal_data"],
        )

    # --- personal API tokens --------------------------------------------------------------

    async def create_api_token(self, user_id: int, name: str) -> wire.ApiTokenCreated:
        """Issue a personal token for ``user_id``; the secret is returned once, never stored."""
        token = new_token(TokenKind.api)
        row = ApiToken(
            token_hash=self._hash(token),
            prefix=token[:10],
            name=name,
            user=user_id,
            created_at=self.ctx.clock.now(),
        )
        await row.save()
        return wire.ApiTokenCreated(token=token, info=_token(row.to_dict()))

    async def list_api_tokens(self, principal: Principal) -> list[wire.ApiToken]:
        """The caller's tokens, newest first."""
        rows = (
            await ApiToken.select()
            .where(ApiToken.user == principal.user_id)
            .order_by(ApiToken.id, ascending=False)
        )
        return [_token(r) for r in rows]

    async def revoke_api_token(self, principal: Principal, token_id: int) -> None:
        """Revoke one of the caller's tokens (404 for anybody else's)."""
        rows = (
            await ApiToken.update({ApiToken.revoked_at: self.ctx.clock.now()})
            .where((ApiToken.id == token_id) & (ApiToken.user == principal.user_id))
            .returning(ApiToken.id)
        )
        if not rows:
            raise AppError(ErrorCode.not_found, "Không tìm thấy mã truy cập.")

    token_prefix = TokenKind.api
    """Personal tokens are this service's to resolve (``backend.auth.TokenResolver``)."""

    async def resolve_token(self, token: str, app_version: str | None) -> Principal | None:
        """The staff member behind a personal token (the middleware's entry point)."""
        return await self.principal_for_api_token(token)

    async def principal_for_api_token(self, token: str) -> Principal | None:
        """The staff member a bearer token belongs to, if it is live."""
        row = await (
            ApiToken.select(
                ApiToken.id,
                ApiToken.revoked_at,
                ApiToken.last_used_at,
                *ApiToken.user.all_columns(),
            )
            .where(ApiToken.token_hash == self._hash(token))
            .first()
        )
        if row is None or row["revoked_at"] is not None or not row["user.active"]:
            return None
        now = self.ctx.clock.now()
        if row["last_used_at"] is None or now - row["last_used_at"] > _TOKEN_TOUCH_INTERVAL:
            await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == row["id"])
        return Principal(
            user_id=row["user.id"],
            username=row["user.username"],
            role=wire.Role(row["user.role"]),
            commune_code=row["user.commune"],
            via="token",
            personal_data=row["user.personal_data"],
        )

    # --- users ----------------------------------------------------------------------------

    async def get_user(self, principal: Principal, user_id: int) -> wire.User:
        """One user of the caller's commune."""
        row = await (
            User.select(*_USER_COLUMNS)
            .where((User.id == user_id) & (User.commune == principal.commune_code))
            .first()
        )
        if row is None:
            raise AppError(ErrorCode.not_found, "Không tìm thấy người dùng.")
        return _user(row)

    async def list_users(self, principal: Principal) -> list[wire.User]:
        """Users of the caller's commune, by username."""
        rows = (
            await User.select(*_USER_COLUMNS)
            .where(User.commune == principal.commune_code)
            .order_by(User.username)
        )
        return [_user(r) for r in rows]

    async def create_user(self, commune_code: str, data: wire.UserCreate) -> wire.User:
        """Create an account in ``commune_code`` (which must be registered)."""
        if not await Commune.exists().where(Commune.code == commune_code):
            raise AppError(ErrorCode.unknown_commune, f"Xã {commune_code} chưa được đăng ký.")
        row = User(
            username=data.username,
            full_name=data.full_name,
            password_hash=hash_password(data.password),
            role=data.role.value,
            commune=commune_code,
            active=True,
            personal_data=data.personal_data,
            created_at=self.ctx.clock.now(),
        )
        try:
            async with self.ctx.db.transaction():
                await row.save()
        except Exception as exc:
            if is_unique_violation(exc):
                raise AppError(
                    ErrorCode.username_taken, f"Tên đăng nhập {data.username} đã tồn tại."
                ) from None
            raise
        return _user(row.to_dict())

    async def update_user(
        self, principal: Principal, user_id: int, data: wire.UserUpdate
    ) -> wire.User:
        """Change a user of the caller's commune; the last active admin cannot be removed."""
        values: dict[Any, Any] = {}
        if data.full_name is not UNSET:
            values[User.full_name] = data.full_name
        if data.role is not UNSET:
            values[User.role] = data.role.value
        if data.active is not UNSET:
            values[User.active] = data.active
        if data.password is not UNSET:
            values[User.password_hash] = hash_password(data.password)
        if data.personal_data is not UNSET:
            values[User.personal_data] = data.personal_data
        async with self.ctx.db.transaction():
            current = await self.get_user(principal, user_id)
            demoted = data.role is not UNSET and data.role is not wire.Role.admin
            deactivated = data.active is False
            if current.role is wire.Role.admin and current.active and (demoted or deactivated):
                admins = await User.count().where(
                    (User.commune == principal.commune_code)
                    & (User.role == wire.Role.admin.value)
                    & (User.active == True)  # noqa: E712 - Piccolo builds SQL from ==
                )
                if admins <= 1:
                    raise AppError(
                        ErrorCode.forbidden,
                        "Không thể bỏ quyền quản trị của quản trị viên cuối cùng của xã.",
                    )
            if values:
                await User.update(values).where(User.id == user_id)
            if data.password is not UNSET or deactivated or data.role not in (UNSET, current.role):
                # A reset password, a locked account or another role ends every session and
                # every personal API token: whoever held them must log in again as who they
                # are now.
                await LoginSession.delete().where(LoginSession.user == user_id)
                await ApiToken.update({ApiToken.revoked_at: self.ctx.clock.now()}).where(
                    (ApiToken.user == user_id) & ApiToken.revoked_at.is_null()
                )
        return await self.get_user(principal, user_id)

    async def find_user_id(self, username: str) -> int | None:
        """The id of ``username`` (for the command line)."""
        row = await User.select(User.id).where(User.username == username).first()
        return None if row is None else int(row["id"])
