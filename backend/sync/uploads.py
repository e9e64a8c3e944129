"""Resumable uploads over the tus 1.0 protocol (core, creation, checksum, expiration, termination).

A PATCH body is streamed to ``MEDIA_ROOT/uploads/<id>.part`` as it arrives, never held whole.
The database row's ``offset`` is the authority: it only advances after the bytes are fsynced,
and a PATCH first cuts the file back to it, so bytes a killed server wrote but never recorded
are simply sent again. One pass per blob: a body sent from the first byte is hashed as it
arrives (otherwise the part file is read once at the end); unless the hash matches the sha256
announced in ``Upload-Metadata`` the upload is discarded. The image is checked from the part
file, the commune's custody recorded with the verdict, and the file renamed into the blob store
(never copied). A completed upload keeps its row until it expires, so a client that lost the
last answer reads ``Upload-Offset == length``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import os
import re
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiofiles
import aiofiles.os

from backend.auth.principal import DevicePrincipal
from backend.context import Context
from backend.custody.services import CustodyService
from backend.errors import AppError
from backend.scans.checks import BlobChecks
from backend.sync.tables import Upload
from backend.telemetry import count_upload
from media.failpoints import failpoint
from media.images import ACCEPTED_TYPES
from media.store import check_sha256
from schemas.errors import ErrorCode

__all__ = [
    "TUS_EXTENSIONS",
    "TUS_HEADERS",
    "TUS_VERSION",
    "UPLOAD_TTL",
    "UploadService",
    "UploadState",
    "parse_metadata",
]

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,creation-with-upload,checksum,expiration,termination"
TUS_HEADERS = {"Tus-Resumable": TUS_VERSION}
UPLOAD_TTL = timedelta(hours=24)
RENEW_S = 2.0
"""How often a request writing an upload renews its lease (PostgreSQL)."""
LEASE_S = 3 * RENEW_S
"""How long a lease lasts unrenewed: how long a crashed process can keep an upload."""
_ID = re.compile(r"^[0-9a-f]{32}$")
_ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}


def tus_error(code: ErrorCode, detail: str) -> AppError:
    """An error whose response carries the tus version header, as the protocol requires."""
    return AppError(code, detail, headers=dict(TUS_HEADERS))


def parse_metadata(header: str | None) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64value`` pairs."""
    result: dict[str, str] = {}
    for pair in (header or "").split(","):
        if not pair.strip():
            continue
        key, _, value = pair.strip().partition(" ")
        try:
            result[key] = base64.b64decode(value, validate=True).decode() if value else ""
        except (binascii.Error, UnicodeDecodeError):
            raise tus_error(
                ErrorCode.validation_failed, f"Upload-Metadata value of {key!r} is not base64"
            ) from None
    return result


@dataclass(frozen=True)
class UploadState:
    """Where an upload stands."""

    id: str
    offset: int
    length: int
    expires_at: datetime
    sha256: str
    complete: bool = False

    @classmethod
    def of(cls, row: dict[str, Any], offset: int, *, complete: bool = False) -> UploadState:
        """The state of the upload ``row`` at ``offset``."""
        return cls(row["id"], offset, row["length"], row["expires_at"], row["sha256"], complete)


@dataclass
class _Lease:
    """The right to write one upload, held by one request (``holder``) until ``deadline``."""

    holder: str | None
    """``None``: this process's own lock is enough (one SQLite process)."""
    deadline: float = float("inf")
    """``time.monotonic()`` after which this request must not write: the lease may be gone."""
    renewed: float = 0.0

    def usable(self) -> bool:
        return time.monotonic() < self.deadline


