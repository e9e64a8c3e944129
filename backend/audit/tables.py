"""The audit trail: who looked at which personal data, and when."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, OnDelete, Serial, Timestamptz, Varchar
from piccolo.table import Table

from backend.communes.tables import Commune

__all__ = ["AuditEntry"]


class AuditEntry(Table, tablename="audit_entry"):
    """One access to personal data (a dossier page, a scan, a printed form). Append-only."""

    id = Serial(primary_key=True)
    commune = ForeignKey(Commune, null=False, on_delete=OnDelete.restrict, index=True)
    at = Timestamptz(index=True)
    actor_id = Varchar(length=40)
    actor_name = Varchar(length=200)
    action = Varchar(length=32)
    """``view_dossier``, ``view_scan``, ``view_thumbnail``, ``print_form``."""
    dossier_id = Varchar(length=26, index=True)
    subject = Varchar(length=100, default="")
    """What exactly: a scan's sha256 or a form's number."""
    client = Varchar(length=64, default="")
    """The caller's address as the server saw it."""
    view_id = Integer(null=True, default=None, index=True)
    """For a scan or thumbnail seen on a dossier's page: the entry of that page view (the
    viewer's latest of the dossier), so the trail shows one row per view with what was seen."""
