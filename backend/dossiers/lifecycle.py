"""Changing dossiers: intake, the clerk's actions and satisfaction ratings.

Every change of a dossier and the event recording it are written in one transaction; the event's
sequence number comes from a counter incremented in that transaction, so sequence order is
commit order and a change feed reading ``seq > cursor`` never skips a late commit. The deadline
arithmetic is ``deadlines.py``'s; the legal moves are ``states.py``'s.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import msgspec
from ulid import ULID

from backend.auth.principal import Principal
from backend.catalog.tables import Procedure
from backend.clock import VN_TZ, local_date
from backend.communes.tables import Commune
from backend.context import Context
from backend.custody.services import CustodyService
from backend.db.counters import next_value
from backend.dossiers import deadlines, rules
from backend.dossiers.calendar import CalendarService
from backend.dossiers.queries import DossierQueries
from backend.dossiers.states import (
    DELIVERY_OPEN,
    FINISHING,
    PAUSING,
    IllegalTransitionError,
    next_status,
)
from backend.dossiers.tables import Dossier, DossierDocument, DossierEvent, Satisfaction
from backend.dossiers.workdays import WorkCalendar
from backend.errors import AppError
from schemas import dossiers as wire
from schemas.catalog import RequiredDocument, check_documents
from schemas.common import FieldError
from schemas.dossiers import ACTION_BODY, CHANGE_DELIVERY, Action, EventPayload, Status
from schemas.errors import ErrorCode

__all__ = ["EVENT_COUNTER", "STAFF_CHANNELS", "Actor", "DossierLifecycle", "FieldCapture"]

EVENT_COUNTER = "dossier-events"
STAFF_CHANNELS = frozenset({wire.Channel.counter, wire.Channel.post})
"""The channels a dossier entered by staff may have; field channels come from devices."""


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

    def payload(self) -> EventPayload:
        """What the dossier's first event records of its way from the household."""
        return EventPayload(
            captured_at=self.captured_at,
            place=self.place,
            batch_id=self.batch_id,
            uploaded_at=self.uploaded_at,
        )


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


def _body_payload(body: wire.VersionCheck) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.to_builtins(body)
    data.pop("version", None)
    return data


