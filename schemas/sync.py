"""Wire types of the sync protocol."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

import msgspec

from schemas.catalog import Procedure, ProcedureCode
from schemas.cccd import CCCD_RULES, CccdRules
from schemas.common import Address, MediaType, Text, line, text
from schemas.communes import Commune, Team
from schemas.dossiers import (
    EVENT_LABELS,
    Applicant,
    Channel,
    Delivery,
    DeliveryMethod,
    DocumentRef,
    EventPayload,
    Gender,
    SatisfactionLevel,
    Sha256,
    Standing,
    Status,
    StatusInfo,
    SupplementProblem,
    Ulid,
)
from schemas.media import NORMALISE, NormaliseRules

__all__ = [
    "BatchAccepted",
    "BatchCommitted",
    "BatchItem",
    "BatchManifest",
    "BatchPhase",
    "BatchState",
    "BatchSummary",
    "BlobRef",
    "Bootstrap",
    "Change",
    "ChangePage",
    "DeliveryChange",
    "DossierState",
    "ItemKind",
    "ItemResult",
    "LaterItem",
    "Limits",
    "NewDossier",
    "OutboxState",
    "Outcome",
    "Rating",
    "ReconcileRequest",
    "Reconciliation",
    "Supplement",
    "Vocabulary",
]


class Outcome(StrEnum):
    """What became of one item of a committed batch."""

    accepted = "accepted"
    """Stored as new."""
    duplicate = "duplicate"
    """The server already held exactly this (an earlier push got through): nothing new."""
    conflict = "conflict"
    """The id is already used for other content; nothing of this item was stored."""
    rejected = "rejected"
    """Refused for a reason in ``code`` (missing document, invalid image, no consent...)."""

    @property
    def label(self) -> str:
        """The Vietnamese name the inbox and the field clients show."""
        return {
            "accepted": "Đã nhận",
            "duplicate": "Trùng (đã có)",
            "conflict": "Xung đột mã",
            "rejected": "Bị từ chối",
        }[self.value]

    @property
    def settled(self) -> bool:
        """Whether the server holds the item, so the device may stop sending it."""
        return self in (Outcome.accepted, Outcome.duplicate)


class OutboxState(StrEnum):
    """Where a captured item stands on a device (both field clients keep these)."""

    pending = "pending"
    """Captured, waiting for a push."""
    batched = "batched"
    """In a sealed batch whose commit is not confirmed yet."""
    committed = "committed"
    """The server holds it (its outcome was settled): it may leave the device."""
    rejected = Outcome.rejected.value
    conflict = Outcome.conflict.value

    @classmethod
    def after(cls, outcome: Outcome) -> OutboxState:
        """The state an item takes from its outcome in a commit."""
        return cls.committed if outcome.settled else cls(outcome.value)

    @property
    def label(self) -> str:
        """The Vietnamese name the field clients show."""
        return {
            "pending": "Chờ gửi",
            "batched": "Đang gửi",
            "committed": "Đã gửi",
            "rejected": "Bị từ chối",
            "conflict": "Trùng mã",
        }[self.value]


class ItemKind(StrEnum):
    """The kinds of batch item (the manifest's ``type`` tags)."""

    dossier = "dossier"
    supplement = "supplement"
    rating = "rating"
    delivery = "delivery"

    @property
    def label(self) -> str:
        """The Vietnamese name the field clients' outboxes show."""
        return {
            "dossier": "Hồ sơ",
            "supplement": "Bổ sung",
            "rating": "Đánh giá",
            "delivery": "Nơi nhận kết quả",
        }[self.value]


class BatchPhase(StrEnum):
    """How far the server got with a batch."""

    unknown = "unknown"
    """The server never stored its manifest."""
    open = "open"
    """Manifest stored, not committed yet."""
    committed = "committed"
    """Committed: the per-item result is final."""


class Limits(msgspec.Struct, frozen=True, kw_only=True):
    """What the server accepts, so the client can prepare its uploads."""

    max_blob_bytes: int
    chunk_bytes: int
    """Preferred tus PATCH size; the client may send less on a weak link."""
    accepted_media_types: list[str]
    max_dossiers_per_batch: int


class Vocabulary(msgspec.Struct, frozen=True, kw_only=True):
    """Every code a field client shows, with its Vietnamese label (from the shared enums)."""

    statuses: dict[int, str]
    standings: dict[str, str]
    outcomes: dict[str, str]
    problems: dict[str, str]
    """Supplement problems (còn thiếu, chưa hợp lệ)."""
    levels: dict[str, str]
    """Satisfaction levels, best first."""
    events: dict[str, str]
    channels: dict[str, str]
    deliveries: dict[str, str] = msgspec.field(default_factory=dict)
    """Where the result goes (tại bộ phận một cửa, qua bưu chính)."""
    kinds: dict[str, str] = msgspec.field(default_factory=dict)
    """Batch item kinds (hồ sơ, bổ sung, đánh giá...)."""
    outbox_states: dict[str, str] = msgspec.field(default_factory=dict)
    """Where an item stands on the device (chờ gửi, đang gửi, đã gửi...)."""
    settled: list[str] = msgspec.field(default_factory=list)
    """The outcomes after which the server holds an item (``Outcome.settled``)."""
    genders: dict[str, str] = msgspec.field(default_factory=dict)

    @classmethod
    def current(cls) -> Vocabulary:
        """The labels as ``schemas`` defines them."""
        return cls(
            statuses={s.value: s.label for s in Status},
            standings={s.value: s.label for s in Standing},
            outcomes={o.value: o.label for o in Outcome},
            problems={p.value: p.label for p in SupplementProblem},
            levels={level.value: level.label for level in SatisfactionLevel},
            events=dict(EVENT_LABELS),
            channels={c.value: c.label for c in Channel},
            deliveries={d.value: d.label for d in DeliveryMethod},
            kinds={k.value: k.label for k in ItemKind},
            outbox_states={s.value: s.label for s in OutboxState},
            settled=[o.value for o in Outcome if o.settled],
            genders={g.value: g.label for g in Gender},
        )


class Bootstrap(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a freshly enrolled (or returning) device needs before capturing."""

    device_id: str
    team: Team
    commune: Commune
    catalog_revision: int
    procedures: list[Procedure]
    """Active procedures of the commune's catalog."""
    limits: Limits
    server_time: datetime
    """The server's clock, so the client can note its own skew."""
    vocabulary: Vocabulary = msgspec.field(default_factory=Vocabulary.current)
    """The labels a client shows, so none types a second copy."""
    cccd_rules: CccdRules = msgspec.field(default_factory=lambda: CCCD_RULES)
    """The checks of an ID card QR, for a client that reads cards offline."""
    normalise: NormaliseRules = msgspec.field(default_factory=lambda: NORMALISE)
    """How a client makes a photo document-grade before queueing it."""


# --- batches -----------------------------------------------------------------------------------


class BlobRef(msgspec.Struct, frozen=True, kw_only=True):
    """A blob the batch's dossiers refer to."""

    sha256: Sha256
    size: Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
    media_type: MediaType


class NewDossier(msgspec.Struct, frozen=True, kw_only=True, tag="dossier"):
    """A dossier captured in the field."""

    id: Ulid
    procedure_code: ProcedureCode
    catalog_revision: Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)] = 0
    applicant: Applicant
    consent: bool
    documents: list[DocumentRef]
    captured_at: datetime
    capture_place: Address = ""
    delivery: Delivery = msgspec.field(default_factory=Delivery)
    note: Text = ""
    cccd_qr: Annotated[str, line(1000)] = ""
    """The ID card QR's text as the device decoded it, for the server's cross-check."""


