"""The personal-data grant of a viewer account."""

from __future__ import annotations

from piccolo.columns import Boolean, Serial
from piccolo.table import Table

from backend.db.engine import Database

ID = "m0008_personal_data_grant"
DESCRIPTION = "personal-data grant on user accounts"


async def forwards(db: Database) -> None:
    """Add the grant column, off for everybody."""

    class User(Table, tablename="app_user", db=db.engine):
        id = Serial(primary_key=True)

    await User.alter().add_column("personal_data", Boolean(default=False))
