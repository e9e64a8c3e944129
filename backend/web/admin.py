"""The commune admin's pages: teams, devices (enrolment QR, revoke), catalog, holidays, users,
and the audit trail. Each form goes through the same services as the API."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import msgspec
import segno
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from backend.accounts.services import AccountService
from backend.audit.services import AuditAction, AuditFilter, AuditService
from backend.auth.middleware import form_csrf_guard
from backend.auth.principal import Principal, principal_of, require
from backend.auth.roles import Permission
from backend.catalog.services import CatalogService
from backend.communes.services import CommuneService
from backend.devices.services import DeviceService
from backend.dossiers.calendar import CalendarService
from backend.dossiers.queries import DossierQueries
from backend.edge import public_base
from backend.errors import AppError
from backend.params import Count, MaybeRowId, RowId, row_id
from backend.reports.render import csv_bytes
from backend.web.forms import form_fields, period, to_struct
from backend.web.render import page, vn_datetime
from schemas import accounts as accounts_wire
from schemas import audit as audit_wire
from schemas import catalog as catalog_wire
from schemas import communes as communes_wire
from schemas import dossiers as dossiers_wire
from schemas.communes import TeamKind
from schemas.errors import CATALOGUE, ErrorCode

__all__ = ["AdminPages", "parse_documents"]

SECTIONS = [
    ("don-vi", "Đơn vị"),
    ("to", "Tổ lưu động, điểm tổ dân phố"),
    ("thiet-bi", "Thiết bị"),
    ("thu-tuc", "Danh mục thủ tục"),
    ("ngay-nghi", "Ngày nghỉ, ngày làm bù"),
    ("nguoi-dung", "Người dùng"),
    ("nhat-ky", "Nhật ký truy cập"),
]
ROLES = {"admin": "Quản trị", "clerk": "Cán bộ một cửa", "viewer": "Chỉ xem"}
TEAM_KINDS = {kind.value: kind.label for kind in TeamKind}
AUDIT_KINDS = [AuditAction.view_dossier, AuditAction.view_scan, AuditAction.print_form]
"""The kinds the audit page filters by (a thumbnail is always inside a view)."""
AUDIT_CSV_ROWS = 20_000
AUDIT_CSV_HEADER = [
    "Lúc", "Người xem", "Việc", "Mã hồ sơ", "Người nộp", "Ảnh thu nhỏ đã tải",
    "Ảnh đã mở (sha256)", "Phiếu, ảnh", "Địa chỉ máy", "Mã nội bộ hồ sơ",
]  # fmt: skip
MAX_IMPORT_BYTES = 5 * 1024 * 1024
AUDIT_PAGE = 50


DOCUMENT_KINDS = {
    "bản chính": "original",
    "bản sao": "copy",
    "bản chính hoặc bản sao": "original_or_copy",
    **{kind.value: kind.value for kind in catalog_wire.DocumentKind},
}
DOCUMENT_NEEDS = {
    "bắt buộc": True,
    "không bắt buộc": False,
    "không": False,
    "required": True,
    "optional": False,
}
DOCUMENT_LINE = "mã | tên | bản chính/bản sao/bản chính hoặc bản sao | bắt buộc/không bắt buộc"


def parse_documents(text: str) -> list[dict[str, Any]]:
    """Documents from lines ``key | name | kind | required`` (the Vietnamese words of
    ``documents_text``, or the API's values); a line that is not all four is a 422 naming it."""
    documents = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        kind = DOCUMENT_KINDS.get(parts[2].lower()) if len(parts) == 4 else None
        required = DOCUMENT_NEEDS.get(parts[3].lower()) if len(parts) == 4 else None
        if kind is None or required is None or not parts[0] or not parts[1]:
            raise AppError(
                ErrorCode.validation_failed,
                f"Thành phần hồ sơ, dòng {number} («{line.strip()}»): cần đủ bốn phần "
                f"«{DOCUMENT_LINE}».",
            )
        documents.append({"key": parts[0], "name": parts[1], "kind": kind, "required": required})
    return documents


def documents_text(procedure: catalog_wire.Procedure | None) -> str:
    """The editable text of a procedure's documents."""
    if procedure is None:
        return ""
    kinds = {value: word for word, value in reversed(DOCUMENT_KINDS.items())}
    needs = {True: "bắt buộc", False: "không bắt buộc"}
    return "\n".join(
        f"{d.key} | {d.name} | {kinds[d.kind.value]} | {needs[d.required]}"
        for d in procedure.documents
    )


@dataclass(frozen=True)
class AdminConsole:
    """The services the admin pages show and change (one dependency of theirs)."""

    communes: NamedDependency[CommuneService]
    devices: NamedDependency[DeviceService]
    catalog: NamedDependency[CatalogService]
    calendars: NamedDependency[CalendarService]
    accounts: NamedDependency[AccountService]
    audit: NamedDependency[AuditService]
    dossiers: NamedDependency[DossierQueries]

    async def audit_page(
        self, principal: Principal, query: dict[str, str], limit: int, offset: int
    ) -> tuple[audit_wire.AuditPage, dict[str, tuple[str | None, str]]]:
        """The trail's rows for the audit page's query, and each dossier's code and applicant."""
        date_from, date_to = period(query["tu"], query["den"])
        kind = next((k for k in AuditAction if k.value == query["viec"]), None)
        code = query["ma"].strip()
        chosen = AuditFilter(
            actor_name=query["nguoi"] or None,
            dossier_ids=(
                await self.dossiers.ids_by_code(principal.commune_code, code) if code else None
            ),
            action=kind,
            date_from=date_from,
            date_to=date_to,
            limit=limit,
            offset=offset,
        )
        found = await self.audit.entries(principal, chosen)
        names = await self.dossiers.named(
            principal.commune_code, [e.dossier_id for e in found.items]
        )
        return found, names


Console = NamedDependency[AdminConsole]


def _audit_query(
    nguoi: FromQuery[str] = "",
    ma: FromQuery[str] = "",
    viec: FromQuery[str] = "",
    tu: FromQuery[str] = "",
    den: FromQuery[str] = "",
) -> dict[str, str]:
    """The audit page's filters as its query sends them (the page and its CSV read the same)."""
    return {"nguoi": nguoi, "ma": ma, "viec": viec, "tu": tu, "den": den}


class AdminPages(Controller):
    """Admin pages of the caller's commune."""

    path = "/quan-tri"
    include_in_schema = False
    dependencies = {"console": Provide(AdminConsole, sync_to_thread=False)}
    opt = {"csrf": "form"}
    guards = [require(Permission.admin), form_csrf_guard]

    async def _render(
        self,
        request: Request[Any, Any, Any],
        console: AdminConsole,
        section: str,
        *,
        status_code: int = 200,
        error: str | None = None,
        flash: str | None = None,
        **extra: Any,
    ) -> Template:
        principal = principal_of(request)
        context: dict[str, Any] = {
            "section": section,
            "sections": SECTIONS,
            "error": error,
            "flash": flash,
            "issued": None,
            "issued_qr": "",
            "editing": None,
            "documents_text": "",
            "request_base": public_base(request),
            "kept": {},
            "document_line": DOCUMENT_LINE,
        }
        if section == "to":
            context["teams"] = await console.communes.list_teams(principal, include_inactive=True)
            context["kinds"] = TEAM_KINDS
        elif section == "thiet-bi":
            teams = await console.communes.list_teams(principal, include_inactive=True)
            context["teams"] = teams
            context["team_names"] = {t.id: t.name for t in teams}
            context["devices"] = await console.devices.devices(principal)
        elif section == "thu-tuc":
            context["procedures"] = await console.catalog.procedures(
                principal, include_inactive=True
            )
        elif section == "ngay-nghi":
            context["overrides"] = await console.calendars.list_overrides(principal)
        elif section == "nguoi-dung":
            context["users"] = await console.accounts.list_users(principal)
            context["roles"] = ROLES
            context["password_min"] = accounts_wire.PASSWORD_MIN_LENGTH
            context.setdefault("editing_user", None)
        elif section == "nhat-ky":
            context["audit_kinds"] = AUDIT_KINDS
            context["actors"] = await console.audit.actors(principal)
            context["audit_labels"] = {k.value: k.label for k in AuditAction}
        commune = await console.communes.get(principal.commune_code)
        return page(
            request,
            f"admin/{section}.html",
            status_code=status_code,
            commune=commune,
            **(context | extra),
        )

    async def _guarded(
        self,
        request: Request[Any, Any, Any],
        console: AdminConsole,
        section: str,
        work: Any,
        done: str,
        kept: dict[str, Any] | None = None,
        **extra: Any,
    ) -> Response[Any]:
        """Run ``work``; on a refused change show the section again with the reason and the
        form as it was sent (``kept``; never a password)."""
        try:
            await work
        except AppError as exc:
            if exc.code in (ErrorCode.not_found, ErrorCode.forbidden):
                raise
            return await self._render(
                request,
                console,
                section,
                status_code=CATALOGUE[exc.code].status,
                error=exc.detail,
                kept={k: v for k, v in (kept or {}).items() if k != "password"},
                **extra,
            )
        return Redirect(f"/quan-tri/{section}?xong={done}", status_code=303)

    @get("/")
    async def index(self) -> Redirect:
        return Redirect("/quan-tri/to")

    @get([f"/{key}" for key, _ in SECTIONS if key != "nhat-ky"])
    async def section(
        self,
        request: Request[Any, Any, Any],
        console: Console,
        xong: FromQuery[str] = "",
        sua: MaybeRowId = None,
    ) -> Template:
        section = request.url.path.rstrip("/").rsplit("/", 1)[-1]
        principal = principal_of(request)
        editing = None
        extra: dict[str, Any] = {}
        if section == "thu-tuc" and sua is not None:
            editing = await console.catalog.get(principal, sua)
        if section == "nguoi-dung" and sua is not None:
            extra["editing_user"] = await console.accounts.get_user(principal, sua)
        return await self._render(
            request,
            console,
            section,
            flash="Đã lưu thay đổi." if xong else None,
            editing=editing,
            documents_text=documents_text(editing),
            **extra,
        )

    # --- the audit trail ------------------------------------------------------------------

    @get("/nhat-ky", dependencies={"filters": Provide(_audit_query, sync_to_thread=False)})
    async def audit_trail(
        self,
        request: Request[Any, Any, Any],
        console: Console,
        filters: NamedDependency[dict[str, str]],
        trang: Count = 1,
    ) -> Template:
        query = filters
        found, names = await console.audit_page(
            principal_of(request), query, AUDIT_PAGE, (trang - 1) * AUDIT_PAGE
        )

        def link(number: int) -> str:
            return "/quan-tri/nhat-ky?" + urlencode(
                {k: v for k, v in {**query, "trang": number}.items() if v}
            )

        return await self._render(
            request,
            console,
            "nhat-ky",
            found=found,
            names=names,
            query=query,
            page_number=trang,
            prev_url=link(trang - 1) if trang > 1 else None,
            next_url=link(trang + 1) if found.offset + found.limit < found.total else None,
            csv_url="/quan-tri/nhat-ky.csv?" + urlencode({k: v for k, v in query.items() if v}),
        )

    @get("/nhat-ky.csv", dependencies={"filters": Provide(_audit_query, sync_to_thread=False)})
    async def audit_csv(
        self,
        request: Request[Any, Any, Any],
        console: Console,
        filters: NamedDependency[dict[str, str]],
    ) -> Response[bytes]:
        principal = principal_of(request)
        found, names = await console.audit_page(principal, filters, AUDIT_CSV_ROWS, 0)
        labels = {k.value: k.label for k in AuditAction}
        rows = (
            [
                vn_datetime(e.at),
                e.actor_name,
                labels.get(e.action, e.action),
                names.get(e.dossier_id, (None, ""))[0] or "",
                names.get(e.dossier_id, (None, ""))[1],
                e.thumbnails,
                " ".join(e.scans),
                e.subject,
                e.client,
                e.dossier_id,
            ]
            for e in found.items
        )
        name = f"nhat-ky-{principal.commune_code}.csv"
        return Response(
            csv_bytes(AUDIT_CSV_HEADER, rows),
            media_type="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "private, no-store",
            },
        )

    # --- the commune ----------------------------------------------------------------------

    @post("/don-vi/luu")
    async def save_commune(
        self, request: Request[Any, Any, Any], console: Console
    ) -> Response[Any]:
        principal = principal_of(request)
        data = form_fields(await request.form())
        data.setdefault("printed_name", "")

        async def work() -> None:
            await console.communes.update(principal, to_struct(data, communes_wire.CommuneUpdate))

        return await self._guarded(request, console, "don-vi", work(), "luu", data)

    # --- teams ----------------------------------------------------------------------------

    @post("/to/them")
    async def create_team(self, request: Request[Any, Any, Any], console: Console) -> Response[Any]:
        principal = principal_of(request)
        data = form_fields(await request.form())

        async def work() -> None:
            await console.communes.create_team(principal, to_struct(data, communes_wire.TeamCreate))

        return await self._guarded(request, console, "to", work(), "tao-to", data)

    @post("/to/{team_id:int}/ngung")
    async def deactivate_team(
        self, request: Request[Any, Any, Any], console: Console, team_id: RowId
    ) -> Response[Any]:
        principal = principal_of(request)
        await console.communes.deactivate_team(principal, team_id)
        return Redirect("/quan-tri/to?xong=ngung", status_code=303)

    # --- devices --------------------------------------------------------------------------

    @post("/thiet-bi/ma-dang-ky")
    async def enrolment_code(self, request: Request[Any, Any, Any], console: Console) -> Template:
        principal = principal_of(request)
        form = await request.form()
        team = row_id(form.get("team_id", ""))
        if team is None:
            raise AppError(ErrorCode.validation_failed, "Hãy chọn một tổ.")
        server = public_base(request)
        issued = await console.devices.issue_code(principal, team, server)
        qr = segno.make(issued.qr_payload, error="m")
        return await self._render(
            request,
            console,
            "thiet-bi",
            issued=issued,
            issued_qr=qr.svg_inline(scale=5, omitsize=True, title="Mã QR đăng ký thiết bị"),
        )

    @post("/thiet-bi/{device_id:str}/thu-hoi")
    async def revoke_device(
        self, request: Request[Any, Any, Any], console: Console, device_id: FromPath[str]
    ) -> Response[Any]:
        await console.devices.revoke(principal_of(request), device_id)
        return Redirect("/quan-tri/thiet-bi?xong=thu-hoi", status_code=303)

    # --- catalog --------------------------------------------------------------------------

    @post("/thu-tuc/luu")
    async def save_procedure(
        self, request: Request[Any, Any, Any], console: Console
    ) -> Response[Any]:
        principal = principal_of(request)
        data = form_fields(await request.form())
        kept = dict(data)
        raw_id = data.pop("id", None)
        procedure_id = row_id(raw_id)
        if raw_id is not None and procedure_id is None:
            raise AppError(ErrorCode.not_found, "Không tìm thấy thủ tục.")
        editing = (
            None if procedure_id is None else await console.catalog.get(principal, procedure_id)
        )
        lines = data.pop("documents", "")

        async def work() -> None:
            data["documents"] = parse_documents(lines)
            if procedure_id is None:
                await console.catalog.create(
                    principal, to_struct(data, catalog_wire.ProcedureCreate)
                )
            else:
                data.pop("code", None)
                data.setdefault("processing_days", None)
                data.setdefault("fee_vnd", None)
                await console.catalog.update(
                    principal, procedure_id, to_struct(data, catalog_wire.ProcedureUpdate)
                )

        return await self._guarded(
            request,
            console,
            "thu-tuc",
            work(),
            "luu-thu-tuc",
            kept,
            editing=editing,
            documents_text=lines,
        )

    @post("/thu-tuc/{procedure_id:int}/ngung")
    async def retire_procedure(
        self, request: Request[Any, Any, Any], console: Console, procedure_id: RowId
    ) -> Response[Any]:
        await console.catalog.retire(principal_of(request), procedure_id)
        return Redirect("/quan-tri/thu-tuc?xong=ngung", status_code=303)

    @post("/thu-tuc/nhap")
    async def import_catalog(
        self, request: Request[Any, Any, Any], console: Console
    ) -> Response[Any]:
        principal = principal_of(request)
        upload = (await request.form()).get("file")
        if not isinstance(upload, UploadFile):
            raise AppError(ErrorCode.validation_failed, "Hãy chọn tệp danh mục (JSON).")
        raw = await upload.read()

        async def work() -> None:
            if len(raw) > MAX_IMPORT_BYTES:
                raise AppError(ErrorCode.body_too_large, "Tệp danh mục quá lớn.")
            try:
                document = msgspec.json.decode(raw, type=catalog_wire.CatalogDocument)
            except (msgspec.ValidationError, msgspec.DecodeError, json.JSONDecodeError) as exc:
                raise AppError(
                    ErrorCode.validation_failed, f"Tệp danh mục không hợp lệ: {exc}"
                ) from None
            await console.catalog.import_catalog(principal, document)

        return await self._guarded(request, console, "thu-tuc", work(), "nhap")

    # --- holidays -------------------------------------------------------------------------

    @post("/ngay-nghi/them")
    async def add_override(
        self, request: Request[Any, Any, Any], console: Console
    ) -> Response[Any]:
        principal = principal_of(request)
        data = form_fields(await request.form())

        async def work() -> None:
            await console.calendars.add_override(
                principal, to_struct(data, dossiers_wire.HolidayOverrideCreate)
            )

        return await self._guarded(request, console, "ngay-nghi", work(), "them", data)

    @post("/ngay-nghi/{override_id:int}/xoa")
    async def delete_override(
        self, request: Request[Any, Any, Any], console: Console, override_id: RowId
    ) -> Response[Any]:
        await console.calendars.delete_override(principal_of(request), override_id)
        return Redirect("/quan-tri/ngay-nghi?xong=xoa", status_code=303)

    # --- users ----------------------------------------------------------------------------

    @post("/nguoi-dung/them")
    async def create_user(self, request: Request[Any, Any, Any], console: Console) -> Response[Any]:
        principal = principal_of(request)
        data = form_fields(await request.form())

        async def work() -> None:
            await console.accounts.create_user(
                principal.commune_code, to_struct(data, accounts_wire.UserCreate)
            )

        return await self._guarded(request, console, "nguoi-dung", work(), "tao", data)

    @post("/nguoi-dung/{user_id:int}/sua")
    async def edit_user(
        self, request: Request[Any, Any, Any], console: Console, user_id: RowId
    ) -> Response[Any]:
        """Full name, role and a new password (a reset) of one user."""
        principal = principal_of(request)
        data = form_fields(await request.form())
        editing = await console.accounts.get_user(principal, user_id)
        data.setdefault("full_name", "")

        async def work() -> None:
            await console.accounts.update_user(
                principal, user_id, to_struct(data, accounts_wire.UserUpdate)
            )

        return await self._guarded(
            request, console, "nguoi-dung", work(), "sua", data, editing_user=editing
        )

    @post("/nguoi-dung/{user_id:int}/{change:str}")
    async def set_active(
        self,
        request: Request[Any, Any, Any],
        console: Console,
        user_id: RowId,
        change: FromPath[str],
    ) -> Response[Any]:
        updates = {
            "khoa": accounts_wire.UserUpdate(active=False),
            "mo": accounts_wire.UserUpdate(active=True),
            "cap-du-lieu-ca-nhan": accounts_wire.UserUpdate(personal_data=True),
            "thu-du-lieu-ca-nhan": accounts_wire.UserUpdate(personal_data=False),
        }
        if change not in updates:
            raise AppError(ErrorCode.not_found, "Không có thao tác này.")
        principal = principal_of(request)
        update = updates[change]

        async def work() -> None:
            await console.accounts.update_user(principal, user_id, update)

        return await self._guarded(request, console, "nguoi-dung", work(), change)
