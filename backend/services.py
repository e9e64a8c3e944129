"""The domain services of one app instance, built once when the app is built."""

from __future__ import annotations

from dataclasses import dataclass

from backend.accounts.services import AccountService
from backend.audit.services import AuditService
from backend.catalog.services import CatalogService
from backend.communes.services import CommuneService
from backend.context import Context
from backend.devices.services import DeviceService
from backend.dossiers.scans import ScanService
from backend.dossiers.services import DossierService
from backend.reports.services import ReportService
from backend.sync.checks import BlobChecks
from backend.sync.services import BatchService, SyncService
from backend.sync.uploads import UploadService

__all__ = ["Services"]


@dataclass(frozen=True)
class Services:
    """Stateless services sharing one :class:`Context`."""

    ctx: Context
    accounts: AccountService
    communes: CommuneService
    catalog: CatalogService
    dossiers: DossierService
    reports: ReportService
    devices: DeviceService
    sync: SyncService
    uploads: UploadService
    batches: BatchService
    audit: AuditService
    scans: ScanService

    @classmethod
    def build(cls, ctx: Context) -> Services:
        """Wire every service to ``ctx``."""
        communes = CommuneService(ctx)
        catalog = CatalogService(ctx)
        dossiers = DossierService(ctx)
        audit = AuditService(ctx)
        checks = BlobChecks(ctx)
        return cls(
            ctx=ctx,
            accounts=AccountService(ctx),
            communes=communes,
            catalog=catalog,
            dossiers=dossiers,
            reports=ReportService(ctx),
            devices=DeviceService(ctx),
            sync=SyncService(ctx, communes, catalog),
            uploads=UploadService(ctx, checks),
            batches=BatchService(ctx, dossiers, checks),
            audit=audit,
            scans=ScanService(ctx, audit, checks),
        )
