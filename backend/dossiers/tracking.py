"""The public side of a receipt's QR: status and dates for the citizen, and their rating.

Never personal data; a wrong token looks exactly like an unknown code (constant-time compare).
"""

from __future__ import annotations

from typing import Any

from backend.clock import local_date
from backend.context import Context
from backend.dossiers import rules
from backend.dossiers.lifecycle import DossierLifecycle
from backend.dossiers.queries import standing_of
from backend.dossiers.tables import Dossier, DossierEvent, Satisfaction
from backend.errors import AppError
from schemas import dossiers as wire
from schemas.dossiers import Action, Standing, Status, Timeliness
from schemas.errors import ErrorCode

__all__ = ["TrackingService"]


class TrackingService:
    """What anybody holding a receipt may see and do."""

    def __init__(self, ctx: Context, lifecycle: DossierLifecycle) -> None:
        self.ctx = ctx
        self.lifecycle = lifecycle

    async def _tracked(self, code: str, token: str) -> dict[str, Any]:
        """The dossier behind a receipt's QR or its typed codes (the dossier code as printed, or
        in capitals as a phone keyboard's lower case gives it); a wrong token looks exactly
        like a wrong code."""
        rows = await Dossier.select(
            Dossier.id,
            Dossier.code,
            Dossier.tracking_token,
            Dossier.status,
            Dossier.received_at,
            Dossier.due_date,
            Dossier.extended_due_date,
            Dossier.finished_at,
            Dossier.timeliness,
            Dossier.procedure.name.as_alias("procedure_name"),
        ).where(Dossier.code.is_in(list({code, code.upper()})))
        row = next((r for r in rows if r["code"] == code), rows[0] if rows else None)
        stored = (row or {}).get("tracking_token") or ""
        if row is None or not rules.tracking_matches(stored, token):
            raise AppError(ErrorCode.not_found, "Không tìm thấy hồ sơ.")
        return row

    async def track(self, code: str, token: str) -> wire.TrackingInfo:
        """Status and dates for the public tracking page."""
        row = await self._tracked(code, token)
        finished = row["finished_at"]
        standing = standing_of(row, local_date(self.ctx.clock.now()))
        label: str | None
        if row["timeliness"]:
            label = Timeliness(row["timeliness"]).label
        elif standing in (Standing.finished, Standing.not_received):
            label = None
        else:
            label = standing.label
        return wire.TrackingInfo(
            code=row["code"],
            procedure_name=row["procedure_name"],
            status=Status(row["status"]).info,
            received_date=local_date(row["received_at"]) if row["received_at"] else None,
            due_date=row["due_date"],
            extended_due_date=row["extended_due_date"],
            finished_date=local_date(finished) if finished else None,
            timeliness=label,
            rated=await Satisfaction.exists().where(Satisfaction.dossier == row["id"]),
            standing=standing,
            postal_tracking=await self._postal_tracking(row["id"]),
        )

    async def _postal_tracking(self, dossier_id: str) -> str:
        """The number of the postal item that took the result, if it went by post."""
        sent = await (
            DossierEvent.select(DossierEvent.payload)
            .where(
                (DossierEvent.dossier == dossier_id)
                & (DossierEvent.action == Action.return_result.value)
            )
            .output(load_json=True)
            .first()
        )
        number: str = (sent or {}).get("payload", {}).get("postal_tracking", "")
        return number

    async def rate(self, code: str, token: str, data: wire.SatisfactionCreate) -> None:
        """A citizen's rating from the tracking page."""
        row = await self._tracked(code, token)
        await self.lifecycle.record_rating(row["id"], data, "citizen")