class Supplement(msgspec.Struct, frozen=True, kw_only=True, tag="supplement"):
    """Documents a citizen brought after a supplement request."""

    dossier_id: Ulid | None = None
    dossier_code: Annotated[str, line(60)] | None = None
    documents: Annotated[list[DocumentRef], msgspec.Meta(min_length=1)]
    note: Text = ""


class Rating(msgspec.Struct, frozen=True, kw_only=True, tag="rating"):
    """A satisfaction rating captured at the household."""

    dossier_id: Ulid
    level: SatisfactionLevel
    comment: Annotated[str, text(2000)] = ""


class DeliveryChange(msgspec.Struct, frozen=True, kw_only=True, tag="delivery"):
    """The household's later choice of where the result goes (by post needs an address).

    Decision 45/2016/QĐ-TTg lets the citizen ask for the result by public post at any time
    before it is returned; the team records the request at the household.
    """

    dossier_id: Ulid
    delivery: Delivery


LaterItem = Supplement | Rating | DeliveryChange
"""Items that follow a dossier already sent."""

BatchItem = NewDossier | Supplement | Rating | DeliveryChange


class BatchManifest(msgspec.Struct, frozen=True, kw_only=True):
    """What a device is about to push. Idempotent on ``batch_id``."""

    batch_id: Ulid
    items: Annotated[list[BatchItem], msgspec.Meta(min_length=1, max_length=200)]
    blobs: Annotated[list[BlobRef], msgspec.Meta(max_length=2000)] = msgspec.field(
        default_factory=list
    )


