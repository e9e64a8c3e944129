"""Failed logins per login name (the growing delay after wrong passwords)."""

from __future__ import annotations

from piccolo.columns import Integer, Timestamptz, Varchar
from piccolo.table import Table

from backend.db.engine import Database

ID = "m0009_login_throttle"
DESCRIPTION = "login throttle per account name"


async def forwards(db: Database) -> None:
    """Create the throttle table."""

    class LoginThrottle(Table, tablename="login_throttle", db=db.engine):
        username = Varchar(length=64, primary_key=True)
        failures = Integer(default=0)
        blocked_until = Timestamptz(null=True, default=None)

    await LoginThrottle.create_table().run()  # type: ignore[no-untyped-call]
