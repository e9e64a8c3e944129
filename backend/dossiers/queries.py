"""Reading dossiers: the inbox, one dossier, its timeline.

Every read is scoped to the caller's commune (another commune's dossier is a 404). A read that
returns an applicant's personal data to a person records the audit entry here, so the API, the
pages and the printed forms are audited alike without each remembering to be.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import msgspec
from piccolo.custom_types import Combinable

from backend.audit.services import AuditAction, AuditService
from backend.auth.principal import Principal
from backend.auth.roles import Permission
from backend.clock import local_date
from backend.context import Context
from backend.dossiers import deadlines, rules
from backend.dossiers.states import CLOSED, PAUSING
from backend.dossiers.tables import Dossier, DossierDocument, DossierEvent
from backend.errors import AppError
from schemas import dossiers as wire
from schemas.dossiers import Standing, Status
from schemas.errors import ErrorCode

__all__ = ["DossierQueries", "InboxFilter", "standing_where", "withhold"]

_CODE_TEXT = re.compile(r"[A-Za-z0-9.\-]{1,60}")


@dataclass(frozen=True)
class InboxFilter:
    """Filters of the clerk's inbox."""

    statuses: Sequence[Status] = ()
    team_id: int | None = None
    procedure_code: str | None = None
    channel: wire.Channel | None = None
    standing: Standing | None = None
    """Only dossiers that stand so today (``deadlines.standing``)."""
    q: str | None = None
    limit: int = 50
    offset: int = 0


def _values(statuses: frozenset[Status]) -> list[int]:
    return sorted(s.value for s in statuses)


def standing_where(standing: Standing, today: date) -> Combinable:
    """The SQL form of ``deadlines.standing(...) == standing`` on ``today``.

    Built from the same status sets and thresholds as the pure rule; a test runs both over
    every status and due date on both engines and checks that they agree.
    """
    running = Dossier.finished_at.is_null() & Dossier.status.is_in(_values(deadlines.CLOCK_RUNNING))
    soon = deadlines.due_soon_until(today)
    if standing is Standing.finished:
        return Dossier.finished_at.is_not_null() | Dossier.status.is_in(_values(CLOSED))
    open_: Combinable = Dossier.finished_at.is_null() & Dossier.status.not_in(_values(CLOSED))
    if standing is Standing.not_received:
        return open_ & Dossier.due_date.is_null()
    if standing is Standing.paused:
        return open_ & Dossier.due_date.is_not_null() & Dossier.status.is_in(_values(PAUSING))
    if standing is Standing.overdue:
        return running & (Dossier.due_date < today)
    if standing is Standing.due_soon:
        return running & (Dossier.due_date >= today) & (Dossier.due_date <= soon)
    return running & (Dossier.due_date > soon)


def standing_of(row: dict[str, Any], today: date) -> Standing:
    """The standing of a dossier row (``status``, ``due_date`` and ``finished_at`` read)."""
    return deadlines.standing(
        Status(row["status"]), row["due_date"], today, finished=row["finished_at"] is not None
    )


