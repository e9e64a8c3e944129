"""The sync protocol's server side."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
from piccolo.custom_types import Combinable

from backend.auth.principal import DevicePrincipal
from backend.catalog.services import CatalogService
from backend.clock import local_date
from backend.communes.services import CommuneService
from backend.communes.tables import Team
from backend.context import Context
from backend.custody.services import CustodyService
from backend.db.engine import first_row
from backend.dossiers.lifecycle import Actor, DossierLifecycle, FieldCapture
from backend.dossiers.queries import DossierQueries, standing_of
from backend.dossiers.tables import Dossier, DossierEvent
from backend.errors import AppError
from backend.scans.checks import BlobChecks
from backend.sync.tables import SyncBatch
from backend.sync.uploads import UploadService
from backend.telemetry import count_batch_items
from media.cccd import parse_cccd
from media.errors import CccdError
from media.images import ACCEPTED_TYPES
from schemas import sync as wire
from schemas.catalog import check_documents
from schemas.cccd import ID_CARD_DOCUMENT
from schemas.common import FieldError
from schemas.dossiers import (
    Action,
    Channel,
    DossierCreate,
    EventPayload,
    SatisfactionCreate,
    Status,
    SupplementArrived,
)
from schemas.errors import ErrorCode
from schemas.sync import BatchPhase, ItemKind, Outcome

__all__ = ["CHUNK_BYTES", "MAX_DOSSIERS_PER_BATCH", "BatchService", "SyncService"]

CHUNK_BYTES = 128 * 1024
"""Preferred tus PATCH size: small enough that a cut 2G link loses little."""

MAX_DOSSIERS_PER_BATCH = 200

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class SyncService:
    """What devices exchange with the server."""

    def __init__(self, ctx: Context, communes: CommuneService, catalog: CatalogService) -> None:
        self.ctx = ctx
        self.communes = communes
        self.catalog = catalog

    async def bootstrap(self, device: DevicePrincipal) -> wire.Bootstrap:
        """Everything a device needs before capturing."""
        revision = await self.catalog.revision(device.commune_code)
        procedures = await self.catalog.list_for_commune(device.commune_code)
        return wire.Bootstrap(
            device_id=device.device_id,
            team=await self.communes.team_in(device.commune_code, device.team_id),
            commune=await self.communes.get(device.commune_code),
            catalog_revision=revision,
            procedures=procedures,
            limits=wire.Limits(
                max_blob_bytes=self.ctx.settings.max_blob_bytes,
                chunk_bytes=CHUNK_BYTES,
                accepted_media_types=sorted(ACCEPTED_TYPES),
                max_dossiers_per_batch=MAX_DOSSIERS_PER_BATCH,
            ),
            server_time=self.ctx.clock.now(),
        )

    async def changes(self, device: DevicePrincipal, since: int, limit: int) -> wire.ChangePage:
        """Events of the device's team after ``since``, in sequence order.

        One range scan of the ``(team, seq)`` index: the cost follows the page, not the history.
        """
        rows = (
            await DossierEvent.select(
                DossierEvent.seq,
                DossierEvent.dossier,
                DossierEvent.dossier.code.as_alias("code"),
                DossierEvent.dossier.due_date.as_alias("due_date"),
                DossierEvent.dossier.extended_due_date.as_alias("extended_due_date"),
                DossierEvent.dossier.status.as_alias("status"),
                DossierEvent.dossier.finished_at.as_alias("finished_at"),
                DossierEvent.action,
                DossierEvent.to_status,
                DossierEvent.at,
                DossierEvent.payload,
            )
            .where((DossierEvent.team == device.team_id) & (DossierEvent.seq > since))
            .order_by(DossierEvent.seq)
            .limit(limit + 1)
            .output(load_json=True)
        )
        page = rows[:limit]
        today = local_date(self.ctx.clock.now())
        return wire.ChangePage(
            changes=[
                wire.Change(
                    seq=r["seq"],
                    dossier_id=r["dossier"],
                    dossier_code=r["code"],
                    action=r["action"],
                    status=Status(r["to_status"]).info,
                    due_date=r["due_date"],
                    extended_due_date=r["extended_due_date"],
                    at=r["at"],
                    payload=msgspec.convert(r["payload"], EventPayload),
                    standing=standing_of(r, today),
                )
                for r in page
            ],
            next_cursor=page[-1]["seq"] if page else since,
            has_more=len(rows) > limit,
            catalog_revision=await self.catalog.revision(device.commune_code),
        )

    async def reconcile(
        self, device: DevicePrincipal, request: wire.ReconcileRequest
    ) -> wire.Reconciliation:
        """Which of these batches (the device's) and dossiers (its team's) the server holds."""
        batches = {
            r["id"]: r
            for r in await SyncBatch.select(SyncBatch.id, SyncBatch.result)
            .where(
                SyncBatch.id.is_in(request.batch_ids or [""])
                & (SyncBatch.device == device.device_id)
            )
            .output(load_json=True)
        }
        dossiers = {
            r["id"]: r
            for r in await Dossier.select(Dossier.id, Dossier.status, Dossier.code).where(
                Dossier.id.is_in(request.dossier_ids or [""]) & (Dossier.team == device.team_id)
            )
        }
        return wire.Reconciliation(
            batches=[
                wire.BatchState(
                    batch_id=b,
                    state=(
                        BatchPhase.unknown
                        if b not in batches
                        else BatchPhase.committed
                        if batches[b]["result"] is not None
                        else BatchPhase.open
                    ),
                    result=(
                        msgspec.convert(batches[b]["result"], wire.BatchCommitted)
                        if b in batches and batches[b]["result"] is not None
                        else None
                    ),
                )
                for b in request.batch_ids
            ],
            dossiers=[
                wire.DossierState(
                    dossier_id=d,
                    held=d in dossiers,
                    status=Status(dossiers[d]["status"]).info if d in dossiers else None,
                    code=dossiers[d]["code"] if d in dossiers else None,
                )
                for d in request.dossier_ids
            ],
        )

    @staticmethod
    def bootstrap_etag(boot: wire.Bootstrap) -> str:
        """A weak ETag over everything in the bootstrap except the server time."""
        stable = msgspec.structs.replace(boot, server_time=_EPOCH)
        digest = hashlib.sha256(msgspec.json.encode(stable)).hexdigest()[:20]
        return f'W/"boot-{boot.catalog_revision}-{digest}"'


class BatchService:
    """Manifests and commits of device batches."""

    def __init__(
        self,
        ctx: Context,
        lifecycle: DossierLifecycle,
        dossiers: DossierQueries,
        catalog: CatalogService,
        checks: BlobChecks,
        uploads: UploadService,
        custody: CustodyService,
    ) -> None:
        self.ctx = ctx
        self.lifecycle = lifecycle
        self.dossiers = dossiers
        self.catalog = catalog
        self.checks = checks
        self.uploads = uploads
        self.custody = custody

    async def _missing(
        self, device: DevicePrincipal, manifest: wire.BatchManifest
    ) -> tuple[list[str], dict[str, str | None]]:
        """The manifest's blobs the device's commune does not hold (whatever other communes
        hold), after settling this device's uploads that were received whole but not stored
        (a server killed at that moment); and the custody of the held ones, with each image
        check's verdict. A held blob whose bytes are gone is missing again; a refused one is
        not: the commit answers its items with the reason."""
        hashes = [b.sha256 for b in manifest.blobs]
        held = await self.custody.held(device.commune_code, hashes)
        missing = [
            b.sha256
            for b in manifest.blobs
            if b.sha256 not in held
            or (held[b.sha256] is None and not await self.ctx.blobs.exists(b.sha256))
        ]
        settled = await self.uploads.settle_received(device, missing)
        if settled:
            held = await self.custody.held(device.commune_code, hashes)
        return [sha for sha in missing if sha not in settled], held

    async def recent(self, commune_code: str, limit: int = 10) -> list[wire.BatchSummary]:
        """The commune's newest batches, committed or still uploading."""
        rows = await (
            SyncBatch.select(
                SyncBatch.id,
                SyncBatch.team.name.as_alias("team_name"),
                SyncBatch.device.name.as_alias("device_name"),
                SyncBatch.created_at,
                SyncBatch.committed_at,
                SyncBatch.manifest,
                SyncBatch.result,
            )
            .where(SyncBatch.commune == commune_code)
            .order_by(SyncBatch.created_at, ascending=False)
            .limit(limit)
            .output(load_json=True)
        )
        summaries = []
        for row in rows:
            outcomes: dict[Outcome, int] = {}
            for result in (row["result"] or {}).get("results", []):
                outcome = Outcome(result["outcome"])
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
            summaries.append(
                wire.BatchSummary(
                    batch_id=row["id"],
                    team_name=row["team_name"] or "",
                    device_name=row["device_name"] or "",
                    created_at=row["created_at"],
                    items=len(row["manifest"].get("items", [])),
                    committed_at=row["committed_at"],
                    outcomes=outcomes,
                )
            )
        return summaries

    async def submit(
        self, device: DevicePrincipal, manifest: wire.BatchManifest
    ) -> tuple[wire.BatchAccepted, bool]:
        """Store a manifest (idempotent on its id); answer the blobs the server lacks."""
        _check_manifest(manifest, self.ctx.settings.max_blob_bytes)
        digest = hashlib.sha256(msgspec.json.encode(manifest)).hexdigest()
        created = False

        # A batch sent again (the answer was lost) is read without taking the write lock.
        row = await first_row(SyncBatch, _STORED_BATCH, manifest.batch_id)
        if row is None:
            async with self.ctx.db.transaction():
                row = await first_row(SyncBatch, _STORED_BATCH, manifest.batch_id)
                if row is None:
                    await SyncBatch.insert(
                        SyncBatch(
                            id=manifest.batch_id,
                            device=device.device_id,
                            commune=device.commune_code,
                            team=device.team_id,
                            manifest_hash=digest,
                            manifest=msgspec.to_builtins(manifest),
                            created_at=self.ctx.clock.now(),
                        )
                    )
                    created = True
        if row is not None and (
            row["device"] != device.device_id or row["manifest_hash"] != digest
        ):
            raise AppError(
                ErrorCode.batch_conflict,
                f"Lô {manifest.batch_id} đã được gửi với nội dung khác.",
            )
        committed = row is not None and row["committed_at"] is not None
        missing = [] if committed else (await self._missing(device, manifest))[0]
        return (
            wire.BatchAccepted(
                batch_id=manifest.batch_id,
                state=BatchPhase.committed if committed else BatchPhase.open,
                missing_blobs=missing,
                upload_url="/api/v1/uploads",
            ),
            created,
        )

    async def _batch(self, device: DevicePrincipal, batch_id: str) -> dict[str, Any]:
        row = (
            await SyncBatch.select()
            .where((SyncBatch.id == batch_id) & (SyncBatch.device == device.device_id))
            .output(load_json=True)
            .first()
        )
        if row is None:
            raise AppError(ErrorCode.not_found, "Không tìm thấy lô hồ sơ.")
        return row

    async def commit(self, device: DevicePrincipal, batch_id: str) -> wire.BatchCommitted:
        """Create or update every dossier of the batch in one transaction (once)."""
        done = await first_row(SyncBatch, _STORED_RESULT, batch_id, device.device_id)
        if done is not None and done["result"] is not None:
            # Committed already (the device lost the answer): the stored answer, decoded once.
            return msgspec.json.decode(_json_bytes(done["result"]), type=wire.BatchCommitted)
        row = await self._batch(device, batch_id)
        if row["result"] is not None:
            return msgspec.convert(row["result"], wire.BatchCommitted)
        manifest = msgspec.convert(row["manifest"], wire.BatchManifest)
        missing, held = await self._missing(device, manifest)
        if missing:
            raise AppError(
                ErrorCode.blob_missing,
                f"Còn {len(missing)} tệp chưa tải lên: {', '.join(missing)}",
            )
        inspection = await self._inspect(manifest, held)
        team = await Team.select(Team.kind).where(Team.id == device.team_id).first()
        channel = (
            Channel.residential_point
            if team and team["kind"] == "residential_point"
            else Channel.field_team
        )
        actor = Actor("device", device.device_id, device.name or device.device_id)
        now = self.ctx.clock.now()
        async with self.ctx.db.transaction():
            # Re-read under the write lock: two commits of one batch must not both apply it.
            again = (
                await SyncBatch.select(SyncBatch.result)
                .where(SyncBatch.id == batch_id)
                .output(load_json=True)
                .first()
            )
            if again is not None and again["result"] is not None:
                return msgspec.convert(again["result"], wire.BatchCommitted)
            results = [
                await self._apply(index, item, device, channel, inspection, actor, row)
                for index, item in enumerate(manifest.items)
            ]
            committed = wire.BatchCommitted(batch_id=batch_id, committed_at=now, results=results)
            await SyncBatch.update(
                {SyncBatch.result: msgspec.to_builtins(committed), SyncBatch.committed_at: now}
            ).where(SyncBatch.id == batch_id)
        count_batch_items([r.outcome.value for r in results])
        return committed

    async def _inspect(
        self, manifest: wire.BatchManifest, held: dict[str, str | None]
    ) -> Inspection:
        """Every image's verdict (``held``: the commune's custody, checked at upload), and the
        QR of every ID card scan, read before any write."""
        cards = {
            d.sha256
            for item in manifest.items
            if isinstance(item, wire.NewDossier)
            for d in item.documents
            if d.key == ID_CARD_DOCUMENT
        }
        inspection = Inspection()
        for blob in manifest.blobs:
            if blob.sha256 not in held:
                raise AppError(ErrorCode.blob_missing, f"Còn tệp chưa tải lên: {blob.sha256}")
            # The verdict of the check made when the upload completed.
            problem = held[blob.sha256]
            if problem is not None:
                inspection.invalid[blob.sha256] = problem
            elif blob.sha256 in cards:
                card = await self.checks.id_card(blob.sha256)
                inspection.cards[blob.sha256] = card.id_number if card else None
        return inspection

    async def _apply(
        self,
        index: int,
        item: wire.BatchItem,
        device: DevicePrincipal,
        channel: Channel,
        inspection: Inspection,
        actor: Actor,
        batch: dict[str, Any],
    ) -> wire.ItemResult:
        commune = device.commune_code
        match item:
            case wire.NewDossier():
                problem = await self._reject_reason(commune, item, inspection)
                if problem is not None:
                    return _result(index, ItemKind.dossier, item.id, Outcome.rejected, *problem)
                data = DossierCreate(
                    id=item.id,
                    procedure_code=item.procedure_code,
                    applicant=item.applicant,
                    channel=channel,
                    consent=item.consent,
                    documents=item.documents,
                    delivery=item.delivery,
                    note=item.note,
                )
                capture = FieldCapture(
                    team_id=device.team_id,
                    device_id=device.device_id,
                    captured_at=item.captured_at,
                    place=item.capture_place,
                    batch_id=batch["id"],
                    uploaded_at=batch["created_at"],
                )
                try:
                    _, created = await self.lifecycle.register(
                        commune, data, actor, capture=capture
                    )
                except AppError as exc:
                    return _result(
                        index, ItemKind.dossier, item.id, Outcome.conflict, exc.code, exc.detail
                    )
                outcome = Outcome.accepted if created else Outcome.duplicate
                return _result(index, ItemKind.dossier, item.id, outcome)
            case wire.Supplement():
                return await self._supplement(index, item, device, inspection.invalid, actor)
            case wire.Rating() | wire.DeliveryChange():
                return await self._follow_up(index, item, device, actor)
        raise AssertionError(f"unknown batch item {item!r}")  # pragma: no cover

    async def _reject_reason(
        self, commune: str, item: wire.NewDossier, inspection: Inspection
    ) -> tuple[ErrorCode, str] | None:
        """Why a field dossier cannot be accepted, or ``None``; checked before any write."""
        if not item.consent:
            return ErrorCode.consent_required, "Thiếu sự đồng ý của người nộp."
        documents = await self.catalog.documents(commune, item.procedure_code)
        if documents is None:
            return (
                ErrorCode.unknown_procedure,
                f"Thủ tục {item.procedure_code} không có trong danh mục.",
            )
        problem = check_documents(documents, (d.key for d in item.documents))
        if problem is not None:
            return problem.code, problem.detail
        bad = [
            inspection.invalid[d.sha256] for d in item.documents if d.sha256 in inspection.invalid
        ]
        if bad:
            return ErrorCode.invalid_image, "; ".join(bad)
        for document in item.documents:
            on_card = inspection.cards.get(document.sha256)
            if on_card is not None and on_card != item.applicant.id_number:
                return (
                    ErrorCode.cccd_mismatch,
                    f"Số định danh {item.applicant.id_number} khác số {on_card} đọc từ mã QR "
                    f"trên ảnh căn cước (trang {document.page}).",
                )
        if item.cccd_qr:
            try:
                card = parse_cccd(item.cccd_qr, today=local_date(self.ctx.clock.now()))
            except CccdError as exc:
                return ErrorCode.cccd_invalid, exc.detail
            if card.id_number != item.applicant.id_number:
                return (
                    ErrorCode.cccd_mismatch,
                    f"Số định danh {item.applicant.id_number} khác số trên CCCD {card.id_number}.",
                )
        return None

    @staticmethod
    async def _own(device: DevicePrincipal, dossier_id: str | None, code: str | None) -> str:
        """The id of a dossier the device's own team captured, found by id or by code.

        A device acts only on its team's dossiers: not on another team's, nor on one brought
        to the counter, although they are of the same commune (codes are sequential and easy
        to guess). Anything else is "not found", so nothing is learnt of other dossiers.
        """
        where: Combinable = (Dossier.commune == device.commune_code) & (
            Dossier.team == device.team_id
        )
        if dossier_id:
            where &= Dossier.id == dossier_id
        else:
            where &= Dossier.code == (code or "")
        row = await Dossier.select(Dossier.id).where(where).first()
        if row is None:
            raise AppError(ErrorCode.not_found, "Không tìm thấy hồ sơ của tổ.")
        found: str = row["id"]
        return found

    async def _follow_up(
        self,
        index: int,
        item: wire.Rating | wire.DeliveryChange,
        device: DevicePrincipal,
        actor: Actor,
    ) -> wire.ItemResult:
        """A rating or a change of where the result goes, for a dossier of the device's team."""
        kind = ItemKind.rating if isinstance(item, wire.Rating) else ItemKind.delivery
        try:
            await self._own(device, item.dossier_id, None)
            match item:
                case wire.Rating():
                    await self.lifecycle.record_rating(
                        item.dossier_id,
                        SatisfactionCreate(level=item.level, comment=item.comment),
                        "device",
                    )
                case wire.DeliveryChange():
                    await self.lifecycle.change_delivery(
                        device.commune_code, item.dossier_id, item.delivery, actor
                    )
        except AppError as exc:
            return _result(index, kind, item.dossier_id, Outcome.rejected, exc.code, exc.detail)
        return _result(index, kind, item.dossier_id, Outcome.accepted)

    async def _supplement(
        self,
        index: int,
        item: wire.Supplement,
        device: DevicePrincipal,
        invalid: dict[str, str],
        actor: Actor,
    ) -> wire.ItemResult:
        kind, rejected = ItemKind.supplement, Outcome.rejected
        try:
            dossier_id = await self._own(device, item.dossier_id, item.dossier_code)
        except AppError as exc:
            return _result(index, kind, item.dossier_id, rejected, exc.code, exc.detail)
        bad = [invalid[d.sha256] for d in item.documents if d.sha256 in invalid]
        if bad:
            return _result(index, kind, dossier_id, rejected, ErrorCode.invalid_image,
                           "; ".join(bad))  # fmt: skip
        try:
            await self.lifecycle.act(
                device.commune_code,
                dossier_id,
                Action.supplement_arrived,
                SupplementArrived(documents=item.documents, note=item.note),
                actor,
            )
        except AppError as exc:
            return _result(index, kind, dossier_id, rejected, exc.code, exc.detail)
        return _result(index, kind, dossier_id, Outcome.accepted)


