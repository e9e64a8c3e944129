"""The commune's name as its forms print it ("UBND ..."), set by its admin."""

from __future__ import annotations

from piccolo.columns import Varchar
from piccolo.table import Table

from backend.db.engine import Database

ID = "m0011_commune_printed_name"
DESCRIPTION = "commune printed name"


async def forwards(db: Database) -> None:
    """Add the column, empty: the forms print the registry's name until an admin sets one."""

    class Commune(Table, tablename="commune", db=db.engine):
        code = Varchar(length=5, primary_key=True)

    await Commune.alter().add_column("printed_name", Varchar(length=200, default=""))
