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
from schemas.common import vietnam_date
from schemas.dossiers import (
    Applicant,
    Delivery,
    DeliveryMethod,
    DocumentRef,
    SatisfactionLevel,
    Ulid,
)
from schemas.sync import DeliveryChange, NewDossier, Rating, Supplement

__all__ = [
    "CaptureError",
    "capture_dossier",
    "queue_delivery",
    "queue_rating",
    "queue_supplement",
]


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
            card = media.parse_cccd(codes[0].text, today=vietnam_date(now))
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

    specs = _specs(scans)
    problem = check_documents(procedure.documents, (key for key, _ in specs))
    if problem is not None:
        raise CaptureError(problem.detail)
    try:
        applicant_record = msgspec.convert(applicant, Applicant)
    except msgspec.ValidationError as exc:
        raise CaptureError(f"thông tin người nộp chưa hợp lệ: {exc}") from None
    documents = _store_pages(outbox, specs, mode)
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


def _specs(scans: tuple[str, ...]) -> list[tuple[str, Path]]:
    """``KEY=PATH`` arguments as (key, path)."""
    specs = []
    for spec in scans:
        key, sep, path = spec.partition("=")
        if not sep or not key or not path:
            raise CaptureError(f"«{spec}» cần có dạng KHOÁ=ĐƯỜNG_DẪN, ví dụ to_khai=trang1.jpg")
        specs.append((key, Path(path)))
    return specs


def _store_pages(outbox: Outbox, specs: list[tuple[str, Path]], mode: str) -> list[DocumentRef]:
    """Read, normalise and store each page; all are read before any is stored."""
    pages: list[tuple[str, bytes]] = []
    for key, path in specs:
        try:
            pages.append((key, path.read_bytes()))
        except OSError as exc:
            raise CaptureError(f"không đọc được {path}: {exc.strerror or exc}") from None
    normalised = []
    for key, raw in pages:
        try:
            normalised.append(
                (key, media.normalise(raw, "id_card" if key == ID_CARD_DOCUMENT else mode))  # type: ignore[arg-type]
            )
        except media.MediaError as exc:
            raise CaptureError(f"ảnh «{key}» không dùng được: {exc.detail}") from None
    documents = []
    page_numbers: dict[str, int] = {}
    for key, image in normalised:
        digest = outbox.add_scan(image.data, image.facts.media_type)
        page_numbers[key] = page_numbers.get(key, 0) + 1
        documents.append(
            DocumentRef(
                key=key, sha256=digest, page=page_numbers[key], media_type=image.facts.media_type
            )
        )
    return documents


def _dossier_ref(outbox: Outbox, ref: str) -> tuple[str | None, str | None, str | None]:
    """(dossier id, dossier code, procedure code) for a dossier named by its id or its code."""
    for row in outbox.dossiers():
        if ref in (row["id"], row["code"]):
            return row["id"], row["code"], outbox.body(row).procedure_code
    try:
        return msgspec.convert(ref, Ulid), None, None
    except msgspec.ValidationError:
        return None, ref, None


def queue_supplement(
    outbox: Outbox, dossier: str, scans: tuple[str, ...], note: str = "", mode: str = "document"
) -> str:
    """Queue the pages a supplement request asked for; return the queued item's id.

    ``dossier`` is the dossier's id or its code (from the receipt, for a dossier another device
    of the team sent). The keys are checked against the dossier's procedure when it is known.
    """
    if not scans:
        raise CaptureError("cần ít nhất một trang bổ sung (--scan KHOÁ=ĐƯỜNG_DẪN)")
    dossier_id, code, procedure_code = _dossier_ref(outbox, dossier)
    specs = _specs(scans)
    procedure = outbox.catalog().get(procedure_code or "")
    if procedure is not None:
        problem = check_documents(procedure.documents, (key for key, _ in specs), complete=False)
        if problem is not None:
            raise CaptureError(problem.detail)
    documents = _store_pages(outbox, specs, mode)
    item_id = str(ULID())
    outbox.add_item(
        item_id,
        Supplement(dossier_id=dossier_id, dossier_code=code, documents=documents, note=note),
    )
    return item_id


def _own_dossier(outbox: Outbox, dossier: str, what: str) -> str:
    """The id of a dossier this device sent (by its id or its code)."""
    dossier_id, _, _ = _dossier_ref(outbox, dossier)
    if dossier_id is None:
        raise CaptureError(
            f"không tìm thấy hồ sơ {dossier} trên máy này: {what} cần mã hồ sơ trên máy"
        )
    return dossier_id


def queue_rating(outbox: Outbox, dossier: str, level: str, comment: str = "") -> str:
    """Queue the household's satisfaction rating of a dossier; return the item's id."""
    dossier_id = _own_dossier(outbox, dossier, "đánh giá")
    try:
        rating = Rating(dossier_id=dossier_id, level=SatisfactionLevel(level), comment=comment)
    except ValueError:
        raise CaptureError(f"mức đánh giá «{level}» không có") from None
    item_id = str(ULID())
    outbox.add_item(item_id, rating)
    return item_id


def queue_delivery(outbox: Outbox, dossier: str, address: str | None) -> str:
    """Queue the household's request to receive the result by post at ``address`` (or, with
    ``None``, at the one-stop counter again); return the item's id."""
    dossier_id = _own_dossier(outbox, dossier, "yêu cầu trả kết quả")
    if address is not None and not address.strip():
        raise CaptureError("trả kết quả qua bưu chính cần địa chỉ nhận")
    delivery = (
        Delivery(method=DeliveryMethod.post, address=address.strip())
        if address is not None
        else Delivery(method=DeliveryMethod.counter)
    )
    item_id = str(ULID())
    outbox.add_item(item_id, DeliveryChange(dossier_id=dossier_id, delivery=delivery))
    return item_id
