"""Sync batches, tus uploads, and the change feed's index."""

from __future__ import annotations

from piccolo.columns import JSONB, BigInt, ForeignKey, OnDelete, Serial, Timestamptz, Varchar
from piccolo.table import Table

from backend.db.engine import Database

ID = "m0004_sync"
DESCRIPTION = "sync batches, tus uploads, change-feed index"


async def forwards(db: Database) -> None:
    """Create the sync tables as they were at this migration."""
    engine = db.engine

    class Commune(Table, tablename="commune", db=engine):
        code = Varchar(length=5, primary_key=True)

    class Team(Table, tablename="team", db=engine):
        id = Serial(primary_key=True)

    class Device(Table, tablename="device", db=engine):
        id = Varchar(length=26, primary_key=True)

    class SyncBatch(Table, tablename="sync_batch", db=engine):
        id = Varchar(length=26, primary_key=True)
        device = ForeignKey(Device, null=False, on_delete=OnDelete.restrict, index=True)
        commune = ForeignKey(Commune, null=False, on_delete=OnDelete.restrict)
        team = ForeignKey(Team, null=False, on_delete=OnDelete.restrict)
        manifest_hash = Varchar(length=64)
        manifest = JSONB()
        created_at = Timestamptz()
        committed_at = Timestamptz(null=True, default=None)
        result = JSONB(null=True, default=None)

    class Upload(Table, tablename="upload", db=engine):
        id = Varchar(length=32, primary_key=True)
        device = ForeignKey(Device, null=False, on_delete=OnDelete.restrict, index=True)
        sha256 = Varchar(length=64)
        media_type = Varchar(length=100)
        length = BigInt()
        offset = BigInt(default=0)
        created_at = Timestamptz()
        expires_at = Timestamptz(index=True)

    for table in (SyncBatch, Upload):
        await table.create_table().run()  # type: ignore[no-untyped-call]
    # The change feed reads "events of my team after my cursor": one index range scan, whatever
    # the size of the history.
    await db.execute("CREATE INDEX dossier_event_team_seq ON dossier_event (team, seq)")
