"""Device enrolment, device tokens and revocation."""

from __future__ import annotations

import base64
import io
import json
import secrets
from datetime import timedelta
from typing import Any

import segno
from ulid import ULID

from backend.auth.principal import DevicePrincipal, Principal
from backend.auth.secrets import TokenKind, hash_token, new_token
from backend.communes.tables import Team
from backend.context import Context
from backend.db.engine import first_row
from backend.devices.tables import Device, EnrolmentCode
from backend.errors import AppError
from schemas import devices as wire
from schemas.errors import ErrorCode

__all__ = ["ENROLMENT_TTL", "DeviceService", "normalise_code"]

ENROLMENT_TTL = timedelta(hours=24)
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_SEEN_INTERVAL = timedelta(minutes=1)
"""A device's ``last_seen_at`` is written at most this often."""

_DEVICE_OF_HASH = (
    "SELECT device.id, device.commune, device.team, device.name, device.app_version,"
    " device.last_seen_at, device.revoked_at, team.active AS team_active"
    " FROM device JOIN team ON team.id = device.team WHERE device.token_hash = {}"
)
"""Every device request's first statement, written once: Piccolo's query builder spent about
a millisecond on each (a third of an identical resubmission's time, ``docs/performance.md``)."""


def normalise_code(code: str) -> str:
    """An enrolment code as typed (case, dashes, spaces, O/0 and I/L/1 confusions forgiven)."""
    cleaned = code.upper().replace("-", "").replace(" ", "")
    return cleaned.translate(str.maketrans("OIL", "011"))


