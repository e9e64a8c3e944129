"""Writing and reading the audit trail."""

from __future__ import annotations

from enum import StrEnum

from piccolo.custom_types import Combinable

from backend.audit.tables import AuditEntry
from backend.auth.principal import Principal
from backend.context import Context
from schemas import audit as wire

__all__ = ["AuditAction", "AuditService"]


class AuditAction(StrEnum):
    """What was looked at."""

    view_dossier = "view_dossier"
    view_scan = "view_scan"
    view_thumbnail = "view_thumbnail"
    print_form = "print_form"


class AuditService:
    """The commune's audit trail."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def record(
        self,
        principal: Principal,
        action: AuditAction,
        dossier_id: str,
        subject: str = "",
        client: str = "",
    ) -> None:
        """Append one entry (its own statement: a read is audited even if nothing else runs)."""
        await AuditEntry.insert(
            AuditEntry(
                commune=principal.commune_code,
                at=self.ctx.clock.now(),
                actor_id=str(principal.user_id),
                actor_name=principal.username,
                action=action.value,
                dossier_id=dossier_id,
                subject=subject[:100],
                client=client[:64],
            )
        )

    async def entries(
        self, principal: Principal, *, dossier_id: str | None = None, limit: int = 200
    ) -> list[wire.AuditEntry]:
        """The newest entries of the caller's commune, optionally for one dossier."""
        where: Combinable = AuditEntry.commune == principal.commune_code
        if dossier_id is not None:
            where &= AuditEntry.dossier_id == dossier_id
        rows = (
            await AuditEntry.select()
            .where(where)
            .order_by(AuditEntry.id, ascending=False)
            .limit(limit)
        )
        return [
            wire.AuditEntry(
                at=r["at"],
                actor_name=r["actor_name"],
                action=r["action"],
                dossier_id=r["dossier_id"],
                subject=r["subject"],
                client=r["client"],
            )
            for r in rows
        ]
