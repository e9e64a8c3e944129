"""The procedure catalog a commune offers."""

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

from backend.communes.tables import Commune

__all__ = ["Procedure"]


class Procedure(Table, tablename="procedure"):
    """An administrative procedure (TTHC) in a commune's catalog.

    ``version`` counts edits of this row (optimistic concurrency); ``revision`` is the commune's
    catalog revision at the last change, so a device can ask for what changed since it synced.
    ``(commune, code)`` is unique (index ``procedure_commune_code``).
    """

    id = Serial(primary_key=True)
    commune = ForeignKey(Commune, null=False, on_delete=OnDelete.restrict)
    code = Varchar(length=40)
    name = Text()
    field = Varchar(length=200, default="")
    processing_days = Integer(null=True, default=None)
    processing_note = Text(default="")
    same_day_cutoff = Varchar(length=8, null=True, default=None)
    """``HH:MM:SS``: a same-day dossier received later is due the next working day."""
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
