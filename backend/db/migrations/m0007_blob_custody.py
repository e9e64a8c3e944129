"""Blob custody: which commune holds which blob (backfilled from the dossiers' documents)."""

from __future__ import annotations

from piccolo.columns import ForeignKey, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.db.engine import Database

ID = "m0007_blob_custody"
DESCRIPTION = "blob custody per commune"


async def forwards(db: Database) -> None:
    """Create the custody table and give each commune the blobs its dossiers already list."""

    class Commune(Table, tablename="commune", db=db.engine):
        code = Varchar(length=5, primary_key=True)

    class BlobCustody(Table, tablename="blob_custody", db=db.engine):
        id = Serial(primary_key=True)
        commune = ForeignKey(Commune, null=False, on_delete=OnDelete.restrict)
        sha256 = Varchar(length=64, index=True)
        source = Varchar(length=16)
        refused = Text(null=True, default=None)
        at = Timestamptz()

    await BlobCustody.create_table().run()  # type: ignore[no-untyped-call]
    await db.execute(
        "CREATE UNIQUE INDEX blob_custody_commune_sha ON blob_custody (commune, sha256)"
    )
    await db.execute(
        "INSERT INTO blob_custody (commune, sha256, source, at) "
        "SELECT d.commune, doc.sha256, 'dossier', MIN(d.created_at) "
        "FROM dossier_document doc JOIN dossier d ON d.id = doc.dossier "
        "GROUP BY d.commune, doc.sha256"
    )
