"""The upload lease: which request may write an upload, across processes."""

from __future__ import annotations

from piccolo.columns import Timestamptz, Varchar
from piccolo.table import Table

from backend.db.engine import Database

ID = "m0006_upload_lease"
DESCRIPTION = "upload lease (holder, held_until)"


async def forwards(db: Database) -> None:
    """Add the lease columns to the upload table."""

    class Upload(Table, tablename="upload", db=db.engine):
        id = Varchar(length=32, primary_key=True)

    await Upload.alter().add_column("holder", Varchar(length=32, null=True, default=None))
    await Upload.alter().add_column("held_until", Timestamptz(null=True, default=None))
