"""The audit trail on the wire."""

from __future__ import annotations

from datetime import datetime

import msgspec

__all__ = ["AuditEntry", "AuditPage"]


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One access to personal data: a dossier view with the scans seen inside it, a printed
    form, or a scan opened on its own."""

    id: int
    at: datetime
    actor_name: str
    action: str
    dossier_id: str
    dossier_code: str | None = None
    applicant_name: str | None = None
    subject: str
    """A printed form's number, or the scan opened on its own."""
    client: str
    thumbnails: int = 0
    """Thumbnails loaded during the view."""
    scans: list[str] = msgspec.field(default_factory=list)
    """The scans (sha256) opened full size during the view, in order."""


class AuditPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of the trail, newest first."""

    items: list[AuditEntry]
    total: int
    limit: int
    offset: int