class BatchAccepted(msgspec.Struct, frozen=True, kw_only=True):
    """The answer to a manifest: which blobs to upload."""

    batch_id: str
    state: BatchPhase
    """``open`` until committed, then ``committed``."""
    missing_blobs: list[str]
    upload_url: str
    """The tus endpoint."""


class ItemResult(msgspec.Struct, frozen=True, kw_only=True):
    """What became of one item of a committed batch."""

    index: int
    kind: ItemKind
    dossier_id: str | None
    outcome: Outcome
    code: str | None = None
    """Why it was rejected or conflicted (an error-catalogue code)."""
    detail: str = ""


class BatchCommitted(msgspec.Struct, frozen=True, kw_only=True):
    """The per-item result of a commit; committing again returns the same."""

    batch_id: str
    committed_at: datetime
    results: list[ItemResult]


# --- change feed and reconciliation -------------------------------------------------------------


class Change(msgspec.Struct, frozen=True, kw_only=True):
    """One event concerning the device's team, in sequence order."""

    seq: int
    dossier_id: str
    dossier_code: str | None
    action: str
    status: StatusInfo
    due_date: date | None
    at: datetime
    extended_due_date: date | None = None
    """The later date an apology (Mẫu 04) promised the household, if any."""
    payload: EventPayload
    """The action's details: itemised supplement requests, refusal reasons, results..."""
    standing: Standing = Standing.not_received
    """Where the dossier stands against its deadline now (the same rule as every page)."""


class ChangePage(msgspec.Struct, frozen=True, kw_only=True):
    """A page of the change feed; ask again from ``next_cursor``."""

    changes: list[Change]
    next_cursor: int
    has_more: bool
    catalog_revision: int
    """When it differs from the device's, fetch the bootstrap again."""


class ReconcileRequest(msgspec.Struct, frozen=True, kw_only=True):
    """Ids whose fate a device is unsure of (an acknowledgement was lost)."""

    batch_ids: Annotated[list[Ulid], msgspec.Meta(max_length=500)] = msgspec.field(
        default_factory=list
    )
    dossier_ids: Annotated[list[Ulid], msgspec.Meta(max_length=500)] = msgspec.field(
        default_factory=list
    )


class BatchState(msgspec.Struct, frozen=True, kw_only=True):
    """What the server knows of a batch."""

    batch_id: str
    state: BatchPhase
    result: BatchCommitted | None = None


class DossierState(msgspec.Struct, frozen=True, kw_only=True):
    """What the server knows of a dossier."""

    dossier_id: str
    held: bool
    status: StatusInfo | None = None
    code: str | None = None


class Reconciliation(msgspec.Struct, frozen=True, kw_only=True):
    """The answer to a reconcile request."""

    batches: list[BatchState]
    dossiers: list[DossierState]


class BatchSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A batch as the commune's inbox lists it."""

    batch_id: str
    team_name: str
    device_name: str
    created_at: datetime
    items: int
    committed_at: datetime | None
    outcomes: dict[Outcome, int]
    """How many items ended in each outcome."""