class UploadService:
    """tus uploads of field devices; each belongs to the device that created it.

    An upload is *receiving* while its offset is short of its length, *received* when the
    offset reaches the length, and *complete* once its blob is in the store. Only a complete
    upload is reported as such; a received one whose blob is missing (the process was killed
    while storing it) is settled by the next HEAD, PATCH or manifest that meets it.
    """

    def __init__(self, ctx: Context, checks: BlobChecks, custody: CustodyService) -> None:
        self.ctx = ctx
        self.checks = checks
        self.custody = custody
        self.folder = Path(ctx.settings.media_root) / "uploads"
        self.idle_s = float(ctx.settings.upload_idle_timeout_s)
        # The holder renews its lease every RENEW_S while its request lives (bytes flowing or
        # not, up to the idle timeout), so a lease outlives its process by LEASE_S at most:
        # after a crash the device's resume waits seconds, not the idle timeout.
        self.lease_s = LEASE_S
        # One request at a time per upload in this process; on PostgreSQL, where several
        # processes serve one deployment, a lease in the upload's row is held as well.
        self._leases = ctx.settings.engine_kind == "postgres"
        self._locks: dict[str, asyncio.Lock] = {}

    def _lock(self, upload_id: str) -> asyncio.Lock:
        lock = self._locks.get(upload_id)
        if lock is None:
            lock = self._locks[upload_id] = asyncio.Lock()
        return lock

    def _path(self, upload_id: str) -> Path:
        return self.folder / f"{upload_id}.part"

    # --- who may write ---------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _hold(self, upload_id: str) -> AsyncIterator[_Lease]:
        """Exclusive use of the upload: a HEAD waits for a PATCH to record what it received
        instead of answering a stale offset, and no request truncates bytes another accepted."""
        async with self._lock(upload_id):
            if not self._leases:
                yield _Lease(None)
                return
            lease = await self._acquire(upload_id)
            try:
                yield lease
            finally:
                if lease.holder is not None:
                    await Upload.update({Upload.holder: None, Upload.held_until: None}).where(
                        (Upload.id == upload_id) & (Upload.holder == lease.holder)
                    )

    async def _acquire(self, upload_id: str) -> _Lease:
        holder = secrets.token_hex(16)
        # Outwait a holder whose link went silent: it gives up after the idle timeout.
        give_up = time.monotonic() + self.idle_s + self.lease_s + 2.0
        pause = 0.05
        while True:
            started = time.monotonic()
            now = self.ctx.clock.now()
            taken = await (
                Upload.update(
                    {
                        Upload.holder: holder,
                        Upload.held_until: now + timedelta(seconds=self.lease_s),
                    }
                )
                .where(
                    (Upload.id == upload_id) & (Upload.holder.is_null() | (Upload.held_until < now))
                )
                .returning(Upload.id)
            )
            if taken:
                return _Lease(holder, started + self.lease_s, started)
            if not await Upload.exists().where(Upload.id == upload_id):
                return _Lease(None)  # nothing to hold: the caller answers 404
            if time.monotonic() > give_up:
                locked = tus_error(
                    ErrorCode.upload_locked,
                    "Another request is still writing this upload; try again shortly",
                )
                locked.headers["Retry-After"] = "1"
                raise locked
            await asyncio.sleep(pause)
            pause = min(0.5, pause * 2)

    async def _renew(self, upload_id: str, lease: _Lease) -> bool:
        """Extend a lease (at most every ``RENEW_S``) while its request lives; False if lost."""
        if lease.holder is None or time.monotonic() - lease.renewed < RENEW_S:
            return lease.usable()
        started = time.monotonic()
        now = self.ctx.clock.now()
        kept = await (
            Upload.update({Upload.held_until: now + timedelta(seconds=self.lease_s)})
            .where((Upload.id == upload_id) & (Upload.holder == lease.holder))
            .returning(Upload.id)
        )
        if not kept:
            lease.deadline = 0.0
            return False
        lease.deadline, lease.renewed = started + self.lease_s, started
        return True

    # --- the protocol ------------------------------------------------------------------------

    async def create(
        self, device: DevicePrincipal, length: int, metadata: dict[str, str]
    ) -> UploadState:
        """A new empty upload for a blob of ``length`` bytes with the announced sha256."""
        limit = self.ctx.settings.max_blob_bytes
        if length <= 0 or length > limit:
            raise tus_error(
                ErrorCode.blob_too_large,
                f"Upload-Length must be 1 to {limit} bytes, got {length}",
            )
        sha256 = metadata.get("sha256", "")
        try:
            check_sha256(sha256)
        except Exception:
            raise tus_error(
                ErrorCode.validation_failed, "Upload-Metadata must carry the blob's sha256 (hex)"
            ) from None
        media_type = metadata.get("media_type") or metadata.get("filetype") or ""
        if media_type not in ACCEPTED_TYPES:
            raise tus_error(
                ErrorCode.unsupported_media_type, f"media type {media_type!r} is not accepted"
            )
        await self._check_open(device, length)
        upload_id = secrets.token_hex(16)
        now = self.ctx.clock.now()
        await aiofiles.os.makedirs(self.folder, exist_ok=True)
        async with aiofiles.open(self._path(upload_id), "wb"):
            pass
        await Upload.insert(
            Upload(
                id=upload_id,
                device=device.device_id,
                sha256=sha256,
                media_type=media_type,
                length=length,
                offset=0,
                created_at=now,
                expires_at=now + UPLOAD_TTL,
            )
        )
        return UploadState(upload_id, 0, length, now + UPLOAD_TTL, sha256)

    async def _check_open(self, device: DevicePrincipal, length: int) -> None:
        """A device may keep only so many unfinished uploads, and so many bytes in them, so
        one device cannot fill the server's disk with uploads it never finishes.

        Over a weak link a creation's answer is often lost and the device creates again: the
        orphan never receives a byte. So when the count is reached, the device's oldest
        uploads that hold no byte yet make room (a device resuming one of them is answered
        404 and creates it anew); only uploads holding bytes are refused room.
        """
        settings = self.ctx.settings
        rows = [
            r
            for r in await Upload.select(Upload.id, Upload.offset, Upload.length)
            .where((Upload.device == device.device_id) & (Upload.expires_at > self.ctx.clock.now()))
            .order_by(Upload.created_at)
            if r["offset"] < r["length"]
        ]
        excess = len(rows) - settings.max_open_uploads + 1
        for empty in [r for r in rows if r["offset"] == 0][: max(0, excess)]:
            async with self._hold(empty["id"]):
                # Held, it is not being written: a PATCH that was receiving its first bytes
                # has recorded them by now, and such an upload is not empty any more.
                still = await Upload.select(Upload.offset).where(Upload.id == empty["id"]).first()
                if still is not None and still["offset"] > 0:
                    continue
                await self._discard(empty["id"])
            rows.remove(empty)
        held = sum(r["offset"] for r in rows)
        if len(rows) >= settings.max_open_uploads or held + length > settings.max_open_upload_bytes:
            refused = tus_error(
                ErrorCode.too_many_uploads,
                f"Thiết bị đang có {len(rows)} lượt tải lên chưa xong: hãy gửi nốt hoặc huỷ "
                "bớt trước khi mở lượt mới.",
            )
            refused.headers["Retry-After"] = "60"
            raise refused

    async def _row(self, device: DevicePrincipal, upload_id: str) -> dict[str, Any]:
        if not _ID.fullmatch(upload_id):
            raise tus_error(ErrorCode.not_found, "Không tìm thấy lượt tải lên.")
        row = (
            await Upload.select()
            .where((Upload.id == upload_id) & (Upload.device == device.device_id))
            .first()
        )
        if row is None:
            raise tus_error(ErrorCode.not_found, "Không tìm thấy lượt tải lên.")
        if row["expires_at"] <= self.ctx.clock.now():
            await self._discard(upload_id)
            raise tus_error(ErrorCode.not_found, "Lượt tải lên đã hết hạn.")
        return row

    async def state(self, device: DevicePrincipal, upload_id: str) -> UploadState:
        """The offset the client resumes from (a received upload is settled first)."""
        if not _ID.fullmatch(upload_id):
            raise tus_error(ErrorCode.not_found, "Không tìm thấy lượt tải lên.")
        async with self._hold(upload_id):
            return await self._settle(device, await self._row(device, upload_id))

    async def append(
        self,
        device: DevicePrincipal,
        upload_id: str,
        offset: int,
        chunks: AsyncIterator[bytes],
        checksum: str | None,
    ) -> UploadState:
        """Write one PATCH body at ``offset``; complete the upload when it is whole."""
        if not _ID.fullmatch(upload_id):
            raise tus_error(ErrorCode.not_found, "Không tìm thấy lượt tải lên.")
        async with self._hold(upload_id) as lease:
            return await self._append(device, upload_id, offset, chunks, checksum, lease)

    async def settle_received(self, device: DevicePrincipal, hashes: list[str]) -> set[str]:
        """Of ``hashes`` (blobs a manifest or commit found missing), the ones this device had
        fully uploaded and that are stored now (their storing had been cut short)."""
        if not hashes:
            return set()
        rows = await Upload.select(Upload.id, Upload.offset, Upload.length).where(
            (Upload.device == device.device_id) & Upload.sha256.is_in(hashes)
        )
        stored: set[str] = set()
        for found in rows:
            if found["offset"] < found["length"]:
                continue  # still receiving: the device resumes it
            with contextlib.suppress(AppError):
                state = await self.state(device, found["id"])
                if state.complete:
                    stored.add(state.sha256)
        return stored

    async def _settle(self, device: DevicePrincipal, row: dict[str, Any]) -> UploadState:
        """The state of ``row``; a received upload whose blob the commune does not hold (or
        holds with its bytes gone) is stored now from its part file, or, if the file is short,
        moved back to what the file holds. A blob stored for another commune counts for
        nothing here: only bytes this device sent, hashed here, give its commune the blob."""
        received = row["offset"] == row["length"]
        path = self._path(row["id"])
        if received:
            sha256 = row["sha256"]
            verdict = await self.custody.held(device.commune_code, [sha256])
            if sha256 in verdict and (
                verdict[sha256] is not None or await self.ctx.blobs.exists(sha256)
            ):
                with contextlib.suppress(FileNotFoundError):
                    await aiofiles.os.remove(path)
                return UploadState.of(row, row["offset"], complete=True)
        try:
            held = (await aiofiles.os.stat(path)).st_size
        except FileNotFoundError:
            held = 0
        if held < row["offset"]:
            # Bytes the offset counts are gone (a disk replaced, a file removed by hand): the
            # device sends again from what is left, never into a hole.
            await aiofiles.os.makedirs(self.folder, exist_ok=True)
            async with aiofiles.open(path, "ab"):
                pass
            await Upload.update({Upload.offset: held}).where(Upload.id == row["id"])
            return UploadState.of(row, held)
        if received:
            await self._complete(device, UploadState.of(row, row["length"]), row["media_type"])
            return UploadState.of(row, row["length"], complete=True)
        return UploadState.of(row, row["offset"])

    async def _append(
        self,
        device: DevicePrincipal,
        upload_id: str,
        offset: int,
        chunks: AsyncIterator[bytes],
        checksum: str | None,
        lease: _Lease,
    ) -> UploadState:
        row = await self._row(device, upload_id)
        current = await self._settle(device, row)
        if current.complete and offset == current.offset:
            # Already complete (the client lost our last answer): nothing to write.
            return current
        if offset != current.offset:
            raise tus_error(
                ErrorCode.upload_offset_mismatch,
                f"Upload-Offset {offset} is not the upload's offset {current.offset}",
            )
        check = _checksum(checksum)
        # A body from the first byte is hashed as it arrives: the blob's one pass.
        whole = hashlib.sha256() if offset == 0 else None
        path = self._path(upload_id)
        written = 0
        cut = False
        async with aiofiles.open(path, "r+b") as handle:
            await handle.truncate(offset)
            await handle.seek(offset)
            stream = aiter(chunks)
            while True:
                try:
                    chunk = await self._next_chunk(stream, upload_id, lease)
                except StopAsyncIteration:
                    break
                except Exception:
                    # The link dropped mid-body, went silent for the idle timeout (a half-open
                    # connection), or the lease was lost: keep what arrived, tus resumes from
                    # it, unless a per-PATCH checksum can no longer be verified.
                    cut = True
                    break
                if offset + written + len(chunk) > row["length"]:
                    await handle.truncate(offset)
                    raise tus_error(ErrorCode.blob_too_large, "PATCH goes beyond Upload-Length")
                if check is not None:
                    check[1].update(chunk)
                if whole is not None:
                    whole.update(chunk)
                await handle.write(chunk)
                written += len(chunk)
            await handle.flush()
            await asyncio.to_thread(os.fsync, handle.fileno())
            if check is not None and (cut or check[1].digest() != check[0]):
                await handle.truncate(offset)
                if cut:
                    return UploadState.of(row, offset)
                raise tus_error(
                    ErrorCode.chunk_checksum_mismatch,
                    "Upload-Checksum does not match the PATCH body; send it again",
                )
        if not lease.usable():
            return UploadState.of(row, offset)
        new_offset = offset + written
        if new_offset == row["length"]:
            failpoint("upload.before_offset")
        # Compare-and-set: a concurrent PATCH of the same upload cannot both advance it.
        moved = await (
            Upload.update({Upload.offset: new_offset})
            .where((Upload.id == upload_id) & (Upload.offset == offset))
            .returning(Upload.id)
        )
        if not moved:
            raise tus_error(ErrorCode.upload_offset_mismatch, "the upload moved meanwhile")
        if new_offset == row["length"]:
            failpoint("upload.before_store")
            digest = whole.hexdigest() if whole is not None and not cut else None
            await self._complete(device, UploadState.of(row, new_offset), row["media_type"], digest)
            return UploadState.of(row, new_offset, complete=True)
        return UploadState.of(row, new_offset)

    async def _next_chunk(
        self, stream: AsyncIterator[bytes], upload_id: str, lease: _Lease
    ) -> bytes:
        """The next piece of the body; renews the lease while it waits. Raises
        ``StopAsyncIteration`` at the end and ``TimeoutError`` when nothing came for the idle
        timeout or the lease is lost."""
        waiting = asyncio.ensure_future(anext(stream))
        silent_since = time.monotonic()
        try:
            while True:
                left = self.idle_s - (time.monotonic() - silent_since)
                done, _ = await asyncio.wait({waiting}, timeout=max(0.0, min(RENEW_S, left)))
                if done:
                    chunk: bytes = waiting.result()
                    if not await self._renew(upload_id, lease):
                        raise TimeoutError("the lease ran out")
                    return chunk
                if left <= RENEW_S:  # that wait took the rest of the idle timeout
                    raise TimeoutError("nothing arrived for the idle timeout")
                if not await self._renew(upload_id, lease):
                    raise TimeoutError("the lease ran out")
        finally:
            if not waiting.done():
                waiting.cancel()
                with contextlib.suppress(BaseException):
                    await waiting

    async def _complete(
        self,
        device: DevicePrincipal,
        state: UploadState,
        media_type: str,
        digest: str | None = None,
    ) -> None:
        """Store a received upload's blob: verify its hash (``digest``, when the body was
        hashed as it arrived, or one read of the part file), check the image from the file,
        record the commune's custody with the verdict, then move the file into the store.
        Custody comes first: it says the bytes were verified, so a kill before the move is
        settled by moving the part file then (``_settle``)."""
        path = self._path(state.id)
        if digest is None:
            digest = await asyncio.to_thread(_file_sha256, path)
        if digest != state.sha256:
            await self._discard(state.id)
            raise tus_error(
                ErrorCode.checksum_mismatch,
                f"content hashes to {digest}, not the announced {state.sha256}; "
                "the upload was discarded",
            )
        # Check the image now, while the device sends its next scan, not at the batch's commit;
        # a refused image's bytes never enter the store, its verdict stays with the custody.
        problem = await self.checks.problem(path, media_type)
        await self.custody.grant(device.commune_code, state.sha256, "upload", refused=problem)
        if problem is None:
            await self.ctx.blobs.adopt(path, state.sha256)
        else:
            with contextlib.suppress(FileNotFoundError):
                await aiofiles.os.remove(path)
        count_upload(state.length)
        # The row stays until it expires, so a HEAD after a lost answer reads "complete".

    async def terminate(self, device: DevicePrincipal, upload_id: str) -> None:
        """Drop an upload and its bytes (tus termination)."""
        async with self._hold(upload_id):
            await self._row(device, upload_id)
            await self._discard(upload_id)

    async def sweep(self) -> int:
        """Drop expired uploads, partial files no row knows (a create cut before its
        insert) once they are older than an upload's lifetime, and the blob store's
        temporary files of killed writers. Returns how many went."""
        now = self.ctx.clock.now()
        expired = await Upload.select(Upload.id).where(Upload.expires_at <= now)
        for row in expired:
            async with self._hold(row["id"]):
                await self._discard(row["id"])
        swept = len(expired) + await self.ctx.blobs.sweep_temporary()
        if not self.folder.is_dir():
            return swept
        known = {row["id"] for row in await Upload.select(Upload.id)}
        cutoff = (now - UPLOAD_TTL).timestamp()
        for path in self.folder.glob("*.part"):
            with contextlib.suppress(FileNotFoundError):
                if path.stem not in known and path.stat().st_mtime < cutoff:
                    path.unlink()
                    swept += 1
        return swept

    async def _discard(self, upload_id: str) -> None:
        self._locks.pop(upload_id, None)
        await Upload.delete().where(Upload.id == upload_id)
        with contextlib.suppress(FileNotFoundError):
            await aiofiles.os.remove(self._path(upload_id))


def _file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _checksum(header: str | None) -> tuple[bytes, Any] | None:
    """``Upload-Checksum: <algorithm> <base64 digest>`` parsed into (digest, hasher)."""
    if not header:
        return None
    algorithm, _, encoded = header.strip().partition(" ")
    if algorithm not in _ALGORITHMS:
        raise tus_error(
            ErrorCode.checksum_algorithm_unsupported,
            f"checksum algorithm {algorithm!r} is not supported (sha1, sha256)",
        )
    try:
        expected = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise tus_error(ErrorCode.validation_failed, "Upload-Checksum is not base64") from None
    return expected, _ALGORITHMS[algorithm]()
