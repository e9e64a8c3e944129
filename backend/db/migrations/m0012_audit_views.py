"""Audit entries grouped by dossier view: a scan seen on a dossier's page names that view."""

from __future__ import annotations

from piccolo.columns import Integer, Serial
from piccolo.table import Table

from backend.db.engine import Database

ID = "m0012_audit_views"
DESCRIPTION = "audit entry view_id"


async def forwards(db: Database) -> None:
    """Add the column, empty: older scan entries stay entries of their own."""

    class AuditEntry(Table, tablename="audit_entry", db=db.engine):
        id = Serial(primary_key=True)

    await AuditEntry.alter().add_column("view_id", Integer(null=True, default=None, index=True))
