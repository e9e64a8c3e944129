"""The clerk's pages: inbox, dossier review with scans and actions, scan viewer."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict, UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from msgspec.structs import replace as replace_struct

from backend.auth.middleware import form_csrf_guard
from backend.auth.principal import Principal, client_address, principal_of, require
from backend.auth.roles import Permission
from backend.catalog.services import CatalogService
from backend.communes.services import CommuneService
from backend.dossiers.forms import printable_forms
from backend.dossiers.lifecycle import Actor, DossierLifecycle
from backend.dossiers.queries import DossierQueries, InboxFilter
from backend.dossiers.states import ALLOWED
from backend.errors import AppError
from backend.params import Count, row_id
from backend.scans.services import ScanPage, ScanService
from backend.sync.services import BatchService
from backend.web.forms import form_fields, to_struct
from backend.web.render import page, vn_date
from schemas import dossiers as wire
from schemas.catalog import Procedure, checklist
from schemas.cccd import ID_CARD_DOCUMENT
from schemas.dossiers import ACTION_BODY, EVENT_LABELS, Action, Standing, Status
from schemas.errors import CATALOGUE, ErrorCode

__all__ = [
    "DESK",
    "MAX_SCAN_FORM",
    "ClerkDesk",
    "ClerkPages",
    "Desk",
    "dossier_context",
    "form_scans",
]

_STAFF_ACT = [require(Permission.act)]
MAX_SCAN_FORM = 64 * 1024 * 1024
"""Largest form with scans a clerk may send (a dossier's pages straight from the scanner)."""
SCAN_FIELD, KEPT_FIELD = "scan_", "giu_"
"""A form's file inputs are ``scan_<document key>``; pages stored by an earlier submission of
the same form come back as ``giu_<document key>`` = ``<sha256>:<media type>``."""

GROUPS: dict[str, tuple[str, InboxFilter]] = {
    "moi": ("Mới đến", InboxFilter(statuses=(Status.submitted,))),
    "da-tiep-nhan": (
        "Đã tiếp nhận, đang xử lý",
        InboxFilter(statuses=(Status.received, Status.processing)),
    ),
    "cho-bo-sung": ("Chờ bổ sung", InboxFilter(statuses=(Status.supplement_requested,))),
    "qua-han": (Standing.overdue.label, InboxFilter(standing=Standing.overdue)),
    "sap-den-han": (Standing.due_soon.label, InboxFilter(standing=Standing.due_soon)),
    "tat-ca": ("Tất cả", InboxFilter()),
}
"""The inbox's tabs: each a filter, on top of the page's own."""

ACTION_FORMS: dict[Action, tuple[str, str]] = {
    Action.receive: ("Tiếp nhận hồ sơ", "Tiếp nhận và cấp mã"),
    Action.request_supplement: ("Yêu cầu bổ sung (Mẫu 02)", "Gửi yêu cầu bổ sung"),
    Action.refuse: ("Từ chối tiếp nhận (Mẫu 03)", "Từ chối"),
    Action.supplement_arrived: ("Đã nhận bổ sung", "Xác nhận đã bổ sung"),
    Action.start_processing: ("Chuyển xử lý", "Chuyển xử lý"),
    Action.request_fee: ("Yêu cầu nộp phí, lệ phí", "Yêu cầu nộp phí"),
    Action.record_payment: ("Ghi nhận đã nộp phí", "Ghi nhận"),
    Action.resolve: ("Giải quyết xong", "Ghi kết quả"),
    Action.return_result: ("Trả kết quả", "Đã trả kết quả"),
    Action.extend: ("Gia hạn, xin lỗi (Mẫu 04)", "Hẹn lại ngày trả"),
    Action.stop: ("Dừng xử lý", "Dừng xử lý"),
    Action.withdraw: ("Công dân rút hồ sơ", "Ghi nhận rút hồ sơ"),
}
"""Each action's form heading and button, in the order the page shows them (its body type
is ``ACTION_BODY``'s)."""
DONE = {
    Action.receive: "Đã tiếp nhận hồ sơ, cấp mã và hẹn ngày trả.",
    Action.request_supplement: "Đã gửi yêu cầu bổ sung; tổ lưu động sẽ nhận được tin.",
    Action.refuse: "Đã từ chối tiếp nhận hồ sơ.",
}


@dataclass(frozen=True)
class ClerkDesk:
    """The services the clerk's pages read and act through (one dependency of theirs)."""

    dossiers: NamedDependency[DossierQueries]
    lifecycle: NamedDependency[DossierLifecycle]
    scans: NamedDependency[ScanService]
    catalog: NamedDependency[CatalogService]
    communes: NamedDependency[CommuneService]
    batches: NamedDependency[BatchService]

    async def procedure(self, principal: Principal, code: str) -> Procedure | None:
        """The catalog entry of a dossier's procedure, retired ones included."""
        procedures = await self.catalog.procedures(principal, include_inactive=True)
        return next((p for p in procedures if p.code == code), None)


Desk = NamedDependency[ClerkDesk]
DESK = {"desk": Provide(ClerkDesk, sync_to_thread=False)}


class ClerkPages(Controller):
    """Pages of the commune's one-stop department."""

    path = "/ho-so"
    include_in_schema = False
    opt = {"csrf": "form"}
    guards = [require(Permission.dossiers), form_csrf_guard]
    dependencies = DESK

    @get("/")
    async def inbox(
        self,
        request: Request[Any, Any, Any],
        desk: Desk,
        nhom: FromQuery[str] = "moi",
        q: FromQuery[str] = "",
        to: FromQuery[str] = "",
        thu_tuc: FromQuery[str] = "",
        kenh: FromQuery[str] = "",
        trang: Count = 1,
    ) -> Template:
        principal = principal_of(request)
        group = nhom if nhom in GROUPS else "moi"
        team_id = row_id(to)
        channel = wire.Channel(kenh) if kenh in wire.Channel.__members__ else None
        page_number = max(1, trang)
        chosen = replace(
            GROUPS[group][1],
            team_id=team_id,
            procedure_code=thu_tuc or None,
            channel=channel,
            q=q.strip() or None,
            limit=50,
            offset=(page_number - 1) * 50,
        )
        result = await desk.dossiers.inbox(principal, chosen)
        counts = {
            key: await desk.dossiers.count(principal, GROUPS[key][1])
            for key in ("moi", "cho-bo-sung", "qua-han", "sap-den-han")
        }
        teams = await desk.communes.list_teams(principal, include_inactive=True)
        commune = await desk.communes.get(principal.commune_code)
        query = {"nhom": group, "q": q, "to": to, "thu_tuc": thu_tuc, "kenh": kenh}

        def link(number: int) -> str:
            return "/ho-so?" + urlencode({k: v for k, v in {**query, "trang": number}.items() if v})

        return page(
            request,
            "inbox.html",
            commune_name=commune.name,
            can_act=principal.can(Permission.act),
            tabs=[(k, label, counts.get(k)) for k, (label, _) in GROUPS.items()],
            group=group,
            q=q,
            team_id=team_id,
            procedure_code=thu_tuc,
            channel=kenh,
            teams=teams,
            team_names={t.id: t.name for t in teams},
            procedures=await desk.catalog.procedures(principal),
            channels=[(c.value, c.label) for c in wire.Channel],
            page=result,
            page_number=page_number,
            prev_url=link(page_number - 1) if page_number > 1 else None,
            next_url=link(page_number + 1) if result.offset + result.limit < result.total else None,
            batches=await desk.batches.recent(principal.commune_code),
        )

    @get("/{dossier_id:str}")
    async def dossier(
        self,
        request: Request[Any, Any, Any],
        desk: Desk,
        dossier_id: FromPath[str],
        xong: FromQuery[str] = "",
    ) -> Template:
        principal = principal_of(request)
        context = await dossier_context(desk, principal, dossier_id, client_address(request))
        done = next((a for a in Action if a.value == xong), None)
        if done is not None:
            context["flash"] = DONE.get(done, "Đã cập nhật hồ sơ.")
            if done is Action.receive:
                context["flash_link"] = (f"/ho-so/{dossier_id}/in/mau-01", "In Giấy tiếp nhận")
            if done is Action.request_supplement:
                context["flash_link"] = (f"/ho-so/{dossier_id}/in/mau-02", "In phiếu Mẫu 02")
        return page(request, "dossier.html", **context)

    @post("/{dossier_id:str}/{action:str}", guards=_STAFF_ACT, request_max_body_size=MAX_SCAN_FORM)
    async def act(
        self,
        request: Request[Any, Any, Any],
        desk: Desk,
        dossier_id: FromPath[str],
        action: FromPath[str],
    ) -> Response[Any]:
        principal = principal_of(request)
        chosen = next((a for a in Action if a.value == action), None)
        if chosen is None:
            raise AppError(ErrorCode.not_found, "Không có thao tác này.")
        form = await request.form()
        try:
            body = _action_body(chosen, form)
            if isinstance(body, wire.SupplementArrived):
                body = await _with_scans(desk, principal, dossier_id, form, body)
            await desk.lifecycle.act(
                principal.commune_code, dossier_id, chosen, body, Actor.of(principal)
            )
        except AppError as exc:
            if exc.code is ErrorCode.not_found:
                raise
            context = await dossier_context(desk, principal, dossier_id, client_address(request))
            context["error"] = exc.detail
            context["open_action"] = chosen.value
            return page(request, "dossier.html", status_code=CATALOGUE[exc.code].status, **context)
        return Redirect(f"/ho-so/{dossier_id}?xong={chosen.value}", status_code=303)

    @get("/{dossier_id:str}/xem/{sha256:str}", guards=[require(Permission.scans)])
    async def viewer(
        self,
        request: Request[Any, Any, Any],
        desk: Desk,
        dossier_id: FromPath[str],
        sha256: FromPath[str],
    ) -> Template:
        principal = principal_of(request)
        dossier = await desk.dossiers.get(principal, dossier_id, client=client_address(request))
        pages = await desk.scans.pages(principal.commune_code, dossier_id)
        desk.scans.may_view(principal, pages, sha256)
        index = next(n for n, p in enumerate(pages) if p.sha256 == sha256)
        procedure = await desk.procedure(principal, dossier.procedure_code)
        names = {d.key: d.name for d in procedure.documents} if procedure else {}
        current = pages[index]
        return page(
            request,
            "viewer.html",
            d=dossier,
            page=current,
            name=names.get(current.key, current.key),
            prev=pages[index - 1].sha256 if index > 0 else None,
            next=pages[index + 1].sha256 if index + 1 < len(pages) else None,
        )

    @get("/{dossier_id:str}/anh/{sha256:str}", guards=[require(Permission.scans)])
    async def scan(
        self,
        request: Request[Any, Any, Any],
        scans: NamedDependency[ScanService],
        dossier_id: FromPath[str],
        sha256: FromPath[str],
    ) -> Response[bytes]:
        return await _image(request, scans, dossier_id, sha256, "full")

    @get("/{dossier_id:str}/anh/{sha256:str}/nho", guards=[require(Permission.scans)])
    async def thumbnail(
        self,
        request: Request[Any, Any, Any],
        scans: NamedDependency[ScanService],
        dossier_id: FromPath[str],
        sha256: FromPath[str],
    ) -> Response[bytes]:
        return await _image(request, scans, dossier_id, sha256, "thumbnail")


async def _image(
    request: Request[Any, Any, Any],
    scans: ScanService,
    dossier_id: str,
    sha256: str,
    size: Any,
) -> Response[bytes]:
    principal = principal_of(request)
    data = await scans.image(principal, dossier_id, sha256, size, client_address(request))
    media_type = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    # Personal data: never kept by shared caches or the browser's disk cache.
    return Response(
        data,
        media_type=media_type,
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


async def form_scans(
    desk: ClerkDesk, principal: Principal, form: FormMultiDict, procedure: Procedure
) -> tuple[dict[str, list[wire.DocumentRef]], list[str]]:
    """The pages a form carries, by document key, numbered per document: those kept from an
    earlier submission that the commune still holds, then each file chosen, stored at once;
    and why any file could not be used (the good ones are kept all the same)."""
    kept: dict[str, list[wire.DocumentRef]] = {}
    for d in procedure.documents:
        for value in form.getall(KEPT_FIELD + d.key, []):
            sha256, _, media_type = str(value).partition(":")
            try:
                ref = msgspec.convert(
                    {"key": d.key, "sha256": sha256, "media_type": media_type}, wire.DocumentRef
                )
            except msgspec.ValidationError:
                continue
            kept.setdefault(d.key, []).append(ref)
    held = await desk.scans.held(
        principal.commune_code, [r.sha256 for v in kept.values() for r in v]
    )
    pages: dict[str, list[wire.DocumentRef]] = {}
    problems: list[str] = []
    for d in procedure.documents:
        refs = [r for r in kept.get(d.key, []) if r.sha256 in held]
        for upload in form.getall(SCAN_FIELD + d.key, []):
            if not isinstance(upload, UploadFile) or not upload.filename:
                continue
            raw = await upload.read()
            try:
                refs.append(
                    await desk.scans.take(principal.commune_code, d.key, raw, upload.filename)
                )
            except AppError as exc:
                problems.append(exc.detail)
        if refs:
            pages[d.key] = [replace_struct(r, page=n) for n, r in enumerate(refs, 1)]
    return pages, problems


async def _with_scans(
    desk: ClerkDesk,
    principal: Principal,
    dossier_id: str,
    form: FormMultiDict,
    body: wire.SupplementArrived,
) -> wire.SupplementArrived:
    """A supplement brought to the counter: its pages become the dossier's next version."""
    dossier = await desk.dossiers.view_for(principal.commune_code, dossier_id)
    procedure = await desk.procedure(principal, dossier.procedure_code)
    if procedure is None:
        return body
    pages, problems = await form_scans(desk, principal, form, procedure)
    if problems:
        raise AppError(ErrorCode.invalid_image, " ".join(problems))
    return replace_struct(body, documents=[r for refs in pages.values() for r in refs])


def _action_body(action: Action, form: FormMultiDict) -> wire.VersionCheck:
    """The action's typed body from the form's fields (empty fields take their defaults)."""
    fields = {
        k: v
        for k, v in form_fields(form).items()
        if not k.startswith(("item_", SCAN_FIELD, KEPT_FIELD))
    }
    if action is Action.request_supplement:
        keys, problems, notes = (form.getall(f"item_{n}", []) for n in ("key", "problem", "note"))
        fields["items"] = [
            {"document_key": k, "problem": p, "note": n}
            for k, p, n in zip(keys, problems, notes, strict=False)
            if p
        ]
        if not fields["items"]:
            raise AppError(ErrorCode.validation_failed, "Hãy chọn ít nhất một giấy tờ cần bổ sung.")
    return to_struct(fields, ACTION_BODY[action])


async def dossier_context(
    desk: ClerkDesk, principal: Principal, dossier_id: str, client: str
) -> dict[str, Any]:
    """Everything the dossier page and the printed forms show (the read is audited)."""
    dossier = await desk.dossiers.get(principal, dossier_id, client=client)
    pages = await desk.scans.pages(principal.commune_code, dossier_id)
    procedure = await desk.procedure(principal, dossier.procedure_code)
    documents = procedure.documents if procedure else []
    groups: dict[int, list[ScanPage]] = {}
    for p in pages:
        groups.setdefault(p.doc_version, []).append(p)
    events = await desk.dossiers.events(principal, dossier_id)
    teams = {t.id: t.name for t in await desk.communes.list_teams(principal, include_inactive=True)}
    status = Status(dossier.status.code)
    can_act = principal.can(Permission.act)
    actions = [
        {"action": a.value, "label": label, "button": button, "open": False}
        for a, (label, button) in ACTION_FORMS.items()
        if a in ALLOWED[status] and can_act
    ]
    forms = printable_forms(dossier.code, (e.action for e in events))
    latest = {e.action: e for e in events}
    asked = latest.get(Action.request_supplement.value)
    asked_keys = {item.document_key for item in asked.payload.items} if asked else set()
    return {
        "d": dossier,
        "warnings": await desk.scans.cccd_warnings(principal, dossier),
        "checklist": checklist(documents, (p.key for p in pages)),
        "doc_names": {d.key: d.name for d in documents},
        "scan_groups": sorted(groups.items()),
        "events": [step for e in events for step in _event_view(e)],
        "latest": latest,
        "supplement_documents": [d for d in documents if d.key in asked_keys] or documents,
        "actions": actions,
        "printables": [(f"/ho-so/{dossier_id}/in/{f.slug}", f.title) for f in forms],
        "can_print": principal.can(Permission.forms),
        "can_see_scans": principal.can(Permission.scans),
        "can_see_card": principal.can(Permission.id_card_scans),
        "card_key": ID_CARD_DOCUMENT,
        "team_name": teams.get(dossier.team_id) if dossier.team_id else None,
        "processing_days_known": bool(procedure and procedure.processing_days is not None),
        "flash": None,
        "flash_link": None,
        "error": None,
        "open_action": None,
        "procedure": procedure,
    }


def _event_view(event: wire.DossierEvent) -> list[dict[str, Any]]:
    """One timeline event; a field submission also shows its capture and upload."""
    payload = event.payload
    actor = {"user": "cán bộ", "device": "thiết bị", "citizen": "công dân"}.get(
        event.actor_kind, event.actor_kind
    )
    steps = []
    if event.action == "submit" and payload.captured_at is not None:
        steps.append(
            {
                "at": payload.captured_at,
                "label": "Thu nhận tại hộ dân",
                "actor": f"{actor} {event.actor_name}",
                "detail": payload.place,
            }
        )
        if payload.uploaded_at is not None:
            steps.append(
                {
                    "at": payload.uploaded_at,
                    "label": "Bắt đầu tải lên",
                    "actor": f"{actor} {event.actor_name}",
                    "detail": f"lô {payload.batch_id}",
                }
            )
    details = []
    if payload.code:
        details.append(f"mã hồ sơ {payload.code}")
    if payload.due_date:
        details.append(f"hẹn trả {vn_date(payload.due_date)}")
    if payload.new_due_date:
        details.append(f"hẹn lại {vn_date(payload.new_due_date)}")
    for item in payload.items:
        details.append(f"{item.document_key}: {item.problem.label} {item.note}".strip())
    if payload.channel is not None:
        where = payload.channel.label
        details.append(f"{where}: {payload.address}" if payload.address else where)
    if payload.postal_tracking:
        details.append(f"số hiệu bưu gửi {payload.postal_tracking}")
    for text in (payload.reason, payload.result_summary, payload.note):
        if text:
            details.append(text)
    label = EVENT_LABELS.get(event.action, event.action)
    if event.action == "submit" and event.actor_kind == "device":
        label = "Đồng bộ xong, vào hộp hồ sơ"
    steps.append(
        {
            "at": event.at,
            "label": label,
            "actor": f"{actor} {event.actor_name}",
            "detail": "; ".join(details),
        }
    )
    return steps