def _result(
    index: int,
    kind: ItemKind,
    dossier_id: str | None,
    outcome: Outcome,
    code: ErrorCode | None = None,
    detail: str = "",
) -> wire.ItemResult:
    return wire.ItemResult(
        index=index,
        kind=kind,
        dossier_id=dossier_id,
        outcome=outcome,
        code=code.value if code else None,
        detail=detail,
    )


# A batch sent again is answered from these two reads alone, written once rather than built by
# Piccolo's query builder on every request (``docs/performance.md``, identical resubmission).
_STORED_BATCH = "SELECT device, manifest_hash, committed_at FROM sync_batch WHERE id = {}"
_STORED_RESULT = "SELECT result FROM sync_batch WHERE id = {} AND device = {}"


def _json_bytes(value: Any) -> bytes | str:
    """A JSON column's raw value (text on SQLite; already decoded on PostgreSQL's asyncpg)."""
    return value if isinstance(value, (str, bytes)) else msgspec.json.encode(value)


def _check_manifest(manifest: wire.BatchManifest, max_blob_bytes: int) -> None:
    """Every scan a dossier names must be listed in the manifest's blobs, once, acceptably."""
    errors: list[FieldError] = []
    listed: dict[str, wire.BlobRef] = {}
    for n, blob in enumerate(manifest.blobs):
        if blob.sha256 in listed:
            errors.append(FieldError(field=f"body.blobs[{n}]", message="listed twice"))
        listed[blob.sha256] = blob
        if blob.media_type not in ACCEPTED_TYPES:
            errors.append(FieldError(field=f"body.blobs[{n}].media_type", message="not accepted"))
        if blob.size > max_blob_bytes:
            errors.append(FieldError(field=f"body.blobs[{n}].size", message="over the limit"))
    for n, item in enumerate(manifest.items):
        documents = getattr(item, "documents", [])
        for m, document in enumerate(documents):
            if document.sha256 not in listed:
                errors.append(
                    FieldError(
                        field=f"body.items[{n}].documents[{m}].sha256",
                        message="not in the manifest's blobs",
                    )
                )
    if errors:
        raise AppError(ErrorCode.validation_failed, "Bản kê của lô không nhất quán.", errors=errors)


@dataclass
class Inspection:
    """What the blobs of a batch turned out to be, found before the commit transaction."""

    invalid: dict[str, str] = field(default_factory=dict)
    """sha256 → why the image was refused."""
    cards: dict[str, str | None] = field(default_factory=dict)
    """sha256 of an ID card scan → the ID number its QR carries (None: no readable CCCD QR)."""
