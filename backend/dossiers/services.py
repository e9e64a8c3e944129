"""Dossier intake, the clerk's actions and the custody timeline.

Every change of a dossier and the event recording it are written in one transaction; the event's
sequence number comes from a counter incremented in that transaction, so sequence order is
commit order and a change feed reading ``seq > cursor`` never skips a late commit.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import holidays
import msgspec
from piccolo.custom_types import Combinable
from ulid import ULID

from backend.accounts.principal import Principal
from backend.catalog.tables import Procedure
from backend.communes.tables import Commune
from backend.context import Context
from backend.db.counters import next_value
from backend.db.engine import is_unique_violation
from backend.dossiers import rules
from backend.dossiers.states import (
    FINISHING,
    PAUSING,
    Action,
    IllegalTransitionError,
    Status,
    next_status,
)
from backend.dossiers.tables import (
    Dossier,
    DossierDocument,
    DossierEvent,
    HolidayOverride,
    Satisfaction,
)
from backend.dossiers.workdays import WorkCalendar
from backend.errors import AppError, ErrorCode
from schemas import dossiers as wire
from schemas.common import FieldError

__all__ = [
    "EVENT_COUNTER",
    "VN_TZ",
    "Actor",
    "DossierService",
    "FieldCapture",
    "InboxFilter",
    "local_date",
]

VN_TZ = timezone(timedelta(hours=7), "ICT")
"""Vietnam time (no daylight saving): receipt dates and deadlines are local calendar dates."""

EVENT_COUNTER = "dossier-events"

_CLOSED = FINISHING | {Status.withdrawn}
_OPEN_STATUSES = [s.value for s in Status if s not in _CLOSED]
"""Statuses whose return date is still running or already missed."""


def local_date(at: datetime) -> date:
    """The calendar date in Vietnam at instant ``at``."""
    return at.astimezone(VN_TZ).date()


@dataclass(frozen=True)
class Actor:
    """Who caused an event."""

    kind: str
    id: str
    name: str

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        """The staff member behind a request."""
        return cls("user", str(principal.user_id), principal.username)


@dataclass(frozen=True)
class InboxFilter:
    """Filters of the clerk's inbox."""

    statuses: Sequence[Status] = ()
    team_id: int | None = None
    procedure_code: str | None = None
    channel: wire.Channel | None = None
    overdue: bool | None = None
    due_by: date | None = None
    """Open dossiers whose return date is on or before this day (and not yet past)."""
    q: str | None = None
    limit: int = 50
    offset: int = 0


def _status(code: int) -> wire.StatusInfo:
    status = Status(code)
    return wire.StatusInfo(code=status.value, label=status.label)


@dataclass(frozen=True)
class FieldCapture:
    """Where and by whom a dossier was captured outside the counter."""

    team_id: int
    device_id: str
    captured_at: datetime
    place: str = ""
    batch_id: str | None = None
    """The sync batch that brought it."""
    uploaded_at: datetime | None = None
    """When the device posted that batch's manifest."""

    def payload(self) -> dict[str, Any]:
        """What the dossier's first event records of its way from the household."""
        return {
            "captured_at": self.captured_at.isoformat(),
            "place": self.place,
            "batch_id": self.batch_id,
            "uploaded_at": self.uploaded_at.isoformat() if self.uploaded_at else None,
        }


def _content_hash(data: wire.DossierCreate, capture: FieldCapture | None = None) -> str:
    """Hash of everything a client sent except the id: equal hashes mean a true duplicate."""
    content = {**msgspec.to_builtins(data), "id": None}
    if capture is not None:
        content["capture"] = [capture.captured_at.isoformat(), capture.place]
    body = msgspec.json.encode(content, order="sorted")
    return hashlib.sha256(body).hexdigest()


def _version_check(row: dict[str, Any], body: wire.VersionCheck) -> None:
    if body.version is not None and body.version != row["version"]:
        raise AppError(
            ErrorCode.stale_version,
            f"Hồ sơ đã thay đổi (phiên bản {row['version']}), hãy tải lại.",
        )


