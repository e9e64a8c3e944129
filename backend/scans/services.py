"""Serving a dossier's scans to its commune's staff, taking scans at the counter, and
cross-checking the ID card scan.

Every image served is derived (upright, no metadata; see ``media.derive``), cached by the
blob's hash, and written to the audit trail with who asked and from where.
"""

from __future__ import annotations

import asyncio
import unicodedata
from dataclasses import dataclass
from typing import Literal

import media
from backend.audit.services import AuditAction, AuditService
from backend.auth.principal import Principal, allowed
from backend.auth.roles import Permission
from backend.context import Context
from backend.custody.services import CustodyService
from backend.dossiers.tables import Dossier, DossierDocument
from backend.errors import AppError
from backend.scans.checks import BlobChecks
from media import DerivedCache, thumbnail, viewable
from media.images import Mode
from schemas import dossiers as wire
from schemas.cccd import ID_CARD_DOCUMENT
from schemas.errors import ErrorCode

__all__ = ["IMAGE_PROBLEMS", "ScanPage", "ScanService"]

IMAGE_PROBLEMS: dict[str, str] = {
    "unsupported_media_type": "không phải ảnh JPEG, PNG, WebP hay TIFF",
    "media_type_mismatch": "nội dung không đúng loại ảnh",
    "image_corrupt": "ảnh bị hỏng hoặc chưa tải lên hết",
    "image_too_many_pixels": "ảnh quá lớn (quá nhiều điểm ảnh); hãy quét ở độ phân giải thấp hơn",
    "blob_too_large": "tệp quá lớn",
}
"""Why a scan cannot be used, as a clerk reads it (by ``media`` error code)."""


@dataclass(frozen=True)
class ScanPage:
    """One scanned page of a dossier, with the version it came in (1, then supplements)."""

    key: str
    sha256: str
    page: int
    doc_version: int


class ScanService:
    """Scans of the caller's commune's dossiers."""

    def __init__(
        self, ctx: Context, audit: AuditService, checks: BlobChecks, custody: CustodyService
    ) -> None:
        self.ctx = ctx
        self.audit = audit
        self.checks = checks
        self.custody = custody
        self.cache = DerivedCache(ctx.settings.media_root)

    async def pages(self, commune_code: str, dossier_id: str) -> list[ScanPage]:
        """Every page of every version, in order (404 for another commune's dossier)."""
        exists = await Dossier.exists().where(
            (Dossier.id == dossier_id) & (Dossier.commune == commune_code)
        )
        if not exists:
            raise AppError(ErrorCode.not_found, "Không tìm thấy hồ sơ.")
        rows = await (
            DossierDocument.select()
            .where(DossierDocument.dossier == dossier_id)
            .order_by(DossierDocument.doc_version)
            .order_by(DossierDocument.id)
        )
        return [ScanPage(r["document_key"], r["sha256"], r["page"], r["doc_version"]) for r in rows]

    @staticmethod
    def may_view(principal: Principal, pages: list[ScanPage], sha256: str) -> ScanPage:
        """The page ``sha256`` of a dossier, if ``principal`` may see it: 404 unless the
        dossier lists it, 403 without the permission for scans (the ID card's own for it)."""
        found = [p for p in pages if p.sha256 == sha256]
        if not found:
            raise AppError(ErrorCode.not_found, "Không tìm thấy trang này trong hồ sơ.")
        card = any(p.key == ID_CARD_DOCUMENT for p in found)
        allowed(principal, Permission.id_card_scans if card else Permission.scans)
        return found[0]

    async def image(
        self,
        principal: Principal,
        dossier_id: str,
        sha256: str,
        size: Literal["full", "thumbnail"],
        client: str = "",
    ) -> bytes:
        """A page's image for viewing; audited. 404 unless the page belongs to the dossier."""
        pages = await self.pages(principal.commune_code, dossier_id)
        self.may_view(principal, pages, sha256)
        data = await self.ctx.blobs.read(sha256)
        if size == "thumbnail":
            image = await self.cache.get_or_make("thumbnail", sha256, lambda: thumbnail(data))
            action = AuditAction.view_thumbnail
        else:
            image = await self.cache.get_or_make("viewable", sha256, lambda: viewable(data))
            action = AuditAction.view_scan
        await self.audit.record(principal, action, dossier_id, sha256, client)
        return image

    async def take(self, commune_code: str, key: str, raw: bytes, name: str) -> wire.DocumentRef:
        """Store a scan brought to the counter, normalised as the field clients do (the ID
        card in its own mode), in the commune's custody; ``name`` says which file it was in
        the 422 for an unusable image. The page number is the caller's."""
        if len(raw) > self.ctx.settings.max_blob_bytes:
            raise AppError(
                ErrorCode.blob_too_large, f"Tệp «{name}»: {IMAGE_PROBLEMS['blob_too_large']}."
            )
        mode: Mode = "id_card" if key == ID_CARD_DOCUMENT else "document"
        try:
            image = await asyncio.to_thread(media.normalise, raw, mode)
        except media.MediaError as exc:
            problem = IMAGE_PROBLEMS.get(exc.code, "không đọc được ảnh")
            raise AppError(ErrorCode.invalid_image, f"Tệp «{name}»: {problem}.") from None
        stored = await self.ctx.blobs.put(image.data)
        await self.custody.grant(commune_code, stored.sha256, "counter")
        return wire.DocumentRef(key=key, sha256=stored.sha256, media_type=image.facts.media_type)

    async def held(self, commune_code: str, hashes: list[str]) -> set[str]:
        """Of ``hashes``, the acceptable scans the commune holds (a page kept between two
        submissions of a form is one of them, or it is dropped)."""
        held = await self.custody.held(commune_code, hashes)
        return {sha for sha, refused in held.items() if refused is None}

    async def cccd_warnings(self, principal: Principal, dossier: wire.Dossier) -> list[str]:
        """What the ID card scan's QR says against the applicant's fields, in Vietnamese
        (nothing for a caller who may not see the ID card: the warnings quote it)."""
        cards = [d for d in dossier.documents if d.key == ID_CARD_DOCUMENT]
        if not cards or not principal.can(Permission.id_card_scans):
            return []
        warnings: list[str] = []
        read_any = False
        applicant = dossier.applicant
        for card in cards:
            record = await self.checks.id_card(card.sha256)
            if record is None:
                continue
            read_any = True
            if record.id_number != applicant.id_number:
                warnings.append(
                    f"Số định danh trên CCCD ({record.id_number}) khác số đã khai "
                    f"({applicant.id_number})."
                )
            if _name(record.full_name) != _name(applicant.full_name):
                warnings.append(
                    f"Họ tên trên CCCD ({record.full_name}) khác họ tên đã khai "
                    f"({applicant.full_name})."
                )
            if applicant.birth_date and record.birth_date != applicant.birth_date:
                warnings.append(
                    f"Ngày sinh trên CCCD ({record.birth_date:%d/%m/%Y}) khác ngày đã khai "
                    f"({applicant.birth_date:%d/%m/%Y})."
                )
        if not read_any:
            warnings.append(
                "Không đọc được mã QR trên ảnh căn cước: hãy đối chiếu thông tin bằng mắt."
            )
        return warnings


def _name(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())
