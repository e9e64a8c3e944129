"""The audit trail of accesses to personal data."""

from __future__ import annotations

from piccolo.columns import ForeignKey, OnDelete, Serial, Timestamptz, Varchar
from piccolo.table import Table

from backend.db.engine import Database

ID = "m0005_audit"
DESCRIPTION = "audit trail"


async def forwards(db: Database) -> None:
    """Create the audit table as it was at this migration."""
    engine = db.engine

    class Commune(Table, tablename="commune", db=engine):
        code = Varchar(length=5, primary_key=True)

    class AuditEntry(Table, tablename="audit_entry", db=engine):
        id = Serial(primary_key=True)
        commune = ForeignKey(Commune, null=False, on_delete=OnDelete.restrict, index=True)
        at = Timestamptz(index=True)
        actor_id = Varchar(length=40)
        actor_name = Varchar(length=200)
        action = Varchar(length=32)
        dossier_id = Varchar(length=26, index=True)
        subject = Varchar(length=100, default="")
        client = Varchar(length=64, default="")

    await AuditEntry.create_table().run()  # type: ignore[no-untyped-call]
