"""The forms the clerk prints (Circular 03/2025 numbering): Mẫu 01 to Mẫu 04, on A5.

They are HTML pages with a print stylesheet (``@page { size: A5 }``), so any browser prints them
without a PDF plug-in. The receipt's QR code (segno) carries the public tracking URL.
"""

from __future__ import annotations

from typing import Any

import segno
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from backend.accounts.services import AccountService
from backend.audit.services import AuditAction, AuditService
from backend.auth.principal import client_address, principal_of, require
from backend.auth.roles import Permission
from backend.clock import local_date
from backend.dossiers import rules
from backend.dossiers.forms import FORMS
from backend.edge import public_base
from backend.errors import AppError
from backend.web.clerk import DESK, Desk, dossier_context
from backend.web.render import page
from schemas.errors import ErrorCode

__all__ = ["PrintPages", "tracking_url"]


def tracking_url(request: Request[Any, Any, Any], code: str, token: str) -> str:
    """The public tracking address printed on the receipt."""
    base = public_base(request)
    return f"{base}/tra-cuu/{code}?t={token}"


def _place(name: str) -> str:
    """ "Cô Tô" from "Đặc khu Cô Tô": the place name a form's date line starts with."""
    for prefix in ("Đặc khu ", "Phường ", "Xã "):
        if name.startswith(prefix):
            return name.removeprefix(prefix)
    return name


class PrintPages(Controller):
    """Printable forms of a dossier."""

    path = "/ho-so/{dossier_id:str}/in"
    include_in_schema = False
    guards = [require(Permission.forms)]
    dependencies = DESK

    @get("/{form:str}")
    async def printable(
        self,
        request: Request[Any, Any, Any],
        desk: Desk,
        audit: NamedDependency[AuditService],
        accounts: NamedDependency[AccountService],
        dossier_id: FromPath[str],
        form: FromPath[str],
    ) -> Template:
        if form not in FORMS:
            raise AppError(ErrorCode.not_found, "Không có mẫu phiếu này.")
        principal = principal_of(request)
        client = client_address(request)
        context = await dossier_context(desk, principal, dossier_id, client)
        dossier = context["d"]
        latest = context["latest"]
        commune = await desk.communes.get(principal.commune_code)
        extra: dict[str, Any] = {}
        # A form carries the date and the signer of the step it records, reprinted or not.
        event = latest.get(FORMS[form].action.value)
        if event is None:
            raise AppError(ErrorCode.not_found, "Hồ sơ chưa có thao tác ứng với mẫu này.")
        signer = (
            await accounts.signer_name(principal.commune_code, event.actor_name)
            if event.actor_kind == "user"
            else ""
        )
        if form == "mau-01":
            if not dossier.code or not dossier.tracking_token:
                raise AppError(ErrorCode.not_found, "Hồ sơ chưa được tiếp nhận.")
            url = tracking_url(request, dossier.code, dossier.tracking_token)
            qr = segno.make(url, error="m")
            procedure = context["procedure"]
            extra = {
                "tracking_url": url,
                "lookup_url": url.split("/tra-cuu/", 1)[0] + "/tra-cuu",
                "lookup_code": rules.tracking_code(dossier.tracking_token),
                "qr_svg": qr.svg_inline(scale=4, omitsize=True, title="Mã QR tra cứu hồ sơ"),
                "processing_days": (
                    dossier.processing_days
                    if dossier.processing_days is not None
                    else procedure.processing_days
                    if procedure  # received before the dossier kept its days
                    else None
                ),
            }
        else:
            payload = event.payload
            names = context["doc_names"]
            extra = {
                "items": [
                    {
                        "document_key": item.document_key,
                        "problem": item.problem.value,
                        "problem_label": item.problem.label,
                        "note": item.note,
                        "name": names.get(item.document_key, item.document_key),
                    }
                    for item in payload.items
                ],
                "note": payload.note,
                "reason": payload.reason,
                "new_due": payload.new_due_date,
                "previous_due": payload.previous_due_date,
            }
        await audit.record(principal, AuditAction.print_form, dossier_id, form, client)
        return page(
            request,
            f"forms/{form}.html",
            **context,
            **extra,
            commune_name=commune.printed_name,
            commune_short=_place(commune.name),
            province_name=commune.province_name,
            form_date=local_date(event.at),
            signer_name=signer,
        )
