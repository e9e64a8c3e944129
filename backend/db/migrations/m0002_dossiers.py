"""Dossiers, documents, custody events, holiday overrides, satisfaction ratings."""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    BigInt,
    Boolean,
    Date,
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

ID = "m0002_dossiers"
DESCRIPTION = "dossiers, documents, custody events, holiday overrides, satisfaction"


async def forwards(db: Database) -> None:
    """Create the dossier tables as they were at this migration."""
    engine = db.engine

    # Referenced tables, declared only for their keys (they exist since m0001).
    class Commune(Table, tablename="commune", db=engine):
        code = Varchar(length=5, primary_key=True)

    class Team(Table, tablename="team", db=engine):
        id = Serial(primary_key=True)

    class Procedure(Table, tablename="procedure", db=engine):
        id = Serial(primary_key=True)

    class Dossier(Table, tablename="dossier", db=engine):
        id = Varchar(length=26, primary_key=True)
        commune = ForeignKey(Commune, null=False, on_delete=OnDelete.restrict, index=True)
        procedure = ForeignKey(Procedure, null=False, on_delete=OnDelete.restrict)
        procedure_code = Varchar(length=40)
        catalog_revision = BigInt()
        channel = Varchar(length=24)
        team = ForeignKey(Team, null=True, default=None, on_delete=OnDelete.restrict)
        device_id = Varchar(length=40, null=True, default=None)
        applicant_name = Varchar(length=200)
        applicant_id_number = Varchar(length=12)
        applicant_birth_date = Date(null=True, default=None)
        applicant_gender = Varchar(length=8, null=True, default=None)
        applicant_address = Text(default="")
        applicant_phone = Varchar(length=20, default="")
        captured_at = Timestamptz(null=True, default=None)
        capture_place = Text(default="")
        consent = Boolean(default=False)
        delivery_method = Varchar(length=8, default="counter")
        delivery_address = Text(default="")
        note = Text(default="")
        status = Integer(index=True)
        code = Varchar(length=60, null=True, default=None, unique=True)
        tracking_token = Varchar(length=64, null=True, default=None)
        received_at = Timestamptz(null=True, default=None)
        due_date = Date(null=True, default=None, index=True)
        original_due_date = Date(null=True, default=None)
        paused_since = Timestamptz(null=True, default=None)
        paused_working_days = Integer(default=0)
        fee_vnd = BigInt(null=True, default=None)
        finished_at = Timestamptz(null=True, default=None)
        timeliness = Varchar(length=12, null=True, default=None)
        search_text = Text(default="")
        content_hash = Varchar(length=64, default="")
        version = Integer(default=1)
        created_at = Timestamptz(index=True)
        updated_at = Timestamptz()

    class DossierDocument(Table, tablename="dossier_document", db=engine):
        id = Serial(primary_key=True)
        dossier = ForeignKey(Dossier, null=False, on_delete=OnDelete.restrict, index=True)
        doc_version = Integer(default=1)
        document_key = Varchar(length=64)
        sha256 = Varchar(length=64, index=True)
        page = Integer(default=1)
        media_type = Varchar(length=100, default="image/jpeg")

    class DossierEvent(Table, tablename="dossier_event", db=engine):
        seq = BigInt(primary_key=True)
        dossier = ForeignKey(Dossier, null=False, on_delete=OnDelete.restrict, index=True)
        commune = ForeignKey(Commune, null=False, on_delete=OnDelete.restrict)
        team = ForeignKey(Team, null=True, default=None, on_delete=OnDelete.restrict, index=True)
        action = Varchar(length=32)
        from_status = Integer(null=True, default=None)
        to_status = Integer()
        actor_kind = Varchar(length=16)
        actor_id = Varchar(length=40)
        actor_name = Varchar(length=200)
        at = Timestamptz()
        payload = JSONB(default="{}")

    class HolidayOverride(Table, tablename="holiday_override", db=engine):
        id = Serial(primary_key=True)
        commune = ForeignKey(Commune, null=False, on_delete=OnDelete.restrict)
        day = Date()
        kind = Varchar(length=8)
        note = Text(default="")
        created_at = Timestamptz()

    class Satisfaction(Table, tablename="satisfaction", db=engine):
        id = Serial(primary_key=True)
        dossier = ForeignKey(Dossier, null=False, unique=True, on_delete=OnDelete.restrict)
        level = Varchar(length=24)
        comment = Text(default="")
        source = Varchar(length=16)
        at = Timestamptz()

    for table in (Dossier, DossierDocument, DossierEvent, HolidayOverride, Satisfaction):
        await table.create_table().run()  # type: ignore[no-untyped-call]
    await db.execute(
        "CREATE UNIQUE INDEX holiday_override_commune_day ON holiday_override (commune, day)"
    )
    await db.execute("CREATE INDEX dossier_commune_status ON dossier (commune, status)")
