"""The domain services of one app instance, built once when the app is built."""

from __future__ import annotations

from dataclasses import dataclass

from backend.accounts.services import AccountService
from backend.catalog.services import CatalogService
from backend.communes.services import CommuneService
from backend.context import Context
from backend.dossiers.services import DossierService
from backend.reports.services import ReportService

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

    @classmethod
    def build(cls, ctx: Context) -> Services:
        """Wire every service to ``ctx``."""
        return cls(
            ctx=ctx,
            accounts=AccountService(ctx),
            communes=CommuneService(ctx),
            catalog=CatalogService(ctx),
            dossiers=DossierService(ctx),
            reports=ReportService(ctx),
        )
