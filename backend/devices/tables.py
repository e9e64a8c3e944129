"""Field devices and their one-time enrolment codes."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.table import Table

from backend.communes.tables import Commune, Team

__all__ = ["Device", "EnrolmentCode"]


class Device(Table, tablename="device"):
    """A phone, tablet or residential-group PC enrolled into one team."""

    id = Varchar(length=26, primary_key=True)
    commune = ForeignKey(Commune, null=False, on_delete=OnDelete.restrict, index=True)
    team = ForeignKey(Team, null=False, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=200, default="")
    token_hash = Varchar(length=64, unique=True)
    app_version = Varchar(length=40, default="")
    enrolled_at = Timestamptz()
    last_seen_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    revoked_by = Integer(null=True, default=None)


class EnrolmentCode(Table, tablename="enrolment_code"):
    """A one-time code an admin issues for a team; only its keyed hash is stored."""

    id = Serial(primary_key=True)
    code_hash = Varchar(length=64, unique=True)
    commune = ForeignKey(Commune, null=False, on_delete=OnDelete.restrict)
    team = ForeignKey(Team, null=False, on_delete=OnDelete.restrict)
    created_by = Integer()
    created_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    device_id = Varchar(length=26, null=True, default=None)
