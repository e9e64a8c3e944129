"""Wire types for field devices and their enrolment."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from schemas.common import Line, line
from schemas.communes import Commune, Team

__all__ = ["Device", "DeviceEnroll", "DeviceEnrolled", "EnrolmentCode"]


class EnrolmentCode(msgspec.Struct, frozen=True, kw_only=True):
    """A one-time code for enrolling one device into a team (shown once)."""

    id: int
    code: str
    """``XXXX-XXXX-XXXX``, Crockford base32: type it, or scan the QR."""
    team_id: int
    expires_at: datetime
    qr_payload: str
    """What the QR encodes: JSON with the server's address and the code."""
    qr_png: str
    """The QR as a base64 PNG, to show on the admin's screen."""


class DeviceEnroll(msgspec.Struct, frozen=True, kw_only=True):
    """A device's one use of an enrolment code."""

    code: Annotated[str, line(40, required=True)]
    name: Line = ""
    """What the team calls the device ("Máy tính bảng 1")."""
    app_version: Annotated[str, line(40)] = ""


class Device(msgspec.Struct, frozen=True, kw_only=True):
    """An enrolled device, as admins see it."""

    id: str
    team_id: int
    name: str
    app_version: str
    enrolled_at: datetime
    last_seen_at: datetime | None
    revoked_at: datetime | None


class DeviceEnrolled(msgspec.Struct, frozen=True, kw_only=True):
    """The answer to enrolment: the device's identity and its bearer token (shown once)."""

    device_id: str
    token: str
    team: Team
    commune: Commune