def _new_code() -> str:
    raw = "".join(secrets.choice(_CROCKFORD) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _qr_png(payload: str) -> str:
    out = io.BytesIO()
    segno.make(payload, error="m").save(out, kind="png", scale=8, border=4)
    return base64.b64encode(out.getvalue()).decode()


def _device(row: dict[str, Any]) -> wire.Device:
    return wire.Device(
        id=row["id"],
        team_id=row["team"],
        name=row["name"],
        app_version=row["app_version"],
        enrolled_at=row["enrolled_at"],
        last_seen_at=row["last_seen_at"],
        revoked_at=row["revoked_at"],
    )


class DeviceService:
    """Field devices of a commune."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _hash(self, secret: str) -> str:
        return hash_token(self.ctx.settings.secret_key, secret)

    async def issue_code(
        self, principal: Principal, team_id: int, server_url: str
    ) -> wire.EnrolmentCode:
        """A one-time enrolment code for an active team of the admin's commune, valid 24 h."""
        team = (
            await Team.select(Team.id, Team.active)
            .where((Team.id == team_id) & (Team.commune == principal.commune_code))
            .first()
        )
        if team is None:
            raise AppError(ErrorCode.not_found, "Không tìm thấy tổ.")
        if not team["active"]:
            raise AppError(ErrorCode.validation_failed, "Tổ đã ngừng hoạt động.")
        code = _new_code()
        now = self.ctx.clock.now()
        rows = await EnrolmentCode.insert(
            EnrolmentCode(
                code_hash=self._hash(normalise_code(code)),
                commune=principal.commune_code,
                team=team_id,
                created_by=principal.user_id,
                created_at=now,
                expires_at=now + ENROLMENT_TTL,
            )
        ).returning(EnrolmentCode.id)
        payload = json.dumps({"v": 1, "server": server_url, "code": code}, separators=(",", ":"))
        return wire.EnrolmentCode(
            id=rows[0]["id"],
            code=code,
            team_id=team_id,
            expires_at=now + ENROLMENT_TTL,
            qr_payload=payload,
            qr_png=_qr_png(payload),
        )

    async def enroll(self, data: wire.DeviceEnroll) -> tuple[str, str, int, str]:
        """Spend an enrolment code; return the device id, its token, its team and commune.

        The code is marked used by a conditional update, so two devices racing with one code
        cannot both succeed.
        """
        now = self.ctx.clock.now()
        device_id = str(ULID.from_datetime(now))
        token = new_token(TokenKind.device)
        async with self.ctx.db.transaction():
            rows = await (
                EnrolmentCode.update(
                    {EnrolmentCode.used_at: now, EnrolmentCode.device_id: device_id}
                )
                .where(
                    (EnrolmentCode.code_hash == self._hash(normalise_code(data.code)))
                    & EnrolmentCode.used_at.is_null()
                    & (EnrolmentCode.expires_at > now)
                    & EnrolmentCode.team.is_in(
                        Team.select(Team.id).where(Team.active == True)  # noqa: E712 - SQL
                    )
                )
                .returning(EnrolmentCode.team, EnrolmentCode.commune)
            )
            if not rows:
                raise AppError(
                    ErrorCode.enrolment_code_invalid,
                    "Mã đăng ký thiết bị không đúng, đã dùng hoặc đã hết hạn.",
                )
            team_id, commune_code = rows[0]["team"], rows[0]["commune"]
            await Device.insert(
                Device(
                    id=device_id,
                    commune=commune_code,
                    team=team_id,
                    name=data.name,
                    token_hash=self._hash(token),
                    app_version=data.app_version,
                    enrolled_at=now,
                    last_seen_at=now,
                )
            )
        return device_id, token, team_id, commune_code

    token_prefix = TokenKind.device
    """Device tokens are this service's to resolve (``backend.auth.TokenResolver``)."""

    async def resolve_token(self, token: str, app_version: str | None) -> DevicePrincipal:
        """The device a bearer token belongs to (the middleware's entry point)."""
        return await self.principal_for_token(token, app_version)

    async def principal_for_token(self, token: str, app_version: str | None) -> DevicePrincipal:
        """The device a bearer token belongs to; a revoked device is told so (401)."""
        row = await first_row(Device, _DEVICE_OF_HASH, self._hash(token))
        if row is None:
            raise AppError(ErrorCode.unauthenticated, "Mã truy cập của thiết bị không hợp lệ.")
        if row["revoked_at"] is not None:
            raise AppError(
                ErrorCode.device_revoked, "Thiết bị đã bị thu hồi; hãy đăng ký lại với quản trị."
            )
        if not row["team_active"]:
            raise AppError(
                ErrorCode.device_revoked,
                "Tổ của thiết bị đã ngừng hoạt động; hãy đăng ký lại vào một tổ đang hoạt động.",
            )
        now = self.ctx.clock.now()
        changes: dict[Any, Any] = {}
        if row["last_seen_at"] is None or now - row["last_seen_at"] > _SEEN_INTERVAL:
            changes[Device.last_seen_at] = now
        if app_version and app_version[:40] != row["app_version"]:
            changes[Device.app_version] = app_version[:40]
        if changes:
            await Device.update(changes).where(Device.id == row["id"])
        return DevicePrincipal(
            device_id=row["id"], team_id=row["team"], commune_code=row["commune"], name=row["name"]
        )

    async def devices(self, principal: Principal) -> list[wire.Device]:
        """The commune's devices, newest first."""
        rows = (
            await Device.select()
            .where(Device.commune == principal.commune_code)
            .order_by(Device.enrolled_at, ascending=False)
        )
        return [_device(r) for r in rows]

    async def revoke(self, principal: Principal, device_id: str) -> wire.Device:
        """Revoke a device of the commune; its next request gets 401 ``device_revoked``."""
        mine = (Device.id == device_id) & (Device.commune == principal.commune_code)
        await Device.update(
            {Device.revoked_at: self.ctx.clock.now(), Device.revoked_by: principal.user_id}
        ).where(mine & Device.revoked_at.is_null())
        row = await Device.select().where(mine).first()
        if row is None:
            raise AppError(ErrorCode.not_found, "Không tìm thấy thiết bị.")
        return _device(row)