class DossierLifecycle:
    """Dossiers of a commune, changed."""

    def __init__(
        self,
        ctx: Context,
        queries: DossierQueries,
        calendars: CalendarService,
        custody: CustodyService,
    ) -> None:
        self.ctx = ctx
        self.queries = queries
        self.calendars = calendars
        self.custody = custody

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
        """Register a submitted dossier (:meth:`register`); return it and whether it is new."""
        identifier, created = await self.register(
            commune_code, data, actor, dossier_id=dossier_id, capture=capture
        )
        return await self.queries.view_for(commune_code, identifier), created

    async def register(
        self,
        commune_code: str,
        data: wire.DossierCreate,
        actor: Actor,
        *,
        dossier_id: str | None = None,
        capture: FieldCapture | None = None,
    ) -> tuple[str, bool]:
        """Register a submitted dossier; return its id and whether it is new.

        The same id with the same content is a duplicate (the existing dossier, nothing new);
        with other content it is a 409 ``dossier_conflict``. ``capture`` records the team and
        device of a dossier captured in the field.
        """
        if not data.consent:
            raise AppError(
                ErrorCode.consent_required, "Hồ sơ cần có sự đồng ý của người nộp (Luật 91/2025)."
            )
        _check_delivery(data.delivery)
        if capture is None and data.channel not in STAFF_CHANNELS:
            # The field share of the reports counts what devices brought: a clerk cannot
            # claim a dossier for a team. Devices get their channel from their team's kind.
            raise AppError(
                ErrorCode.validation_failed,
                "Hồ sơ nhập tại bộ phận một cửa chỉ có kênh tại quầy hoặc bưu chính; hồ sơ của "
                "tổ lưu động đến qua thiết bị của tổ.",
                errors=[FieldError(field="body.channel", message="counter or post only")],
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
                    return identifier, False
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
            # At the counter the clerk scans the papers after registering: only unknown keys
            # are refused here; a field dossier arrives complete (checked at commit).
            problem = check_documents(
                msgspec.convert(procedure["documents"], list[RequiredDocument]),
                (d.key for d in data.documents),
                complete=False,
            )
            if problem is not None:
                raise AppError(problem.code, problem.detail)
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
            await self._add_documents(commune_code, identifier, 1, data.documents)
            await self._event(
                identifier,
                commune_code,
                capture.team_id if capture else None,
                None,
                Status.submitted,
                "submit",
                actor,
                now,
                capture.payload() if capture else EventPayload(),
            )
        return identifier, True

    async def _add_documents(
        self,
        commune_code: str,
        dossier_id: str,
        doc_version: int,
        documents: Sequence[wire.DocumentRef],
    ) -> None:
        """Attach scans to a dossier: only blobs the commune holds (``backend.custody``), so
        a scan that was never uploaded, or another commune's, cannot be named by its hash."""
        if documents:
            await self.custody.require(commune_code, [d.sha256 for d in documents])
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

    async def _next_doc_version(self, dossier_id: str) -> int:
        rows = await DossierDocument.select(DossierDocument.doc_version).where(
            DossierDocument.dossier == dossier_id
        )
        return max((r["doc_version"] for r in rows), default=0) + 1

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
        payload: EventPayload,
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
                payload=msgspec.to_builtins(payload),
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
        """Apply one lifecycle action and record its event, atomically.

        ``body`` must be the action's body type (``schemas.dossiers.ACTION_BODY``): a wrong one
        is a 422, not an assertion that ``python -O`` would remove.
        """
        if type(body) is not ACTION_BODY[action]:
            raise AppError(
                ErrorCode.validation_failed,
                f"Thao tác {action.value} cần dữ liệu kiểu {ACTION_BODY[action].__name__}.",
            )
        now = self.ctx.clock.now()
        today = local_date(now)
        async with self.ctx.db.transaction():
            row = await self.queries.row(commune_code, dossier_id)
            _version_check(row, body)
            current = Status(row["status"])
            asked: list[Status] = []
            if action in (Action.request_supplement, Action.supplement_arrived):
                asked = await self._supplements_asked_from(dossier_id)
            try:
                target = next_status(current, action, asked_from=asked[-1] if asked else None)
            except IllegalTransitionError as exc:
                raise AppError(ErrorCode.illegal_transition, str(exc)) from None
            calendar = await self.calendars.calendar(commune_code)
            changes: dict[str, Any] = {}
            details: dict[str, Any] = _body_payload(body)

            match body:
                case wire.Receive():
                    changes |= await self._receive(row, body, calendar, now, commune_code)
                    details["code"] = changes.get("code", row["code"])
                case wire.RequestSupplement(reason=reason):
                    if asked and not reason.strip():
                        raise AppError(
                            ErrorCode.validation_failed,
                            "Hồ sơ đã được yêu cầu bổ sung một lần; yêu cầu lần nữa cần nêu rõ "
                            "lý do (bộ phận một cửa phải hướng dẫn đầy đủ trong một lần).",
                            errors=[FieldError(field="body.reason", message="required")],
                        )
                    details["supplement_round"] = len(asked) + 1
                case wire.SupplementArrived():
                    doc_version = await self._next_doc_version(dossier_id)
                    await self._add_documents(commune_code, dossier_id, doc_version, body.documents)
                    details["doc_version"] = doc_version
                case wire.RequestFee():
                    changes["fee_vnd"] = body.amount_vnd
                case wire.Extend():
                    changes |= _extend(row, body, calendar)
                    details["previous_due_date"] = row["extended_due_date"] or row["due_date"]
                case wire.ReturnResult():
                    changes |= _returned(row, body)
                    details["address"] = changes["delivery_address"]
                case _:
                    pass

            # The deadline clock stops while the citizen owes a supplement or a fee.
            if target in PAUSING and current not in PAUSING and row["due_date"] is not None:
                changes["paused_since"] = now
            if current in PAUSING and target not in PAUSING and row["paused_since"] is not None:
                paused_on = local_date(row["paused_since"])
                due, waited = deadlines.resume(calendar, row["due_date"], paused_on, today)
                changes["due_date"] = due
                if row["extended_due_date"] is not None:
                    # The promised date waits as long as the legal one.
                    extended = row["extended_due_date"]
                    changes["extended_due_date"] = deadlines.moved(calendar, extended, waited)
                changes["paused_working_days"] = row["paused_working_days"] + waited
                changes["paused_since"] = None
                details["waited_working_days"] = waited

            received = changes.get("received_at", row["received_at"])
            if target in FINISHING and received is not None and row["finished_at"] is None:
                due = changes.get("due_date", row["due_date"])
                changes["finished_at"] = now
                changes["timeliness"] = deadlines.timeliness(due, today).value

            if "due_date" in changes:
                details["due_date"] = changes["due_date"]
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
                msgspec.convert(details, EventPayload),
            )
        return await self.queries.view_for(commune_code, dossier_id)

    async def _supplements_asked_from(self, dossier_id: str) -> list[Status]:
        """The status each supplement request of the dossier was made from, oldest first."""
        rows = (
            await DossierEvent.select(DossierEvent.from_status)
            .where(
                (DossierEvent.dossier == dossier_id)
                & (DossierEvent.action == Action.request_supplement.value)
            )
            .order_by(DossierEvent.seq)
        )
        return [Status(r["from_status"]) for r in rows]

    async def _receive(
        self,
        row: dict[str, Any],
        body: wire.Receive,
        calendar: WorkCalendar,
        now: datetime,
        commune_code: str,
    ) -> dict[str, Any]:
        """Code, due date and tracking token on first receipt; a re-receipt keeps them."""
        if row["code"] is not None:
            return {}
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
            await Procedure.select(Procedure.processing_days, Procedure.same_day_cutoff)
            .where(Procedure.id == row["procedure"])
            .first()
        ) or {"processing_days": None, "same_day_cutoff": None}
        days = procedure["processing_days"]
        if days is not None and body.processing_days is not None:
            # The law sets the time; a clerk cannot lengthen (or shorten) it at the counter.
            raise AppError(
                ErrorCode.validation_failed,
                f"Thủ tục có thời hạn giải quyết {days} ngày làm việc theo danh mục; không nhập "
                "thời hạn khác khi tiếp nhận.",
                errors=[FieldError(field="body.processing_days", message="set by the catalog")],
            )
        if days is None:
            days = body.processing_days
        if days is None:
            raise AppError(
                ErrorCode.processing_time_unknown,
                "Danh mục chưa có thời hạn giải quyết của thủ tục; hãy nhập số ngày làm việc.",
            )
        today = local_date(now)
        sequence = await next_value(self.ctx.db, f"dossier-code:{agency}:{today:%y%m%d}")
        cutoff = procedure["same_day_cutoff"]
        due = deadlines.due_date(
            calendar,
            now.astimezone(VN_TZ),
            days,
            time.fromisoformat(cutoff) if cutoff else None,
        )
        code = rules.dossier_code(agency, today, sequence)
        return {
            "code": code,
            "tracking_token": secrets.token_urlsafe(24),
            "received_at": now,
            "due_date": due,
            "original_due_date": due,
            "processing_days": days,
            "search_text": f"{row['search_text']} {rules.fold(code)}",
        }

    # --- where the result goes -------------------------------------------------------------

    async def change_delivery(
        self, commune_code: str, dossier_id: str, delivery: wire.Delivery, actor: Actor
    ) -> bool:
        """Record the citizen's later choice of where the result goes; whether it changed.

        Allowed until the result is returned or the dossier's story has ended (refused,
        withdrawn, stopped). The status stays; the event tells the team and the clerk.
        Asking again for what is already recorded changes nothing and records nothing.
        """
        _check_delivery(delivery)
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction():
            row = await self.queries.row(commune_code, dossier_id)
            current = Status(row["status"])
            if current not in DELIVERY_OPEN:
                raise AppError(
                    ErrorCode.illegal_transition,
                    f"Hồ sơ đang ở trạng thái «{current.label}»: không đổi được nơi nhận kết quả.",
                )
            by_post = delivery.method is wire.DeliveryMethod.post
            address = delivery.address.strip() if by_post else ""
            if (row["delivery_method"], row["delivery_address"]) == (delivery.method, address):
                return False
            await Dossier.update(
                {
                    Dossier.delivery_method: delivery.method.value,
                    Dossier.delivery_address: address,
                    Dossier.version: row["version"] + 1,
                    Dossier.updated_at: now,
                }
            ).where(Dossier.id == dossier_id)
            await self._event(
                dossier_id,
                commune_code,
                row["team"],
                current,
                current,
                CHANGE_DELIVERY,
                actor,
                now,
                EventPayload(channel=delivery.method, address=address),
            )
        return True

    # --- satisfaction ---------------------------------------------------------------------

    async def rate(
        self, principal: Principal, dossier_id: str, data: wire.SatisfactionCreate
    ) -> None:
        """A rating the clerk records for the citizen."""
        await self.queries.row(principal.commune_code, dossier_id)
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


