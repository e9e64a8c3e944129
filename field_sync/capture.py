"""Capturing a dossier offline: applicant from the ID card QR, normalised scans, consent."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import msgspec
from ulid import ULID

import media
from field_sync.outbox import Outbox
from schemas.catalog import check_documents
from schemas.cccd import ID_CARD_DOCUMENT
from schemas.dossiers import Applicant, DocumentRef
from schemas.sync import NewDossier

__all__ = ["CaptureError", "capture_dossier"]


class CaptureError(ValueError):
    """The dossier cannot be queued as given."""


def capture_dossier(
    outbox: Outbox,
    *,
    procedure_code: str,
    scans: tuple[str, ...],
    consent: bool,
    full_name: str | None = None,
    id_number: str | None = None,
    birth_date: str | None = None,
    gender: str | None = None,
    address: str | None = None,
    phone: str = "",
    cccd_qr: Path | None = None,
    mode: str = "document",
    place: str = "",
    note: str = "",
    now: datetime | None = None,
    source: str | None = None,
) -> str:
    """Queue one dossier; return its id. Nothing is stored unless everything checks out."""
    if not consent:
        raise CaptureError("cần sự đồng ý của người nộp (--consent)")
    procedure = outbox.catalog().get(procedure_code)
    if procedure is None:
        raise CaptureError(f"thủ tục {procedure_code} không có trong danh mục (field-sync catalog)")

    applicant: dict[str, Any] = {}
    cccd_text = ""
    if cccd_qr is not None:
        codes = media.decode_qr(cccd_qr.read_bytes())
        if not codes:
            raise CaptureError(f"không đọc được mã QR trong {cccd_qr}")
        try:
            card = media.parse_cccd(codes[0].text)
        except media.CccdError as exc:
            raise CaptureError(f"mã QR không phải CCCD hợp lệ: {exc.detail}") from None
        cccd_text = codes[0].text
        applicant = {
            "full_name": card.full_name,
            "id_number": card.id_number,
            "birth_date": card.birth_date.isoformat(),
            "gender": card.gender.value,
            "address": card.address,
        }
    given = {
        "full_name": full_name,
        "id_number": id_number,
        "birth_date": date.fromisoformat(birth_date).isoformat() if birth_date else None,
        "gender": gender,
        "address": address,
    }
    applicant |= {k: v for k, v in given.items() if v is not None}
    if phone:
        applicant["phone"] = phone
    if not applicant.get("full_name") or not applicant.get("id_number"):
        raise CaptureError("cần họ tên và số định danh (hoặc --cccd-qr)")

    specs = [spec.partition("=") for spec in scans]
    problem = check_documents(procedure.documents, (key for key, _, _ in specs))
    if problem is not None:
        raise CaptureError(problem.detail)
    try:
        applicant_record = msgspec.convert(applicant, Applicant)
    except msgspec.ValidationError as exc:
        raise CaptureError(f"thông tin người nộp chưa hợp lệ: {exc}") from None
    pages: list[tuple[str, bytes]] = []
    for key, _, path in specs:
        try:
            pages.append((key, Path(path).read_bytes()))
        except OSError as exc:
            raise CaptureError(f"không đọc được {path}: {exc}") from None

    documents = []
    page_numbers: dict[str, int] = {}
    for key, raw in pages:
        try:
            normalised = media.normalise(raw, "id_card" if key == ID_CARD_DOCUMENT else mode)  # type: ignore[arg-type]
        except media.MediaError as exc:
            raise CaptureError(f"ảnh «{key}» không dùng được: {exc.detail}") from None
        digest = outbox.add_scan(normalised.data, normalised.facts.media_type)
        page_numbers[key] = page_numbers.get(key, 0) + 1
        documents.append(
            DocumentRef(
                key=key,
                sha256=digest,
                page=page_numbers[key],
                media_type=normalised.facts.media_type,
            )
        )
    dossier = NewDossier(
        id=str(ULID()),
        procedure_code=procedure_code,
        catalog_revision=int(outbox.get("catalog_revision", "0") or 0),
        applicant=applicant_record,
        consent=True,
        documents=documents,
        captured_at=now or datetime.now(UTC),
        capture_place=place,
        note=note,
        cccd_qr=cccd_text,
    )
    outbox.add_dossier(dossier, source)
    return dossier.id