class DossierService:
    """Dossiers of the caller's commune."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # --- reading --------------------------------------------------------------------------

    async def calendar(self, commune_code: str) -> WorkCalendar:
        """The national calendar with the commune's overrides."""
        rows = await HolidayOverride.select(HolidayOverride.day, HolidayOverride.kind).where(
            HolidayOverride.commune == commune_code
        )
        return WorkCalendar(
            extra_days_off=[r["day"] for r in rows if r["kind"] == "off"],
            extra_working_days=[r["day"] for r in rows if r["kind"] == "work"],
        )

    async def _row(self, commune_code: str, dossier_id: str) -> dict[str, Any]:
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

    async def get(self, principal: Principal, dossier_id: str) -> wire.Dossier:
        """One dossier of the caller's commune, with its current documents."""
        return await self._dossier(await self._row(principal.commune_code, dossier_id))

    async def _dossier(self, row: dict[str, Any]) -> wire.Dossier:
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
            applicant=wire.Applicant(
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
            status=_status(row["status"]),
            code=row["code"],
            tracking_token=row["tracking_token"],
            received_at=row["received_at"],
            due_date=row["due_date"],
            original_due_date=row["original_due_date"],
            paused_working_days=row["paused_working_days"],
            fee_vnd=row["fee_vnd"],
            finished_at=row["finished_at"],
            timeliness=row["timeliness"],
            version=row["version"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )

    async def count(self, principal: Principal, f: InboxFilter) -> int:
        """How many of the commune's dossiers the filter admits (an inbox tab's number)."""
        return int(await Dossier.count().where(self._inbox_where(principal, f)))

    def _inbox_where(self, principal: Principal, f: InboxFilter) -> Combinable:
        today = local_date(self.ctx.clock.now())
        where: Combinable = Dossier.commune == principal.commune_code
        if f.statuses:
            where &= Dossier.status.is_in([s.value for s in f.statuses])
        if f.team_id is not None:
            where &= Dossier.team == f.team_id
        if f.procedure_code:
            where &= Dossier.procedure_code == f.procedure_code
        if f.channel is not None:
            where &= Dossier.channel == f.channel.value
        if f.overdue is True:
            where &= (
                (Dossier.due_date < today)
                & Dossier.finished_at.is_null()
                & Dossier.status.is_in(_OPEN_STATUSES)
            )
        if f.due_by is not None:
            where &= (
                (Dossier.due_date >= today)
                & (Dossier.due_date <= f.due_by)
                & Dossier.finished_at.is_null()
            )
        if f.q:
            needle = rules.fold(f.q.strip()).replace("%", "").replace("_", "")
            where &= Dossier.search_text.like(f"%{needle}%")
        return where

    async def inbox(self, principal: Principal, f: InboxFilter) -> wire.DossierPage:
        """The commune's dossiers, newest first, filtered."""
        today = local_date(self.ctx.clock.now())
        where = self._inbox_where(principal, f)
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
        items = [
            wire.DossierSummary(
                id=r["id"],
                code=r["code"],
                status=_status(r["status"]),
                procedure_code=r["procedure_code"],
                procedure_name=r["procedure_name"],
                applicant_name=r["applicant_name"],
                channel=wire.Channel(r["channel"]),
                team_id=r["team"],
                received_at=r["received_at"],
                due_date=r["due_date"],
                overdue=bool(
                    r["due_date"]
                    and r["finished_at"] is None
                    and r["status"] in _OPEN_STATUSES
                    and r["due_date"] < today
                ),
                created_at=r["created_at"],
            )
            for r in rows
        ]
        return wire.DossierPage(items=items, total=total, limit=f.limit, offset=f.offset)

    async def events(self, principal: Principal, dossier_id: str) -> list[wire.DossierEvent]:
        """The dossier's custody timeline, oldest first."""
        await self._row(principal.commune_code, dossier_id)
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
                from_status=_status(r["from_status"]) if r["from_status"] else None,
                to_status=_status(r["to_status"]),
                actor_kind=r["actor_kind"],
                actor_name=r["actor_name"],
                at=r["at"],
                payload=r["payload"],
            )
            for r in rows
        ]

    # --- intake ---------------------------------------------------------------------------

    async def create(
        self,
        commune_code: str,
        data: wire.DossierCreate,
        actor: Actor,
        *,
        dossier_id: str | None = None,
        capture: FieldCapture | None = None,
    ) -> tuple[wire.Dossier, bool]:
        """Register a submitted dossier; return it and whether it is new.

        The same id with the same content is a duplicate (the existing dossier, nothing new);
        with other content it is a 409 ``dossier_conflict``. ``capture`` records the team and
        device of a dossier captured in the field.
        """
        if not data.consent:
            raise AppError(
                ErrorCode.consent_required, "Hồ sơ cần có sự đồng ý của người nộp (Luật 91/2025)."
            )
        if data.delivery.method is wire.DeliveryMethod.post and not data.delivery.address.strip():
            raise AppError(
                ErrorCode.validation_failed,
                "Trả kết quả qua bưu chính cần địa chỉ nhận.",
                errors=[FieldError(field="body.delivery.address", message="required for post")],
            )
        identifier = dossier_id or data.id or str(ULID.from_datetime(self.ctx.clock.now()))
        content_hash = _content_hash(data, capture)
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction():
            existing = (
                await Dossier.select(Dossier.commune, Dossier.content_hash)
                .where(Dossier.id == identifier)
                .first()
            )
            if existing is not None:
                if existing["commune"] == commune_code and existing["content_hash"] == content_hash:
                    return await self._dossier(await self._row(commune_code, identifier)), False
                raise AppError(
                    ErrorCode.dossier_conflict,
                    f"Mã hồ sơ {identifier} đã được dùng cho nội dung khác.",
                )
            procedure = await (
                Procedure.select()
                .where(
                    (Procedure.commune == commune_code)
                    & (Procedure.code == data.procedure_code)
                    & (Procedure.active == True)  # noqa: E712 - Piccolo SQL
                )
                .output(load_json=True)
                .first()
            )
            if procedure is None:
                raise AppError(
                    ErrorCode.unknown_procedure,
                    f"Thủ tục {data.procedure_code} không có trong danh mục của xã.",
                )
            known_keys = {d["key"] for d in procedure["documents"]}
            unknown = sorted({d.key for d in data.documents} - known_keys)
            if unknown:
                raise AppError(
                    ErrorCode.unknown_document,
                    f"Giấy tờ không thuộc thủ tục: {', '.join(unknown)}.",
                )
            applicant = data.applicant
            await Dossier.insert(
                Dossier(
                    id=identifier,
                    commune=commune_code,
                    procedure=procedure["id"],
                    procedure_code=procedure["code"],
                    catalog_revision=procedure["revision"],
                    channel=data.channel.value,
                    team=capture.team_id if capture else None,
                    device_id=capture.device_id if capture else None,
                    captured_at=capture.captured_at if capture else None,
                    capture_place=capture.place if capture else "",
                    applicant_name=applicant.full_name,
                    applicant_id_number=applicant.id_number,
                    applicant_birth_date=applicant.birth_date,
                    applicant_gender=applicant.gender.value if applicant.gender else None,
                    applicant_address=applicant.address,
                    applicant_phone=applicant.phone,
                    consent=True,
                    delivery_method=data.delivery.method.value,
                    delivery_address=data.delivery.address,
                    note=data.note,
                    status=Status.submitted.value,
                    search_text=rules.fold(f"{applicant.full_name} {applicant.id_number}"),
                    content_hash=content_hash,
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )
            await self._add_documents(identifier, 1, data.documents)
            await self._event(
                identifier,
                commune_code,
                capture.team_id if capture else None,
                None,
                Status.submitted,
                "submit",
                actor,
                now,
                capture.payload() if capture else {},
            )
        return await self._dossier(await self._row(commune_code, identifier)), True

    async def _add_documents(
        self, dossier_id: str, doc_version: int, documents: Sequence[wire.DocumentRef]
    ) -> None:
        if documents:
            await DossierDocument.insert(
                *(
                    DossierDocument(
                        dossier=dossier_id,
                        doc_version=doc_version,
                        document_key=d.key,
                        sha256=d.sha256,
                        page=d.page,
                        media_type=d.media_type,
                    )
                    for d in documents
                )
            )

    async def _event(
        self,
        dossier_id: str,
        commune_code: str,
        team_id: int | None,
        from_status: Status | None,
        to_status: Status,
        action: str,
        actor: Actor,
        at: datetime,
        payload: dict[str, Any],
    ) -> int:
        seq = await next_value(self.ctx.db, EVENT_COUNTER)
        await DossierEvent.insert(
            DossierEvent(
                seq=seq,
                dossier=dossier_id,
                commune=commune_code,
                team=team_id,
                action=action,
                from_status=from_status.value if from_status else None,
                to_status=to_status.value,
                actor_kind=actor.kind,
                actor_id=actor.id,
                actor_name=actor.name,
                at=at,
                payload=payload,
            )
        )
        return seq

    # --- actions --------------------------------------------------------------------------

    async def act(
        self,
        commune_code: str,
        dossier_id: str,
        action: Action,
        body: wire.VersionCheck,
        actor: Actor,
    ) -> wire.Dossier:
        """Apply one lifecycle action and record its event, atomically."""
        now = self.ctx.clock.now()
        today = local_date(now)
        async with self.ctx.db.transaction():
            row = await self._row(commune_code, dossier_id)
            _version_check(row, body)
            current = Status(row["status"])
            try:
                target = next_status(current, action)
            except IllegalTransitionError as exc:
                raise AppError(ErrorCode.illegal_transition, str(exc)) from None
            calendar = await self.calendar(commune_code)
            changes: dict[str, Any] = {}
            payload: dict[str, Any] = _payload(body)

            if action is Action.receive:
                changes |= await self._receive(row, body, calendar, now, commune_code)
                payload |= {"code": changes.get("code", row["code"])}
            if action is Action.supplement_arrived:
                assert isinstance(body, wire.SupplementArrived)
                doc_version = await self._next_doc_version(dossier_id)
                await self._add_documents(dossier_id, doc_version, body.documents)
                payload["doc_version"] = doc_version
            if action is Action.request_fee:
                assert isinstance(body, wire.RequestFee)
                changes["fee_vnd"] = body.amount_vnd
            if action is Action.extend:
                assert isinstance(body, wire.Extend)
                changes |= _extend(row, body, calendar)
                payload["previous_due_date"] = row["due_date"].isoformat()

            # The deadline clock stops while the citizen owes a supplement or a fee.
            if target in PAUSING and current not in PAUSING and row["due_date"] is not None:
                changes["paused_since"] = now
            if current in PAUSING and target not in PAUSING and row["paused_since"] is not None:
                waited = calendar.working_days_between(local_date(row["paused_since"]), today)
                due = changes.get("due_date", row["due_date"])
                changes["due_date"] = calendar.add_working_days(due, waited) if waited else due
                changes["paused_working_days"] = row["paused_working_days"] + waited
                changes["paused_since"] = None
                payload["waited_working_days"] = waited

            received = changes.get("received_at", row["received_at"])
            if target in FINISHING and received is not None and row["finished_at"] is None:
                due = changes.get("due_date", row["due_date"])
                changes["finished_at"] = now
                changes["timeliness"] = rules.classify_finished(due, today).value

            if "due_date" in changes:
                payload["due_date"] = changes["due_date"].isoformat()
            changes |= {"status": target.value, "version": row["version"] + 1, "updated_at": now}
            await Dossier.update({getattr(Dossier, k): v for k, v in changes.items()}).where(
                Dossier.id == dossier_id
            )
            await self._event(
                dossier_id,
                commune_code,
                row["team"],
                current,
                target,
                action.value,
                actor,
                now,
                payload,
            )
        return await self.get_for(commune_code, dossier_id)

    async def get_for(self, commune_code: str, dossier_id: str) -> wire.Dossier:
        """A dossier of ``commune_code`` (for callers that are not staff, such as devices)."""
        return await self._dossier(await self._row(commune_code, dossier_id))

    async def _receive(
        self,
        row: dict[str, Any],
        body: wire.VersionCheck,
        calendar: WorkCalendar,
        now: datetime,
        commune_code: str,
    ) -> dict[str, Any]:
        """Code, due date and tracking token on first receipt; a re-receipt keeps them."""
        if row["code"] is not None:
            return {}
        assert isinstance(body, wire.Receive)
        commune = (
            await Commune.select(Commune.agency_code).where(Commune.code == commune_code).first()
        )
        agency = commune["agency_code"] if commune else None
        if not agency:
            raise AppError(
                ErrorCode.agency_code_missing,
                "Xã chưa khai báo mã cơ quan tiếp nhận, chưa thể cấp mã hồ sơ.",
            )
        procedure = (
            await Procedure.select(Procedure.processing_days)
            .where(Procedure.id == row["procedure"])
            .first()
        )
        days = body.processing_days
        if days is None and procedure is not None:
            days = procedure["processing_days"]
        if days is None:
            raise AppError(
                ErrorCode.processing_time_unknown,
                "Danh mục chưa có thời hạn giải quyết của thủ tục; hãy nhập số ngày làm việc.",
            )
        today = local_date(now)
        sequence = await next_value(self.ctx.db, f"dossier-code:{agency}:{today:%y%m%d}")
        due = calendar.add_working_days(today, days)
        code = rules.dossier_code(agency, today, sequence)
        return {
            "code": code,
            "tracking_token": secrets.token_urlsafe(24),
            "received_at": now,
            "due_date": due,
            "original_due_date": due,
            "search_text": f"{row['search_text']} {rules.fold(code)}",
        }

    # --- public tracking and satisfaction ----------------------------------------------------

    async def _tracked(self, code: str, token: str) -> dict[str, Any]:
        """The dossier behind a receipt's QR; a wrong token looks exactly like a wrong code."""
        row = await (
            Dossier.select(
                Dossier.id,
                Dossier.code,
                Dossier.tracking_token,
                Dossier.status,
                Dossier.received_at,
                Dossier.due_date,
                Dossier.finished_at,
                Dossier.timeliness,
                Dossier.procedure.name.as_alias("procedure_name"),
            )
            .where(Dossier.code == code)
            .first()
        )
        stored = (row or {}).get("tracking_token") or ""
        if row is None or not token or not secrets.compare_digest(stored, token):
            raise AppError(ErrorCode.not_found, "Không tìm thấy hồ sơ.")
        return row

    async def track(self, code: str, token: str) -> wire.TrackingInfo:
        """Status and dates for the public tracking page; never personal data."""
        row = await self._tracked(code, token)
        finished = row["finished_at"]
        if row["timeliness"]:
            timeliness: str | None = rules.Timeliness(row["timeliness"]).label
        elif row["due_date"] is not None and Status(row["status"]) not in _CLOSED:
            today = local_date(self.ctx.clock.now())
            timeliness = rules.classify_open(row["due_date"], today).label
        else:
            timeliness = None
        return wire.TrackingInfo(
            code=row["code"],
            procedure_name=row["procedure_name"],
            status=_status(row["status"]),
            received_date=local_date(row["received_at"]) if row["received_at"] else None,
            due_date=row["due_date"],
            finished_date=local_date(finished) if finished else None,
            timeliness=timeliness,
            rated=await Satisfaction.exists().where(Satisfaction.dossier == row["id"]),
        )

    async def rate_by_token(self, code: str, token: str, data: wire.SatisfactionCreate) -> None:
        """A citizen's rating from the tracking page."""
        row = await self._tracked(code, token)
        await self.record_rating(row["id"], data, "citizen")

    async def rate(
        self, principal: Principal, dossier_id: str, data: wire.SatisfactionCreate
    ) -> None:
        """A rating the clerk records for the citizen."""
        await self._row(principal.commune_code, dossier_id)
        await self.record_rating(dossier_id, data, "clerk")

    async def record_rating(
        self, dossier_id: str, data: wire.SatisfactionCreate, source: str
    ) -> None:
        """Store the one rating of a dossier (409 ``already_rated`` for a second).

        ``ON CONFLICT DO NOTHING`` rather than catching the unique violation: no statement
        fails, so a caller's enclosing transaction (a batch commit on PostgreSQL) survives.
        """
        stored = (
            await Satisfaction.insert(
                Satisfaction(
                    dossier=dossier_id,
                    level=data.level.value,
                    comment=data.comment,
                    source=source,
                    at=self.ctx.clock.now(),
                )
            )
            .on_conflict(target=Satisfaction.dossier, action="DO NOTHING")
            .returning(Satisfaction.id)
        )
        if not stored:
            raise AppError(ErrorCode.already_rated, "Hồ sơ này đã được đánh giá mức độ hài lòng.")

    # --- holiday overrides ----------------------------------------------------------------

    async def calendar_days(self, principal: Principal, year: int) -> list[wire.CalendarDay]:
        """The year's national holidays, make-up working days and the commune's overrides."""
        national = holidays.country_holidays("VN", years=year)
        days = {
            day: wire.CalendarDay(day=day, working=False, name=str(name), source="national")
            for day, name in national.items()
        }
        for day in national.weekend_workdays:
            if day.year == year:
                days[day] = wire.CalendarDay(
                    day=day, working=True, name="Ngày làm bù", source="national"
                )
        for override in await self.list_overrides(principal):
            if override.day.year == year:
                days[override.day] = wire.CalendarDay(
                    day=override.day,
                    working=override.kind is wire.HolidayKind.work,
                    name=override.note,
                    source="override",
                )
        return [days[d] for d in sorted(days)]

    async def list_overrides(self, principal: Principal) -> list[wire.HolidayOverride]:
        """The commune's overrides, by day."""
        rows = (
            await HolidayOverride.select()
            .where(HolidayOverride.commune == principal.commune_code)
            .order_by(HolidayOverride.day)
        )
        return [
            wire.HolidayOverride(
                id=r["id"], day=r["day"], kind=wire.HolidayKind(r["kind"]), note=r["note"]
            )
            for r in rows
        ]

    async def add_override(
        self, principal: Principal, data: wire.HolidayOverrideCreate
    ) -> wire.HolidayOverride:
        """Add an extra day off or working day. Due dates already given are not moved."""
        try:
            async with self.ctx.db.transaction():
                rows = await HolidayOverride.insert(
                    HolidayOverride(
                        commune=principal.commune_code,
                        day=data.day,
                        kind=data.kind.value,
                        note=data.note,
                        created_at=self.ctx.clock.now(),
                    )
                ).returning(HolidayOverride.id)
        except Exception as exc:
            if is_unique_violation(exc):
                raise AppError(
                    ErrorCode.holiday_override_exists, f"Ngày {data.day} đã có điều chỉnh."
                ) from None
            raise
        return wire.HolidayOverride(id=rows[0]["id"], day=data.day, kind=data.kind, note=data.note)

    async def delete_override(self, principal: Principal, override_id: int) -> None:
        """Remove one of the commune's overrides."""
        rows = (
            await HolidayOverride.delete()
            .where(
                (HolidayOverride.id == override_id)
                & (HolidayOverride.commune == principal.commune_code)
            )
            .returning(HolidayOverride.id)
        )
        if not rows:
            raise AppError(ErrorCode.not_found, "Không tìm thấy ngày điều chỉnh.")

    async def _next_doc_version(self, dossier_id: str) -> int:
        rows = await DossierDocument.select(DossierDocument.doc_version).where(
            DossierDocument.dossier == dossier_id
        )
        return max((r["doc_version"] for r in rows), default=0) + 1


def _payload(body: wire.VersionCheck) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.to_builtins(body)
    data.pop("version", None)
    return data


def _extend(row: dict[str, Any], body: wire.Extend, calendar: WorkCalendar) -> dict[str, Any]:
    current: date | None = row["due_date"]
    if current is None or body.new_due_date <= current:
        raise AppError(
            ErrorCode.validation_failed,
            "Ngày hẹn mới phải sau ngày hẹn hiện tại.",
            errors=[FieldError(field="body.new_due_date", message="must be after the due date")],
        )
    if not calendar.is_working_day(body.new_due_date):
        raise AppError(
            ErrorCode.validation_failed,
            "Ngày hẹn mới phải là ngày làm việc.",
            errors=[FieldError(field="body.new_due_date", message="not a working day")],
        )
    return {"due_date": body.new_due_date}
