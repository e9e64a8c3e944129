"""Wire types for the procedure catalog."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, time
from enum import StrEnum
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from schemas.common import CommuneCode, Line, Text, Version, line
from schemas.errors import ErrorCode

__all__ = [
    "CATALOG_FORMAT",
    "CatalogDocument",
    "CatalogImportResult",
    "ChecklistLine",
    "DocumentKey",
    "DocumentKind",
    "DocumentProblem",
    "OnlineLevel",
    "Procedure",
    "ProcedureCode",
    "ProcedureCreate",
    "ProcedureUpdate",
    "RequiredDocument",
    "check_documents",
    "checklist",
]

CATALOG_FORMAT = "luudong.catalog/1"
"""Identifier of the import/export document format."""

ProcedureCode = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^\d\.\d{6}$",
        description="National procedure code from the national procedure database: N.NNNNNN.",
        examples=["1.001193"],
    ),
]
"""National procedure code ``N.NNNNNN``."""

DocumentKey = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_]{1,64}$", examples=["to_khai"])]
"""Stable key of a required document within its procedure (``snake_case``)."""

ProcedureName = Annotated[str, line(1000, required=True)]
ProcessingDays = Annotated[int, msgspec.Meta(ge=0, le=365)]
"""Working days; 0 means the same day."""
FeeVnd = Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)]
LongText = Text


class DocumentKind(StrEnum):
    """Which form of a document is to be submitted."""

    original = "original"
    """Bản chính."""
    copy = "copy"
    """Bản sao (certified, or a copy shown with the original)."""
    original_or_copy = "original_or_copy"
    """Bản chính hoặc bản sao."""


class OnlineLevel(StrEnum):
    """Online service level under Decree 42/2022/NĐ-CP."""

    full = "full"
    """Toàn trình: submitted, processed and returned online (or by post)."""
    partial = "partial"
    """Một phần: some step needs the citizen in person."""


class RequiredDocument(msgspec.Struct, frozen=True):
    """One document of a procedure's dossier (thành phần hồ sơ)."""

    key: DocumentKey
    name: ProcedureName
    kind: DocumentKind
    required: bool = True
    """False for documents needed only in some cases."""
    note: LongText = ""
    """When the document is needed, or what may replace it."""


class DocumentProblem(msgspec.Struct, frozen=True):
    """Why the scans given do not fit a procedure's document list."""

    code: ErrorCode
    """``unknown_document`` or ``missing_document``."""
    keys: list[str]
    detail: str
    """In Vietnamese, naming the documents, for the person who must fix it."""


def check_documents(
    documents: Sequence[RequiredDocument], given: Iterable[str], *, complete: bool = True
) -> DocumentProblem | None:
    """The one document-requirements rule: every key given is the procedure's, and (when
    ``complete``) every required document has at least one page.

    The counter intake checks only the first part (``complete=False``: the clerk scans the
    papers after registering the dossier); a field capture and a sync commit check both. The
    field clients and the server call this same function, so they never disagree.
    """
    names = {d.key: d.name for d in documents}
    keys = set(given)
    unknown = sorted(keys - names.keys())
    if unknown:
        return DocumentProblem(
            ErrorCode.unknown_document,
            unknown,
            f"Giấy tờ không thuộc thủ tục: {', '.join(unknown)} "
            f"(thủ tục gồm: {', '.join(sorted(names)) or 'không có giấy tờ nào'}).",
        )
    if not complete:
        return None
    missing = [d.key for d in documents if d.required and d.key not in keys]
    if missing:
        return DocumentProblem(
            ErrorCode.missing_document,
            missing,
            "Thiếu giấy tờ bắt buộc: " + ", ".join(f"{names[k]} ({k})" for k in missing) + ".",
        )
    return None


class ChecklistLine(msgspec.Struct, frozen=True, kw_only=True):
    """One document of a procedure against the pages a dossier holds of it."""

    key: str
    name: str
    kind: DocumentKind
    required: bool
    pages: int

    @property
    def missing(self) -> bool:
        """A required document without a page."""
        return self.required and not self.pages


def checklist(documents: Sequence[RequiredDocument], keys: Iterable[str]) -> list[ChecklistLine]:
    """The procedure's documents in order, each with how many of ``keys`` (pages) it has."""
    counts: dict[str, int] = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    return [
        ChecklistLine(
            key=d.key, name=d.name, kind=d.kind, required=d.required, pages=counts.get(d.key, 0)
        )
        for d in documents
    ]


class ProcedureCreate(msgspec.Struct, frozen=True, kw_only=True):
    """A procedure to add to the commune's catalog; also the import/export item."""

    code: ProcedureCode
    name: ProcedureName
    field: Line = ""
    """Lĩnh vực, e.g. Hộ tịch, Chứng thực."""
    processing_days: ProcessingDays | None = None
    """Working days from receipt to result; ``None`` where the published source is silent."""
    processing_note: LongText = ""
    """The processing time as published, when it is more than a number of days."""
    same_day_cutoff: time | None = None
    """For a same-day procedure (0 days), the time of day (Vietnam time) after which a dossier
    received is due the next working day; ``None`` is the legal default of 15:00."""
    documents: list[RequiredDocument] = msgspec.field(default_factory=list)
    fee_vnd: FeeVnd | None = None
    """Fee in đồng; ``None`` where it is set locally or varies (see ``fee_note``)."""
    fee_note: LongText = ""
    online_level: OnlineLevel | None = None
    result: LongText = ""
    """What the citizen receives (kết quả thực hiện)."""
    legal_basis: LongText = ""
    """Legal texts the figures come from."""
    active: bool = True


class ProcedureUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """Fields to change. ``version``, when given, must match (else 409 ``stale_version``)."""

    name: ProcedureName | UnsetType = UNSET
    field: Line | UnsetType = UNSET
    processing_days: ProcessingDays | UnsetType | None = UNSET
    processing_note: LongText | UnsetType = UNSET
    same_day_cutoff: time | UnsetType | None = UNSET
    documents: list[RequiredDocument] | UnsetType = UNSET
    fee_vnd: FeeVnd | UnsetType | None = UNSET
    fee_note: LongText | UnsetType = UNSET
    online_level: OnlineLevel | UnsetType | None = UNSET
    result: LongText | UnsetType = UNSET
    legal_basis: LongText | UnsetType = UNSET
    active: bool | UnsetType = UNSET
    version: Version | UnsetType = UNSET


class Procedure(ProcedureCreate, frozen=True, kw_only=True):
    """A procedure in a commune's catalog."""

    id: int
    commune_code: CommuneCode
    version: int
    """Edits of this procedure so far (1 when created)."""
    revision: int
    """Catalog revision of the last change: a device asks for ``since_revision``."""
    created_at: datetime
    updated_at: datetime


class CatalogDocument(msgspec.Struct, frozen=True, kw_only=True):
    """A whole catalog, for export and import."""

    format: Literal["luudong.catalog/1"] = "luudong.catalog/1"
    procedures: list[ProcedureCreate]
    commune_code: CommuneCode | None = None
    """Set on export; ignored on import (a catalog is imported into the caller's commune)."""
    revision: int | None = None
    """Catalog revision at export; ignored on import."""


class CatalogImportResult(msgspec.Struct, frozen=True):
    """What an import changed."""

    created: list[str]
    updated: list[str]
    unchanged: list[str]
    revision: int
