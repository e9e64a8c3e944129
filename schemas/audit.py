"""The audit trail on the wire."""

from __future__ import annotations

from datetime import datetime

import msgspec

__all__ = ["AuditEntry"]


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One access to personal data."""

    at: datetime
    actor_name: str
    action: str
    dossier_id: str
    subject: str
    client: str
