"""The clerk's pages: inbox, dossier review with scans and actions, scan viewer."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backend.accounts.middleware import form_csrf_guard
from backend.accounts.principal import Principal, allow, principal_of
from backend.audit.services import AuditAction
from backend.dossiers.scans import ScanPage
from backend.dossiers.services import Actor, InboxFilter, local_date
from backend.dossiers.states import ALLOWED, Action, Status
from backend.errors import CATALOGUE, AppError, ErrorCode
from backend.services import Services
from backend.web.forms import client_address, form_fields, to_struct
from backend.web.render import page, vn_date
from schemas import dossiers as wire
from schemas.accounts import Role

__all__ = ["ClerkPages", "dossier_context"]

Deps = NamedDependency[Services]
_STAFF_ACT = [allow(Role.admin, Role.clerk)]

CHANNELS = {
    "counter": "Tại quầy",
    "field_team": "Tổ lưu động",
    "residential_point": "Điểm tổ dân phố điện tử",
    "post": "Bưu chính",
}
OUTCOMES = {
    "accepted": "Đã nhận",
    "duplicate": "Trùng (đã có)",
    "conflict": "Xung đột",
    "rejected": "Bị từ chối",
}
GROUPS: dict[str, tuple[str, tuple[Status, ...]]] = {
    "moi": ("Mới đến", (Status.submitted,)),
    "da-tiep-nhan": ("Đã tiếp nhận, đang xử lý", (Status.received, Status.processing)),
    "cho-bo-sung": ("Chờ bổ sung", (Status.supplement_requested,)),
    "qua-han": ("Quá hạn", ()),
    "sap-den-han": ("Sắp đến hạn", ()),
    "tat-ca": ("Tất cả", ()),
}
OPEN_FOR_DUE = (Status.received, Status.processing, Status.awaiting_fee)
"""The statuses whose return date is running."""
DUE_SOON_DAYS = 2
"""A dossier is "due soon" when its return date is within this many days."""

ACTION_FORMS: dict[Action, tuple[str, str, type[wire.VersionCheck]]] = {
    Action.receive: ("Tiếp nhận hồ sơ", "Tiếp nhận và cấp mã", wire.Receive),
    Action.request_supplement: ("Yêu cầu bổ sung (Mẫu 02)", "Gửi yêu cầu bổ sung",
                                wire.RequestSupplement),
    Action.refuse: ("Từ chối tiếp nhận (Mẫu 03)", "Từ chối", wire.WithReason),
    Action.supplement_arrived: ("Đã nhận bổ sung", "Xác nhận đã bổ sung", wire.SupplementArrived),
    Action.start_processing: ("Chuyển xử lý", "Chuyển xử lý", wire.VersionCheck),
    Action.request_fee: ("Yêu cầu nộp phí, lệ phí", "Yêu cầu nộp phí", wire.RequestFee),
    Action.record_payment: ("Ghi nhận đã nộp phí", "Ghi nhận", wire.RecordPayment),
    Action.resolve: ("Giải quyết xong", "Ghi kết quả", wire.Resolve),
    Action.return_result: ("Trả kết quả", "Đã trả kết quả", wire.ReturnResult),
    Action.extend: ("Gia hạn, xin lỗi (Mẫu 04)", "Hẹn lại ngày trả", wire.Extend),
    Action.stop: ("Dừng xử lý", "Dừng xử lý", wire.WithReason),
    Action.withdraw: ("Công dân rút hồ sơ", "Ghi nhận rút hồ sơ", wire.Withdraw),
}  # fmt: skip
EVENT_LABELS = {
    "submit": "Nộp hồ sơ",
    "receive": "Tiếp nhận",
    "refuse": "Từ chối tiếp nhận",
    "request-supplement": "Yêu cầu bổ sung",
    "supplement-arrived": "Nhận bổ sung",
    "start-processing": "Chuyển xử lý",
    "request-fee": "Yêu cầu nộp phí",
    "record-payment": "Đã nộp phí",
    "stop": "Dừng xử lý",
    "withdraw": "Rút hồ sơ",
    "resolve": "Giải quyết xong",
    "return": "Trả kết quả",
    "extend": "Gia hạn, xin lỗi",
}
DONE = {
    Action.receive: "Đã tiếp nhận hồ sơ, cấp mã và hẹn ngày trả.",
    Action.request_supplement: "Đã gửi yêu cầu bổ sung; tổ lưu động sẽ nhận được tin.",
    Action.refuse: "Đã từ chối tiếp nhận hồ sơ.",
}


class ClerkPages(Controller):
    """Pages of the commune's one-stop department."""

    path = "/ho-so"
    include_in_schema = False
    opt = {"csrf": "form"}
    guards = [form_csrf_guard]

    @get("/")
    async def inbox(
        self,
        request: Request[Any, Any, Any],
        services: Deps,
        nhom: FromQuery[str] = "moi",
        q: FromQuery[str] = "",
        to: FromQuery[str] = "",
        thu_tuc: FromQuery[str] = "",
        kenh: FromQuery[str] = "",
        trang: FromQuery[int] = 1,
    ) -> Template:
        principal = principal_of(request)
        group = nhom if nhom in GROUPS else "moi"
        today = local_date(services.ctx.clock.now())
        team_id = int(to) if to.isdigit() else None
        channel = wire.Channel(kenh) if kenh in CHANNELS else None
        page_number = max(1, trang)
        base = InboxFilter(
            team_id=team_id,
            procedure_code=thu_tuc or None,
            channel=channel,
            q=q.strip() or None,
            limit=50,
            offset=(page_number - 1) * 50,
        )
        due_by = today + timedelta(days=DUE_SOON_DAYS)
        result = await services.dossiers.inbox(principal, _group_filter(group, base, due_by))
        counts = {
            key: await services.dossiers.count(principal, _group_filter(key, InboxFilter(), due_by))
            for key in ("moi", "cho-bo-sung", "qua-han", "sap-den-han")
        }
        due_soon = {
            d.id
            for d in result.items
            if d.due_date
            and not d.overdue
            and d.due_date <= due_by
            and Status(d.status.code) in OPEN_FOR_DUE
        }
        teams = await services.communes.list_teams(principal, include_inactive=True)
        commune = await services.communes.get(principal.commune_code)
        query = {"nhom": group, "q": q, "to": to, "thu_tuc": thu_tuc, "kenh": kenh}

        def link(number: int) -> str:
            return "/ho-so?" + urlencode({k: v for k, v in {**query, "trang": number}.items() if v})

        return page(
            request,
            "inbox.html",
            commune_name=commune.name,
            tabs=[(k, label, counts.get(k)) for k, (label, _) in GROUPS.items()],
            group=group,
            q=q,
            team_id=team_id,
            procedure_code=thu_tuc,
            channel=kenh,
            teams=teams,
            team_names={t.id: t.name for t in teams},
            procedures=await services.catalog.procedures(principal),
            channels=list(CHANNELS.items()),
            channel_labels=CHANNELS,
            page=result,
            page_number=page_number,
            due_soon=due_soon,
            prev_url=link(page_number - 1) if page_number > 1 else None,
            next_url=link(page_number + 1) if result.offset + result.limit < result.total else None,
            batches=await services.batches.recent(principal.commune_code),
            outcome_labels=OUTCOMES,
        )

    @get("/{dossier_id:str}")
    async def dossier(
        self,
        request: Request[Any, Any, Any],
        services: Deps,
        dossier_id: FromPath[str],
        xong: FromQuery[str] = "",
    ) -> Template:
        principal = principal_of(request)
        context = await dossier_context(services, principal, dossier_id, client_address(request))
        done = next((a for a in Action if a.value == xong), None)
        if done is not None:
            context["flash"] = DONE.get(done, "Đã cập nhật hồ sơ.")
            if done is Action.receive:
                context["flash_link"] = (f"/ho-so/{dossier_id}/in/mau-01", "In Giấy tiếp nhận")
            if done is Action.request_supplement:
                context["flash_link"] = (f"/ho-so/{dossier_id}/in/mau-02", "In phiếu Mẫu 02")
        return page(request, "dossier.html", **context)

    @post("/{dossier_id:str}/{action:str}", guards=_STAFF_ACT)
    async def act(
        self,
        request: Request[Any, Any, Any],
        services: Deps,
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
            await services.dossiers.act(
                principal.commune_code, dossier_id, chosen, body, Actor.of(principal)
            )
        except AppError as exc:
            if exc.code is ErrorCode.not_found:
                raise
            context = await dossier_context(
                services, principal, dossier_id, client_address(request)
            )
            context["error"] = exc.detail
            context["open_action"] = chosen.value
            return page(request, "dossier.html", status_code=CATALOGUE[exc.code].status, **context)
        return Redirect(f"/ho-so/{dossier_id}?xong={chosen.value}", status_code=303)

    @get("/{dossier_id:str}/xem/{sha256:str}")
    async def viewer(
        self,
        request: Request[Any, Any, Any],
        services: Deps,
        dossier_id: FromPath[str],
        sha256: FromPath[str],
    ) -> Template:
        principal = principal_of(request)
        dossier = await services.dossiers.get(principal, dossier_id)
        pages = await services.scans.pages(principal.commune_code, dossier_id)
        index = next((n for n, p in enumerate(pages) if p.sha256 == sha256), None)
        if index is None:
            raise AppError(ErrorCode.not_found, "Không tìm thấy trang này trong hồ sơ.")
        names = await _document_names(services, principal, dossier.procedure_code)
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

    @get("/{dossier_id:str}/anh/{sha256:str}")
    async def scan(
        self,
        request: Request[Any, Any, Any],
        services: Deps,
        dossier_id: FromPath[str],
        sha256: FromPath[str],
    ) -> Response[bytes]:
        return await _image(request, services, dossier_id, sha256, "full")

    @get("/{dossier_id:str}/anh/{sha256:str}/nho")
    async def thumbnail(
        self,
        request: Request[Any, Any, Any],
        services: Deps,
        dossier_id: FromPath[str],
        sha256: FromPath[str],
    ) -> Response[bytes]:
        return await _image(request, services, dossier_id, sha256, "thumbnail")


async def _image(
    request: Request[Any, Any, Any],
    services: Services,
    dossier_id: str,
    sha256: str,
    size: Any,
) -> Response[bytes]:
    principal = principal_of(request)
    data = await services.scans.image(principal, dossier_id, sha256, size, client_address(request))
    media_type = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    # Personal data: never kept by shared caches or the browser's disk cache.
    return Response(
        data,
        media_type=media_type,
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


def _group_filter(group: str, base: InboxFilter, due_by: date) -> InboxFilter:
    """The inbox filter of a tab, on top of the page's own filters."""
    if group == "qua-han":
        return replace(base, overdue=True)
    if group == "sap-den-han":
        return replace(base, due_by=due_by, statuses=OPEN_FOR_DUE)
    return replace(base, statuses=GROUPS[group][1])


def _action_body(action: Action, form: FormMultiDict) -> wire.VersionCheck:
    """The action's typed body from the form's fields (empty fields take their defaults)."""
    _, _, body_type = ACTION_FORMS[action]
    fields = {k: v for k, v in form_fields(form).items() if not k.startswith("item_")}
    if action is Action.request_supplement:
        keys, problems, notes = (form.getall(f"item_{n}", []) for n in ("key", "problem", "note"))
        fields["items"] = [
            {"document_key": k, "problem": p, "note": n}
            for k, p, n in zip(keys, problems, notes, strict=False)
            if p
        ]
        if not fields["items"]:
            raise AppError(ErrorCode.validation_failed, "Hãy chọn ít nhất một giấy tờ cần bổ sung.")
    return to_struct(fields, body_type)


async def _document_names(
    services: Services, principal: Principal, procedure_code: str
) -> dict[str, str]:
    procedure = await _procedure(services, principal, procedure_code)
    return {d.key: d.name for d in procedure.documents} if procedure else {}


async def _procedure(services: Services, principal: Principal, procedure_code: str) -> Any:
    procedures = await services.catalog.procedures(principal, include_inactive=True)
    return next((p for p in procedures if p.code == procedure_code), None)


async def dossier_context(
    services: Services, principal: Principal, dossier_id: str, client: str
) -> dict[str, Any]:
    """Everything the dossier page and the printed forms show; the view is audited."""
    dossier = await services.dossiers.get(principal, dossier_id)
    await services.audit.record(principal, AuditAction.view_dossier, dossier_id, "", client)
    pages = await services.scans.pages(principal.commune_code, dossier_id)
    procedure = await _procedure(services, principal, dossier.procedure_code)
    documents = procedure.documents if procedure else []
    counts: dict[str, int] = {}
    for p in pages:
        counts[p.key] = counts.get(p.key, 0) + 1
    checklist = [
        {
            "key": d.key,
            "name": d.name,
            "kind": d.kind.value if hasattr(d.kind, "value") else d.kind,
            "required": d.required,
            "pages": counts.get(d.key, 0),
        }
        for d in documents
    ]
    groups: dict[int, list[ScanPage]] = {}
    for p in pages:
        groups.setdefault(p.doc_version, []).append(p)
    events = await services.dossiers.events(principal, dossier_id)
    teams = {
        t.id: t.name for t in await services.communes.list_teams(principal, include_inactive=True)
    }
    today = local_date(services.ctx.clock.now())
    status = Status(dossier.status.code)
    can_act = principal.role in (Role.admin, Role.clerk)
    actions = [
        {
            "action": a.value,
            "label": ACTION_FORMS[a][0],
            "button": ACTION_FORMS[a][1],
            "open": False,
        }
        for a in ACTION_FORMS
        if a in ALLOWED[status] and can_act
    ]
    printables = []
    if dossier.code:
        printables.append((f"/ho-so/{dossier_id}/in/mau-01", "Mẫu 01 — Giấy tiếp nhận và hẹn trả"))
    kinds = {e.action for e in events}
    if "request-supplement" in kinds:
        printables.append((f"/ho-so/{dossier_id}/in/mau-02", "Mẫu 02 — Yêu cầu bổ sung"))
    if "refuse" in kinds:
        printables.append((f"/ho-so/{dossier_id}/in/mau-03", "Mẫu 03 — Từ chối tiếp nhận"))
    if "extend" in kinds:
        printables.append((f"/ho-so/{dossier_id}/in/mau-04", "Mẫu 04 — Xin lỗi, hẹn lại"))
    return {
        "d": dossier,
        "overdue": bool(
            dossier.due_date
            and dossier.finished_at is None
            and dossier.due_date < today
            and status in OPEN_FOR_DUE
        ),
        "warnings": await services.scans.cccd_warnings(dossier),
        "checklist": checklist,
        "doc_names": {d.key: d.name for d in documents},
        "scan_groups": sorted(groups.items()),
        "events": [step for e in events for step in _event_view(e)],
        "latest": {e.action: e for e in events},
        "actions": actions,
        "printables": printables,
        "channel_label": CHANNELS.get(dossier.channel.value, dossier.channel.value),
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
    payload = event.payload or {}
    actor = {"user": "cán bộ", "device": "thiết bị", "citizen": "công dân"}.get(
        event.actor_kind, event.actor_kind
    )
    steps = []
    if event.action == "submit" and payload.get("captured_at"):
        steps.append(
            {
                "at": datetime.fromisoformat(payload["captured_at"]),
                "label": "Thu nhận tại hộ dân",
                "actor": f"{actor} {event.actor_name}",
                "detail": payload.get("place", ""),
            }
        )
        if payload.get("uploaded_at"):
            steps.append(
                {
                    "at": datetime.fromisoformat(payload["uploaded_at"]),
                    "label": "Bắt đầu tải lên",
                    "actor": f"{actor} {event.actor_name}",
                    "detail": f"lô {payload.get('batch_id')}",
                }
            )
    details = []
    if payload.get("code"):
        details.append(f"mã hồ sơ {payload['code']}")
    if payload.get("due_date"):
        details.append(f"hẹn trả {vn_date(date.fromisoformat(payload['due_date']))}")
    for item in payload.get("items", []):
        problem = "còn thiếu" if item.get("problem") == "missing" else "chưa hợp lệ"
        details.append(f"{item.get('document_key')}: {problem} {item.get('note', '')}".strip())
    for key in ("reason", "result_summary", "note"):
        if payload.get(key):
            details.append(str(payload[key]))
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