def _check_delivery(delivery: wire.Delivery) -> None:
    if delivery.method is wire.DeliveryMethod.post and not delivery.address.strip():
        raise AppError(
            ErrorCode.validation_failed,
            "Trả kết quả qua bưu chính cần địa chỉ nhận.",
            errors=[FieldError(field="body.delivery.address", message="required for post")],
        )


def _returned(row: dict[str, Any], body: wire.ReturnResult) -> dict[str, Any]:
    """Where the result went: by post with the item's number, to the address given or the one
    the citizen chose (Decision 45/2016/QĐ-TTg); the dossier then says so."""
    if body.channel is not wire.DeliveryMethod.post:
        return {"delivery_method": body.channel.value, "delivery_address": ""}
    if not body.postal_tracking.strip():
        raise AppError(
            ErrorCode.validation_failed,
            "Trả kết quả qua bưu chính cần số hiệu bưu gửi để công dân tra cứu.",
            errors=[FieldError(field="body.postal_tracking", message="required for post")],
        )
    chosen = row["delivery_address"] if row["delivery_method"] == "post" else ""
    address = body.address.strip() or chosen
    if not address:
        raise AppError(
            ErrorCode.validation_failed,
            "Trả kết quả qua bưu chính cần địa chỉ nhận (công dân chưa đăng ký nhận qua "
            "bưu chính).",
            errors=[FieldError(field="body.address", message="required for post")],
        )
    return {"delivery_method": "post", "delivery_address": address}


def _extend(row: dict[str, Any], body: wire.Extend, calendar: WorkCalendar) -> dict[str, Any]:
    """The apology's new date (Mẫu 04), before or after the due date and more than once; the
    due date that timeliness counts against stays the receipt's."""
    current: date | None = row["extended_due_date"] or row["due_date"]
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
    return {"extended_due_date": body.new_due_date}
