"""Field devices and enrolment codes."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.table import Table

from backend.db.engine import Database

ID = "m0003_devices"
DESCRIPTION = "field devices and enrolment codes"


async def forwards(db: Database) -> None:
    """Create the device tables as they were at this migration."""
    engine = db.engine

    class Commune(Table, tablename="commune", db=engine):
        code = Varchar(length=5, primary_key=True)

    class Team(Table, tablename="team", db=engine):
        id = Serial(primary_key=True)

    class Device(Table, tablename="device", db=engine):
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

    class EnrolmentCode(Table, tablename="enrolment_code", db=engine):
        id = Serial(primary_key=True)
        code_hash = Varchar(length=64, unique=True)
        commune = ForeignKey(Commune, null=False, on_delete=OnDelete.restrict)
        team = ForeignKey(Team, null=False, on_delete=OnDelete.restrict)
        created_by = Integer()
        created_at = Timestamptz()
        expires_at = Timestamptz()
        used_at = Timestamptz(null=True, default=None)
        device_id = Varchar(length=26, null=True, default=None)

    for table in (Device, EnrolmentCode):
        await table.create_table().run()  # type: ignore[no-untyped-call]
