"""Initial schema: counters, communes, teams, users, sessions, API tokens, procedure catalog."""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from backend.db.engine import Database

ID = "m0001_initial"
DESCRIPTION = "counters, communes, teams, users, sessions, API tokens, procedure catalog"


async def forwards(db: Database) -> None:
    """Create the tables as they were at this migration (a snapshot, not the live classes)."""
    engine = db.engine

    class Counter(Table, tablename="counter", db=engine):
        name = Varchar(length=120, primary_key=True)
        value = BigInt(default=0)

    class Commune(Table, tablename="commune", db=engine):
        code = Varchar(length=5, primary_key=True)
        name = Varchar(length=200)
        province_code = Varchar(length=2)
        province_name = Varchar(length=200)
        agency_code = Varchar(length=40, null=True, default=None, unique=True)
        created_at = Timestamptz()

    class Team(Table, tablename="team", db=engine):
        id = Serial(primary_key=True)
        commune = ForeignKey(Commune, null=False, on_delete=OnDelete.restrict, index=True)
        kind = Varchar(length=24)
        name = Varchar(length=200)
        cultural_house_address = Text(null=True, default=None)
        leader_name = Varchar(length=200, default="")
        phone = Varchar(length=20, default="")
        active = Boolean(default=True)
        version = Integer(default=1)
        created_at = Timestamptz()
        updated_at = Timestamptz()

    class User(Table, tablename="app_user", db=engine):
        id = Serial(primary_key=True)
        username = Varchar(length=64, unique=True)
        full_name = Varchar(length=200, default="")
        password_hash = Text()
        role = Varchar(length=16)
        commune = ForeignKey(Commune, null=False, on_delete=OnDelete.restrict, index=True)
        active = Boolean(default=True)
        created_at = Timestamptz()
        last_login_at = Timestamptz(null=True, default=None)

    class LoginSession(Table, tablename="login_session", db=engine):
        id = Serial(primary_key=True)
        token_hash = Varchar(length=64, unique=True)
        user = ForeignKey(User, null=False, on_delete=OnDelete.cascade, index=True)
        csrf_token = Varchar(length=64)
        created_at = Timestamptz()
        expires_at = Timestamptz(index=True)

    class ApiToken(Table, tablename="api_token", db=engine):
        id = Serial(primary_key=True)
        token_hash = Varchar(length=64, unique=True)
        prefix = Varchar(length=16)
        name = Varchar(length=200, default="")
        user = ForeignKey(User, null=False, on_delete=OnDelete.cascade, index=True)
        created_at = Timestamptz()
        last_used_at = Timestamptz(null=True, default=None)
        revoked_at = Timestamptz(null=True, default=None)

    class Procedure(Table, tablename="procedure", db=engine):
        id = Serial(primary_key=True)
        commune = ForeignKey(Commune, null=False, on_delete=OnDelete.restrict)
        code = Varchar(length=40)
        name = Text()
        field = Varchar(length=200, default="")
        processing_days = Integer(null=True, default=None)
        processing_note = Text(default="")
        documents = JSONB(default="[]")
        fee_vnd = BigInt(null=True, default=None)
        fee_note = Text(default="")
        online_level = Varchar(length=16, null=True, default=None)
        result = Text(default="")
        legal_basis = Text(default="")
        active = Boolean(default=True)
        version = Integer(default=1)
        revision = BigInt(index=True)
        created_at = Timestamptz()
        updated_at = Timestamptz()

    for table in (Counter, Commune, Team, User, LoginSession, ApiToken, Procedure):
        await table.create_table().run()  # type: ignore[no-untyped-call]
    # A unique index rather than a table constraint: SQLite cannot add constraints afterwards.
    await db.execute("CREATE UNIQUE INDEX procedure_commune_code ON procedure (commune, code)")
