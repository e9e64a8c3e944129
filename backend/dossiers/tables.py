"""Dossiers, their scanned documents, their custody events, holiday overrides, ratings."""

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

from backend.catalog.tables import Procedure
from backend.communes.tables import Commune, Team

__all__ = ["Dossier", "DossierDocument", "DossierEvent", "HolidayOverride", "Satisfaction"]


class Dossier(Table, tablename="dossier"):
    """An administrative-procedure dossier (hồ sơ TTHC), keyed by its client-made ULID.

    ``search_text`` holds the code and applicant name without diacritics, lower case, so a
    clerk typing "tran huu dat" finds "Trần Hữu Đạt".
    """

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
    extended_due_date = Date(null=True, default=None)
    """The new date an apology (Mẫu 04) promised; timeliness still counts ``due_date``."""
    processing_days = Integer(null=True, default=None)
    """The working days the dossier was received with (the catalog's, or the clerk's)."""
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


class DossierDocument(Table, tablename="dossier_document"):
    """A scanned page; a supplement adds pages under the next ``doc_version``, old ones stay."""

    id = Serial(primary_key=True)
    dossier = ForeignKey(Dossier, null=False, on_delete=OnDelete.restrict, index=True)
    doc_version = Integer(default=1)
    document_key = Varchar(length=64)
    sha256 = Varchar(length=64, index=True)
    page = Integer(default=1)
    media_type = Varchar(length=100, default="image/jpeg")


class DossierEvent(Table, tablename="dossier_event"):
    """One step of custody. Append-only: rows are never updated or deleted."""

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


class HolidayOverride(Table, tablename="holiday_override"):
    """A commune's change to the national calendar: an extra day off or working day."""

    id = Serial(primary_key=True)
    commune = ForeignKey(Commune, null=False, on_delete=OnDelete.restrict)
    day = Date()
    kind = Varchar(length=8)
    note = Text(default="")
    created_at = Timestamptz()


class Satisfaction(Table, tablename="satisfaction"):
    """The one satisfaction rating of a dossier."""

    id = Serial(primary_key=True)
    dossier = ForeignKey(Dossier, null=False, unique=True, on_delete=OnDelete.restrict)
    level = Varchar(length=24)
    comment = Text(default="")
    source = Varchar(length=16)
    at = Timestamptz()
