"""The sync agent: seal, manifest, upload, commit, pull, reconcile.

Every step is idempotent on the server, and every local state change is recorded in the outbox
before the next step starts, so the agent can be killed anywhere and simply run again: a sealed
batch is pushed again with the same id and manifest, an upload resumes at the server's offset, a
commit whose answer was lost is answered again from the server's record.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from ulid import ULID

from field_sync.outbox import Outbox, PendingBlob, SealedBatch
from field_sync.transport import LocalProblem, ProblemError, Server, UploadStats
from schemas.errors import ErrorCode
from schemas.sync import BatchPhase, Change, ItemResult

__all__ = ["Agent", "PullReport", "PushReport"]

MAX_BATCH = 50
PARALLEL_UPLOADS = 2


@dataclass
class PushReport:
    """What a push did."""

    batches: int = 0
    results: list[ItemResult] = field(default_factory=list)
    bytes_total: int = 0
    upload: UploadStats = field(default_factory=UploadStats)
    blocked: dict[str, ProblemError] = field(default_factory=dict)
    """Batches the server refused this time (by id), each with why; they stay sealed in the
    outbox and go again on the next push, while the device's other batches went on."""


@dataclass
class PullReport:
    """What a pull brought."""

    changes: list[Change] = field(default_factory=list)
    cursor: int = 0


Progress = Callable[[str, int, int], None]
"""Called with (what, done, total): ``bytes`` or ``dossiers``."""


