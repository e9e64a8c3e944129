"""The composition root: every table, every service, and one dependency per service.

This is the only module that knows every domain. The database package binds whatever table
list it is given; each handler names the services it uses as parameters (``dossiers``,
``lifecycle``, ``scans``...) and Litestar hands it exactly those, from :meth:`Services.provide`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from litestar.di import Provide
from piccolo.table import Table

from backend.accounts.services import AccountService
from backend.accounts.tables import ApiToken, LoginSession, LoginThrottle, User
from backend.audit.services import AuditService
from backend.audit.tables import AuditEntry
from backend.catalog.services import CatalogService
from backend.catalog.tables import Procedure
from backend.communes.services import CommuneService
from backend.communes.tables import Commune, Team
from backend.context import Context
from backend.custody.services import CustodyService
from backend.custody.tables import BlobCustody
from backend.db.tables import Counter
from backend.devices.services import DeviceService
from backend.devices.tables import Device, EnrolmentCode
from backend.dossiers.calendar import CalendarService
from backend.dossiers.lifecycle import DossierLifecycle
from backend.dossiers.queries import DossierQueries
from backend.dossiers.tables import (
    Dossier,
    DossierDocument,
    DossierEvent,
    HolidayOverride,
    Satisfaction,
)
from backend.dossiers.tracking import TrackingService
from backend.reports.services import ReportService
from backend.scans.checks import BlobChecks
from backend.scans.services import ScanService
from backend.sync.services import BatchService, SyncService
from backend.sync.tables import SyncBatch, Upload
from backend.sync.uploads import UploadService

__all__ = ["TABLES", "Services"]

TABLES: tuple[type[Table], ...] = (
    Counter,
    Commune,
    Team,
    User,
    LoginSession,
    ApiToken,
    LoginThrottle,
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
    BlobCustody,
)
"""Every table of the service, in dependency order (referenced tables first)."""


@dataclass(frozen=True)
class Services:
    """The stateless services of one app instance, sharing one :class:`Context`."""

    ctx: Context
    accounts: AccountService
    communes: CommuneService
    catalog: CatalogService
    calendars: CalendarService
    dossiers: DossierQueries
    lifecycle: DossierLifecycle
    tracking: TrackingService
    reports: ReportService
    devices: DeviceService
    sync: SyncService
    uploads: UploadService
    batches: BatchService
    audit: AuditService
    checks: BlobChecks
    scans: ScanService
    custody: CustodyService

    @classmethod
    def build(cls, ctx: Context) -> Services:
        """Wire every service to ``ctx`` and to the services it calls."""
        communes = CommuneService(ctx)
        catalog = CatalogService(ctx)
        calendars = CalendarService(ctx)
        audit = AuditService(ctx)
        checks = BlobChecks(ctx)
        custody = CustodyService(ctx)
        dossiers = DossierQueries(ctx, audit)
        lifecycle = DossierLifecycle(ctx, dossiers, calendars, custody)
        uploads = UploadService(ctx, checks, custody)
        return cls(
            ctx=ctx,
            accounts=AccountService(ctx),
            communes=communes,
            catalog=catalog,
            calendars=calendars,
            dossiers=dossiers,
            lifecycle=lifecycle,
            tracking=TrackingService(ctx, lifecycle),
            reports=ReportService(ctx),
            devices=DeviceService(ctx),
            sync=SyncService(ctx, communes, catalog),
            uploads=uploads,
            batches=BatchService(ctx, lifecycle, dossiers, catalog, checks, uploads, custody),
            audit=audit,
            checks=checks,
            scans=ScanService(ctx, audit, checks, custody),
            custody=custody,
        )

    def provide(self) -> dict[str, Provide]:
        """One dependency per service, named as its field, plus ``clock``, ``settings``, ``db``."""
        values: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        del values["ctx"]
        values["clock"] = self.ctx.clock
        values["settings"] = self.ctx.settings
        values["db"] = self.ctx.db
        return {name: _constant(value) for name, value in values.items()}


def _constant(value: Any) -> Provide:
    def dependency() -> Any:
        return value

    return Provide(dependency, use_cache=True, sync_to_thread=False)
