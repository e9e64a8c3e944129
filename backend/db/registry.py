"""Every table of the service, in dependency order (referenced tables first)."""

from __future__ import annotations

from piccolo.table import Table

from backend.accounts.tables import ApiToken, LoginSession, User
from backend.audit.tables import AuditEntry
from backend.catalog.tables import Procedure
from backend.communes.tables import Commune, Team
from backend.db.tables import Counter
from backend.devices.tables import Device, EnrolmentCode
from backend.dossiers.tables import (
    Dossier,
    DossierDocument,
    DossierEvent,
    HolidayOverride,
    Satisfaction,
)
from backend.sync.tables import SyncBatch, Upload

__all__ = ["TABLES"]

TABLES: tuple[type[Table], ...] = (
    Counter,
    Commune,
    Team,
    User,
    LoginSession,
    ApiToken,
    Procedure,
    Dossier,
    DossierDocument,
    DossierEvent,
    HolidayOverride,
    Satisfaction,
    Device,
    EnrolmentCode,
    SyncBatch,
    Upload,
    AuditEntry,
)