class Agent:
    """Moves the outbox to the server and the server's news to the outbox."""

    def __init__(self, outbox: Outbox, server: Server, progress: Progress | None = None) -> None:
        self.outbox = outbox
        self.server = server
        self.progress = progress or (lambda what, done, total: None)

    def push(self, report: PushReport | None = None) -> PushReport:
        """Push every sealed batch, then seal and push what is pending.

        ``report`` goes on filling one from an earlier try that the link cut short, so what was
        committed then is still counted.
        """
        report = report or PushReport()
        report.blocked.clear()
        self.reconcile()
        for sealed in self.outbox.open_batches():
            self._isolated(sealed, report)
        while (batch := self.outbox.seal(str(ULID()), MAX_BATCH)) is not None:
            self._isolated(batch, report)
        return report

    def _isolated(self, batch: SealedBatch, report: PushReport) -> None:
        """Push one batch; a refusal of this batch alone does not stop the others.

        A refusal that concerns the device (revoked, signed out) stops everything; a lost
        link is raised too, for the caller to wait and try again.
        """
        try:
            self._push_batch(batch, report)
        except ProblemError as exc:
            if exc.status in (401, 403):
                raise
            report.blocked[batch.id] = exc

    def _push_batch(self, batch: SealedBatch, report: PushReport) -> None:
        # The chunk size the link last carried well, else the server's advice (bootstrap).
        chunk = int(
            self.outbox.get("chunk_learned") or self.outbox.get("chunk_bytes", "131072") or 131072
        )
        for _ in range(3):
            accepted = self.server.submit(batch.manifest)
            self.outbox.mark_batch(batch.id, "accepted")
            missing = self.outbox.blobs_to_upload(accepted.missing_blobs)
            self._upload(missing, chunk, report)
            try:
                committed = self.server.commit(batch.id)
            except ProblemError as exc:
                if exc.code is ErrorCode.blob_missing:
                    continue  # an upload expired meanwhile: ask again what is missing
                raise
            self.outbox.record_commit(batch.id, committed.results)
            report.batches += 1
            report.results.extend(committed.results)
            self.progress("dossiers", len(report.results), len(report.results))
            return
        raise ProblemError(
            409, LocalProblem.blobs_still_missing, f"batch {batch.id} still misses blobs"
        )

    def _upload(self, blobs: list[PendingBlob], chunk: int, report: PushReport) -> None:
        """Upload ``blobs``, ``PARALLEL_UPLOADS`` at a time.

        Two uploads at once keep a slow link busy while the other waits on a reconnection, a
        HEAD after a cut, or the server finishing a blob: on a link cut every 128 KiB those
        pauses cost more than a third of the time when uploads run one after another. The
        upload threads record each upload's address in the outbox as soon as it is created
        (a killed push resumes it), under one lock.

        Each upload is created when its turn comes, not all before the first starts: the
        server lets a device hold only so many unfinished uploads, and makes room by dropping
        its oldest ones that hold no byte. An upload the server no longer has (expired, or
        dropped that way) is created again and sent from the start.
        """
        total = sum(b.size for b in blobs)
        report.bytes_total += total
        progress = _SharedProgress(self.progress, total)
        lock = threading.Lock()

        learned = [chunk]
        # A creation cut mid-body cannot be resumed (no address came back) and what it carried
        # is lost, so scans ride in their creation only while the link is clean: the last
        # upload round had no failure (a new device knows none yet, so it starts without), and
        # this one has had none so far.
        with_body = [self.outbox.get("link_clean") == "1"]
        stats_all: list[UploadStats] = []

        def create(blob: PendingBlob, stats: UploadStats) -> tuple[str, int]:
            """The upload, created with its first chunk (the whole scan when it fits) while
            the link is clean: one request instead of two; else created empty, and the scan
            goes by PATCH, which resumes from the server's offset after a cut."""
            if not with_body[0] or any(other.failures for other in stats_all):
                url, offset = self.server.create_upload(blob.sha256, blob.size, blob.media_type), 0
            else:
                with open(blob.path, "rb") as handle:
                    first = handle.read(min(chunk, blob.size))
                url, offset = self.server.create_with_upload(
                    blob.sha256, blob.size, blob.media_type, first
                )
                stats.bytes_sent += len(first)
                if offset == 0:
                    with_body[0] = False
                    stats.failures += 1
                    stats.bytes_unkept += len(first)
            with lock:
                self.outbox.remember_upload(blob.sha256, url)
            if offset:
                stats.chunks += 1
                progress.for_blob(blob.sha256)(offset)
            return url, offset

        def send(blob: PendingBlob) -> UploadStats:
            stats = UploadStats()
            stats_all.append(stats)
            url, start = blob.upload_url, None
            # A remembered upload is asked where it stands (HEAD) only when there is one.
            if url is None or self.server.offset(url) is None:
                url, start = create(blob, stats)
            for attempt in range(2):
                try:
                    learned.append(
                        self.server.upload(
                            url,
                            blob.path,
                            blob.size,
                            chunk=chunk,
                            stats=stats,
                            start=start,
                            on_progress=progress.for_blob(blob.sha256),
                        )
                    )
                except ProblemError as exc:
                    if exc.status != 404 or attempt:
                        raise
                    url, start = create(blob, stats)
                else:
                    break
            with lock:
                self.outbox.remember_upload(blob.sha256, url, uploaded=True)
            return stats

        try:
            with ThreadPoolExecutor(PARALLEL_UPLOADS) as pool:
                for future in as_completed([pool.submit(send, blob) for blob in blobs]):
                    report.upload.add(future.result())
        finally:
            self.outbox.set(chunk_learned=str(learned[-1]))
            if blobs:
                clean = not any(stats.failures for stats in stats_all)
                self.outbox.set(link_clean="1" if clean else "0")

    def reconcile(self) -> None:
        """Settle batches the server committed though this device never heard the answer."""
        open_batches = self.outbox.open_batches()
        if not open_batches:
            return
        answer = self.server.reconcile([b.id for b in open_batches], [])
        for state in answer.batches:
            if state.state is BatchPhase.committed and state.result is not None:
                self.outbox.record_commit(state.batch_id, state.result.results)

    def pull(self) -> PullReport:
        """Fetch every change after the stored cursor."""
        cursor = int(self.outbox.get("cursor", "0") or 0)
        report = PullReport(cursor=cursor)
        while True:
            page = self.server.changes(cursor)
            if page.changes:
                self.outbox.record_changes(page.changes, page.next_cursor)
                report.changes.extend(page.changes)
            cursor = page.next_cursor
            report.cursor = cursor
            if not page.has_more:
                return report


class _SharedProgress:
    """Bytes done across uploads running at once, reported as one figure."""

    def __init__(self, progress: Progress, total: int) -> None:
        self.progress = progress
        self.total = total
        self.done: dict[str, int] = {}
        self.lock = threading.Lock()

    def for_blob(self, sha256: str) -> Callable[[int], None]:
        """The ``on_progress`` of one upload."""

        def report(offset: int) -> None:
            with self.lock:
                self.done[sha256] = offset
                done = sum(self.done.values())
            self.progress("bytes", done, self.total)

        return report
