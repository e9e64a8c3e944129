"""The office's dates: the apology's new date beside the legal due date, the processing time
a dossier was received with, and a procedure's same-day cut-off."""

from __future__ import annotations

from piccolo.columns import Date, Integer, Serial, Varchar
from piccolo.table import Table

from backend.db.engine import Database

ID = "m0010_office_dates"
DESCRIPTION = "extended due date and processing days on dossiers; same-day cut-off on procedures"


async def forwards(db: Database) -> None:
    """Add the columns; existing dossiers keep their dates (an old extension stays folded into
    their due date, since which date was on the receipt is no longer known)."""

    class Dossier(Table, tablename="dossier", db=db.engine):
        id = Varchar(length=26, primary_key=True)

    class Procedure(Table, tablename="procedure", db=db.engine):
        id = Serial(primary_key=True)

    await Dossier.alter().add_column("extended_due_date", Date(null=True, default=None))
    await Dossier.alter().add_column("processing_days", Integer(null=True, default=None))
    await Procedure.alter().add_column(
        "same_day_cutoff", Varchar(length=8, null=True, default=None)
    )
