"""Tiếp nhận trực tiếp: a citizen at the counter, entered, scanned and received on the spot.

The clerk picks the procedure, reads the applicant from the ID card's QR (a photo or a scan of
the card, or a webcam frame where the browser has one), attaches each document's pages and
records consent; "Tiếp nhận và cấp mã" registers the dossier (``DossierLifecycle.create``, as
the API's counter intake does) and receives it, and the page offers Mẫu 01 to print.

Every file is normalised and stored as soon as the form arrives, so a form sent back with a
problem keeps its pages (as hidden hashes the commune holds) and the clerk never picks a file
twice. The form's dossier id is made when the page is shown: the same form sent twice is one
dossier.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from ulid import ULID

from backend.auth.middleware import form_csrf_guard
from backend.auth.principal import Principal, principal_of, require
from backend.auth.roles import Permission
from backend.dossiers.lifecycle import STAFF_CHANNELS, Actor
from backend.errors import AppError
from backend.web.clerk import DESK, MAX_SCAN_FORM, ClerkDesk, Desk, form_scans
from backend.web.forms import form_fields, to_struct
from backend.web.render import page
from schemas import dossiers as wire
from schemas.catalog import Procedure, check_documents
from schemas.cccd import ID_CARD_DOCUMENT
from schemas.dossiers import Action, Status
from schemas.errors import CATALOGUE, ErrorCode

__all__ = ["COUNTER_PATH", "CounterPages"]

COUNTER_PATH = "/ho-so/nhap-tai-quay"

APPLICANT_FIELDS = ("full_name", "id_number", "birth_date", "gender", "address", "phone")
READ_CARD = "doc-cccd"
"""The submit button's value that reads the ID card instead of receiving."""


class CounterPages(Controller):
    """The counter intake page of the commune's one-stop department."""

    path = COUNTER_PATH
    include_in_schema = False
    opt = {"csrf": "form"}
    guards = [require(Permission.act), form_csrf_guard]
    dependencies = DESK

    @get("/")
    async def start(
        self, request: Request[Any, Any, Any], desk: Desk, thu_tuc: FromQuery[str] = ""
    ) -> Template:
        principal = principal_of(request)
        procedure = await _procedure(desk, principal, thu_tuc)
        values = {"id": str(ULID()), "channel": "counter", "delivery_method": "counter"}
        return await _form(request, desk, procedure, values, {}, None, None)

    @post("/", request_max_body_size=MAX_SCAN_FORM)
    async def submit(self, request: Request[Any, Any, Any], desk: Desk) -> Response[Any]:
        principal = principal_of(request)
        form = await request.form()
        values = form_fields(form)
        procedure = await _procedure(desk, principal, values.get("procedure_code", ""))
        if procedure is None:
            raise AppError(ErrorCode.unknown_procedure, "Hãy chọn thủ tục có trong danh mục.")
        pages: dict[str, list[wire.DocumentRef]] = {}
        try:
            pages, problems = await form_scans(desk, principal, form, procedure)
            if problems:
                raise AppError(ErrorCode.invalid_image, " ".join(problems))
            if form.get("buoc") == READ_CARD:
                notice = await _read_card(desk, pages, values)
                return await _form(request, desk, procedure, values, pages, None, notice)
            dossier_id = await _receive(desk, principal, procedure, values, pages)
        except AppError as exc:
            return await _form(
                request, desk, procedure, values, pages, exc, None, CATALOGUE[exc.code].status
            )
        return Redirect(f"/ho-so/{dossier_id}?xong={Action.receive.value}", status_code=303)


async def _procedure(desk: ClerkDesk, principal: Principal, code: str) -> Procedure | None:
    """An active procedure of the commune's catalog."""
    procedures = await desk.catalog.procedures(principal)
    return next((p for p in procedures if p.code == code), None)


async def _read_card(
    desk: ClerkDesk, pages: dict[str, list[wire.DocumentRef]], values: dict[str, Any]
) -> str:
    """Fill the applicant's fields from the ID card scan's QR; say what was read."""
    cards = pages.get(ID_CARD_DOCUMENT, [])
    if not cards:
        raise AppError(ErrorCode.validation_failed, "Hãy chọn ảnh mặt sau căn cước (có mã QR).")
    for card in cards:
        record = await desk.scans.checks.id_card(card.sha256)
        if record is not None:
            values.update(
                full_name=record.full_name,
                id_number=record.id_number,
                birth_date=record.birth_date.isoformat(),
                gender=record.gender.value,
                address=record.address,
            )
            return f"Đã đọc mã QR trên căn cước của {record.full_name}: hãy đối chiếu với thẻ."
    raise AppError(
        ErrorCode.cccd_invalid,
        "Không đọc được mã QR trên ảnh căn cước: hãy chụp lại rõ, đủ sáng, hoặc nhập tay.",
    )


async def _receive(
    desk: ClerkDesk,
    principal: Principal,
    procedure: Procedure,
    values: dict[str, Any],
    pages: dict[str, list[wire.DocumentRef]],
) -> str:
    """Register the dossier and receive it; its id (an id sent again is the same dossier)."""
    documents = [ref for refs in pages.values() for ref in refs]
    problem = check_documents(procedure.documents, (d.key for d in documents))
    if problem is not None:
        raise AppError(problem.code, problem.detail)
    data = to_struct(
        {
            "id": values.get("id"),
            "procedure_code": procedure.code,
            "applicant": {k: values[k] for k in APPLICANT_FIELDS if k in values},
            "channel": values.get("channel", "counter"),
            "consent": values.get("consent") == "on",
            "documents": msgspec.to_builtins(documents),
            "delivery": {
                "method": values.get("delivery_method", "counter"),
                "address": values.get("delivery_address", ""),
            },
            "note": values.get("note", ""),
        },
        wire.DossierCreate,
    )
    dossier, _ = await desk.lifecycle.create(principal.commune_code, data, Actor.of(principal))
    if dossier.status.code == Status.submitted:
        body = to_struct(
            {"version": dossier.version, "processing_days": values.get("processing_days")},
            wire.Receive,
        )
        await desk.lifecycle.act(
            principal.commune_code, dossier.id, Action.receive, body, Actor.of(principal)
        )
    return dossier.id


async def _form(
    request: Request[Any, Any, Any],
    desk: ClerkDesk,
    procedure: Procedure | None,
    values: dict[str, Any],
    pages: dict[str, list[wire.DocumentRef]],
    error: AppError | None,
    notice: str | None,
    status_code: int = 200,
) -> Template:
    principal = principal_of(request)
    return page(
        request,
        "counter.html",
        status_code=status_code,
        procedures=await desk.catalog.procedures(principal),
        procedure=procedure,
        values=values,
        pages=pages,
        card_key=ID_CARD_DOCUMENT,
        error=error.detail if error else None,
        notice=notice,
        channels=[(c.value, c.label) for c in wire.Channel if c in STAFF_CHANNELS],
        genders=list(wire.Gender),
        deliveries=list(wire.DeliveryMethod),
        read_card=READ_CARD,
    )