class DossierQueries:
    """Dossiers of the caller's commune, read."""

    def __init__(self, ctx: Context, audit: AuditService) -> None:
        self.ctx = ctx
        self.audit = audit

    def today(self) -> date:
        """Today's date in Vietnam, by the injected clock."""
        return local_date(self.ctx.clock.now())

    async def row(self, commune_code: str, dossier_id: str) -> dict[str, Any]:
        """The dossier's row with its procedure's name; 404 outside ``commune_code``."""
        row = await (
            Dossier.select(
                *Dossier.all_columns(), Dossier.procedure.name.as_alias("procedure_name")
            )
            .where((Dossier.id == dossier_id) & (Dossier.commune == commune_code))
            .first()
        )
        if row is None:
            raise AppError(ErrorCode.not_found, "Không tìm thấy hồ sơ.")
        return row

    async def get(self, principal: Principal, dossier_id: str, *, client: str = "") -> wire.Dossier:
        """One dossier with its applicant and documents, for a staff member; audited."""
        dossier = withhold(
            principal, await self.view(await self.row(principal.commune_code, dossier_id))
        )
        await self.audit.record(principal, AuditAction.view_dossier, dossier_id, "", client)
        return dossier

    async def named(
        self, commune_code: str, dossier_ids: Sequence[str]
    ) -> dict[str, tuple[str | None, str]]:
        """Each dossier's code and applicant name, as the audit trail names them."""
        if not dossier_ids:
            return {}
        rows = await Dossier.select(Dossier.id, Dossier.code, Dossier.applicant_name).where(
            (Dossier.commune == commune_code) & Dossier.id.is_in(list(set(dossier_ids)))
        )
        return {r["id"]: (r["code"], r["applicant_name"]) for r in rows}

    async def ids_by_code(self, commune_code: str, code: str, limit: int = 500) -> list[str]:
        """The commune's dossiers whose code contains ``code`` as typed or in capitals. A dossier
        code is letters, digits, dots and dashes; anything else matches nothing (so no
        character of the search is a LIKE wildcard)."""
        if not _CODE_TEXT.fullmatch(code):
            return []
        rows = (
            await Dossier.select(Dossier.id)
            .where(
                (Dossier.commune == commune_code)
                & (Dossier.code.like(f"%{code}%") | Dossier.code.like(f"%{code.upper()}%"))
            )
            .limit(limit)
        )
        return [r["id"] for r in rows]

    async def view_for(self, commune_code: str, dossier_id: str) -> wire.Dossier:
        """A dossier as the server's own work needs it (a commit, an action's answer)."""
        return await self.view(await self.row(commune_code, dossier_id))

    async def view(self, row: dict[str, Any]) -> wire.Dossier:
        """The wire form of a dossier row, with its current documents."""
        documents = await (
            DossierDocument.select()
            .where(DossierDocument.dossier == row["id"])
            .order_by(DossierDocument.doc_version)
            .order_by(DossierDocument.id)
        )
        return wire.Dossier(
            id=row["id"],
            commune_code=row["commune"],
            procedure_code=row["procedure_code"],
            procedure_name=row["procedure_name"],
            catalog_revision=row["catalog_revision"],
            applicant=wire.ApplicantView(
                full_name=row["applicant_name"],
                id_number=row["applicant_id_number"],
                birth_date=row["applicant_birth_date"],
                gender=wire.Gender(row["applicant_gender"]) if row["applicant_gender"] else None,
                address=row["applicant_address"],
                phone=row["applicant_phone"],
            ),
            channel=wire.Channel(row["channel"]),
            team_id=row["team"],
            device_id=row["device_id"],
            captured_at=row["captured_at"],
            capture_place=row["capture_place"],
            consent=row["consent"],
            delivery=wire.Delivery(
                method=wire.DeliveryMethod(row["delivery_method"]),
                address=row["delivery_address"],
            ),
            documents=[
                wire.DocumentRef(
                    key=d["document_key"],
                    sha256=d["sha256"],
                    page=d["page"],
                    media_type=d["media_type"],
                )
                for d in documents
            ],
            note=row["note"],
            status=Status(row["status"]).info,
            code=row["code"],
            tracking_token=row["tracking_token"],
            received_at=row["received_at"],
            due_date=row["due_date"],
            original_due_date=row["original_due_date"],
            extended_due_date=row["extended_due_date"],
            processing_days=row["processing_days"],
            paused_working_days=row["paused_working_days"],
            fee_vnd=row["fee_vnd"],
            finished_at=row["finished_at"],
            timeliness=wire.Timeliness(row["timeliness"]) if row["timeliness"] else None,
            version=row["version"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            standing=standing_of(row, self.today()),
        )

    def _where(self, principal: Principal, f: InboxFilter) -> Combinable:
        where: Combinable = Dossier.commune == principal.commune_code
        if f.statuses:
            where &= Dossier.status.is_in([s.value for s in f.statuses])
        if f.team_id is not None:
            where &= Dossier.team == f.team_id
        if f.procedure_code:
            where &= Dossier.procedure_code == f.procedure_code
        if f.channel is not None:
            where &= Dossier.channel == f.channel.value
        if f.standing is not None:
            where &= standing_where(f.standing, self.today())
        if f.q:
            needle = rules.fold(f.q.strip()).replace("%", "").replace("_", "")
            if principal.can(Permission.id_number) or not any(c.isdigit() for c in needle):
                where &= Dossier.search_text.like(f"%{needle}%")
            else:
                # Searching by ID number would tell who holds it: a caller who may not see
                # ID numbers finds digits in dossier codes only.
                where &= Dossier.code.like(f"%{needle.upper()}%")
        return where

    async def count(self, principal: Principal, f: InboxFilter) -> int:
        """How many of the commune's dossiers the filter admits (an inbox tab's number)."""
        return int(await Dossier.count().where(self._where(principal, f)))

    async def inbox(self, principal: Principal, f: InboxFilter) -> wire.DossierPage:
        """The commune's dossiers, newest first, filtered."""
        today = self.today()
        where = self._where(principal, f)
        total = await Dossier.count().where(where)
        rows = await (
            Dossier.select(
                Dossier.id,
                Dossier.code,
                Dossier.status,
                Dossier.procedure_code,
                Dossier.procedure.name.as_alias("procedure_name"),
                Dossier.applicant_name,
                Dossier.channel,
                Dossier.team,
                Dossier.received_at,
                Dossier.due_date,
                Dossier.finished_at,
                Dossier.created_at,
            )
            .where(where)
            .order_by(Dossier.created_at, ascending=False)
            .order_by(Dossier.id, ascending=False)
            .limit(f.limit)
            .offset(f.offset)
        )
        items = []
        for r in rows:
            standing = standing_of(r, today)
            items.append(
                wire.DossierSummary(
                    id=r["id"],
                    code=r["code"],
                    status=Status(r["status"]).info,
                    procedure_code=r["procedure_code"],
                    procedure_name=r["procedure_name"],
                    applicant_name=r["applicant_name"],
                    channel=wire.Channel(r["channel"]),
                    team_id=r["team"],
                    received_at=r["received_at"],
                    due_date=r["due_date"],
                    overdue=standing is Standing.overdue,
                    created_at=r["created_at"],
                    standing=standing,
                )
            )
        return wire.DossierPage(items=items, total=total, limit=f.limit, offset=f.offset)

    async def events(self, principal: Principal, dossier_id: str) -> list[wire.DossierEvent]:
        """The dossier's custody timeline, oldest first (postal addresses withheld from a
        caller who may not see the applicant's details)."""
        hide = not principal.can(Permission.applicant)
        await self.row(principal.commune_code, dossier_id)
        rows = await (
            DossierEvent.select()
            .where(DossierEvent.dossier == dossier_id)
            .order_by(DossierEvent.seq)
            .output(load_json=True)
        )
        return [
            wire.DossierEvent(
                seq=r["seq"],
                dossier_id=r["dossier"],
                action=r["action"],
                from_status=Status(r["from_status"]).info if r["from_status"] else None,
                to_status=Status(r["to_status"]).info,
                actor_kind=r["actor_kind"],
                actor_name=r["actor_name"],
                at=r["at"],
                payload=_payload(r["payload"], hide),
            )
            for r in rows
        ]


def _payload(stored: dict[str, Any], hide_address: bool) -> wire.EventPayload:
    payload = msgspec.convert(stored, wire.EventPayload)
    if hide_address and payload.address:
        return msgspec.structs.replace(payload, address="")
    return payload


def withhold(principal: Principal, dossier: wire.Dossier) -> wire.Dossier:
    """The dossier as ``principal`` may see it (``backend.auth.roles``): the applicant's
    details, ID number and tracking token blanked, and named in ``withheld``, for a role
    without them. The one place a dossier is cut to its reader."""
    applicant = dossier.applicant
    withheld: list[str] = []
    changes: dict[str, Any] = {}
    if not principal.can(Permission.id_number):
        changes["id_number"] = None
        withheld.append("applicant.id_number")
    if not principal.can(Permission.applicant):
        changes |= {"birth_date": None, "gender": None, "address": None, "phone": None}
        withheld += [f"applicant.{k}" for k in ("birth_date", "gender", "address", "phone")]
    if not withheld and principal.can(Permission.forms):
        return dossier
    delivery = dossier.delivery
    if not principal.can(Permission.applicant) and delivery.address:
        delivery = msgspec.structs.replace(delivery, address="")
        withheld.append("delivery.address")
    token = dossier.tracking_token
    if not principal.can(Permission.forms) and token is not None:
        token = None
        withheld.append("tracking_token")
    return msgspec.structs.replace(
        dossier,
        applicant=msgspec.structs.replace(applicant, **changes),
        delivery=delivery,
        tracking_token=token,
        withheld=withheld,
    )
