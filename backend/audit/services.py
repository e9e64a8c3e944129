"""Writing and reading the audit trail.

The trail is append-only. A scan or thumbnail seen on a dossier's page names that page view
(``view_id``, the viewer's latest view of the dossier), so the trail reads one row per view,
with how many thumbnails loaded and which scans were opened, instead of a row per image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from piccolo.columns.combination import WhereRaw
from piccolo.custom_types import Combinable

from backend.audit.tables import AuditEntry
from backend.auth.principal import Principal
from backend.clock import VN_TZ
from backend.context import Context
from schemas import audit as wire

__all__ = ["VIEW_WINDOW", "AuditAction", "AuditFilter", "AuditService"]


class AuditAction(StrEnum):
    """What was looked at."""

    view_dossier = "view_dossier"
    view_scan = "view_scan"
    view_thumbnail = "view_thumbnail"
    print_form = "print_form"

    @property
    def label(self) -> str:
        """How the audit page and its CSV name it."""
        return {
            "view_dossier": "Xem hồ sơ",
            "view_scan": "Xem ảnh giấy tờ",
            "view_thumbnail": "Xem ảnh thu nhỏ",
            "print_form": "In phiếu",
        }[self.value]


_INSIDE_A_VIEW = (AuditAction.view_scan, AuditAction.view_thumbnail)
VIEW_WINDOW = timedelta(hours=8)
"""How long after opening a dossier a scan of it still counts as seen in that view."""


@dataclass(frozen=True)
class AuditFilter:
    """Which rows of the trail: by person, dossier, kind and Vietnam-time dates."""

    actor_name: str | None = None
    dossier_ids: Sequence[str] | None = None
    """The dossiers a code search found (an empty list finds nothing)."""
    action: AuditAction | None = None
    """``view_scan``: the views in which a scan was opened full size."""
    date_from: date | None = None
    date_to: date | None = None
    limit: int = 50
    offset: int = 0


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
        now = self.ctx.clock.now()
        view_id = None
        if action in _INSIDE_A_VIEW:
            view = (
                await AuditEntry.select(AuditEntry.id)
                .where(
                    (AuditEntry.commune == principal.commune_code)
                    & (AuditEntry.actor_id == str(principal.user_id))
                    & (AuditEntry.dossier_id == dossier_id)
                    & (AuditEntry.action == AuditAction.view_dossier.value)
                    & (AuditEntry.at >= now - VIEW_WINDOW)
                )
                .order_by(AuditEntry.id, ascending=False)
                .first()
            )
            view_id = view["id"] if view else None
        await AuditEntry.insert(
            AuditEntry(
                commune=principal.commune_code,
                at=now,
                actor_id=str(principal.user_id),
                actor_name=principal.username,
                action=action.value,
                dossier_id=dossier_id,
                subject=subject[:100],
                client=client[:64],
                view_id=view_id,
            )
        )

    async def entries(self, principal: Principal, chosen: AuditFilter) -> wire.AuditPage:
        """The caller's commune's trail, newest first: one row per view (with what was seen
        in it), per printed form, and per scan opened outside a view."""
        where: Combinable = (AuditEntry.commune == principal.commune_code) & (
            AuditEntry.view_id.is_null()
        )
        if chosen.actor_name:
            where &= AuditEntry.actor_name == chosen.actor_name
        if chosen.dossier_ids is not None:
            if not chosen.dossier_ids:
                return wire.AuditPage(items=[], total=0, limit=chosen.limit, offset=chosen.offset)
            where &= AuditEntry.dossier_id.is_in(list(chosen.dossier_ids))
        if chosen.action is AuditAction.view_scan:
            where &= (AuditEntry.action == AuditAction.view_scan.value) | WhereRaw(
                "id IN (SELECT view_id FROM audit_entry WHERE action = {} "
                "AND view_id IS NOT NULL AND commune = {})",
                AuditAction.view_scan.value,
                principal.commune_code,
            )
        elif chosen.action is not None:
            where &= AuditEntry.action == chosen.action.value
        if chosen.date_from is not None:
            where &= AuditEntry.at >= _start_of(chosen.date_from)
        if chosen.date_to is not None:
            where &= AuditEntry.at < _start_of(chosen.date_to + timedelta(days=1))
        total = await AuditEntry.count().where(where)
        rows = (
            await AuditEntry.select()
            .where(where)
            .order_by(AuditEntry.id, ascending=False)
            .limit(chosen.limit)
            .offset(chosen.offset)
        )
        seen: dict[int, tuple[int, list[str]]] = {r["id"]: (0, []) for r in rows}
        if seen:
            inside = (
                await AuditEntry.select(AuditEntry.view_id, AuditEntry.action, AuditEntry.subject)
                .where(AuditEntry.view_id.is_in(list(seen)))
                .order_by(AuditEntry.id)
            )
            for r in inside:
                thumbnails, scans = seen[r["view_id"]]
                if r["action"] == AuditAction.view_thumbnail.value:
                    seen[r["view_id"]] = (thumbnails + 1, scans)
                elif r["subject"] not in scans:
                    scans.append(r["subject"])
        items = [
            wire.AuditEntry(
                id=r["id"],
                at=r["at"],
                actor_name=r["actor_name"],
                action=r["action"],
                dossier_id=r["dossier_id"],
                subject=r["subject"],
                client=r["client"],
                thumbnails=seen[r["id"]][0],
                scans=seen[r["id"]][1],
            )
            for r in rows
        ]
        return wire.AuditPage(items=items, total=total, limit=chosen.limit, offset=chosen.offset)

    async def actors(self, principal: Principal) -> list[str]:
        """Everyone who appears in the commune's trail, by name."""
        rows = (
            await AuditEntry.select(AuditEntry.actor_name)
            .where(AuditEntry.commune == principal.commune_code)
            .distinct()
            .order_by(AuditEntry.actor_name)
        )
        return [r["actor_name"] for r in rows]


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=VN_TZ)
