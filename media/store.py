"""The content-addressed blob store.

Blobs are named by the sha256 of their bytes. The local store keeps them under
``root/blobs/ab/cd/<sha256>``; a blob is written in chunks to ``root/tmp``, hashed on the way,
fsynced, checked against the expected hash, and only then renamed into place (atomic on one
filesystem), so a crash at any moment leaves either no blob or the whole blob, never a part.
Callers name blobs only by hash, checked against ``^[0-9a-f]{64}$``: no caller-supplied path ever
reaches the filesystem. :class:`BlobStore` is the interface; ``media.s3store`` implements it on
S3-compatible object storage.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import re
import secrets
import time
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import aiofiles
import aiofiles.os

from media.errors import BlobNotFoundError, ChecksumMismatchError, MediaError, TooLargeError
from media.failpoints import failpoint

__all__ = [
    "BlobInfo",
    "BlobStore",
    "LocalBlobStore",
    "SpoolingStore",
    "check_sha256",
    "fsync_dir",
    "read_file",
    "spool",
    "write_atomically",
]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 256 * 1024


def check_sha256(value: str) -> str:
    """``value`` if it is a lower-case hex sha256, else a :class:`MediaError`."""
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise MediaError("a blob is named by a lower-case hex sha256")
    return value


@dataclass(frozen=True)
class BlobInfo:
    """A stored blob."""

    sha256: str
    size: int
    created: bool
    """False when the store already held these bytes (content-addressed dedupe)."""


class BlobStore(Protocol):
    """What the service needs from a blob store."""

    async def put_stream(
        self,
        chunks: AsyncIterable[bytes],
        *,
        expected_sha256: str | None = None,
        max_bytes: int | None = None,
    ) -> BlobInfo:
        """Store a stream of bytes; verify its hash before it becomes visible."""
        ...

    async def put(self, data: bytes, *, expected_sha256: str | None = None) -> BlobInfo:
        """Store bytes held in memory (small blobs, derived artifacts)."""
        ...

    async def adopt(self, path: Path, sha256: str) -> BlobInfo:
        """Take a local file whose sha256 the caller computed (and fsynced, when it must last)
        into the store as that blob; the file is gone afterwards (moved, or removed when the
        store already held the bytes)."""
        ...

    def open(self, sha256: str) -> AsyncIterator[bytes]:
        """The blob's bytes in chunks."""
        ...

    async def read(self, sha256: str) -> bytes:
        """The whole blob."""
        ...

    async def exists(self, sha256: str) -> bool:
        """Whether the blob is stored."""
        ...

    async def size(self, sha256: str) -> int:
        """The blob's size in bytes."""
        ...

    async def delete(self, sha256: str) -> bool:
        """Remove the blob; False if there was none."""
        ...

    async def sweep_temporary(self, older_than_s: float = 3600.0) -> int:
        """Remove what writers killed mid-write left behind; return how many."""
        ...

    async def check_writable(self) -> None:
        """Raise (``OSError`` or the store's error) unless a blob could be written now."""
        ...


class SpoolingStore:
    """What every store that writes through a local temporary folder (``_tmp``) shares."""

    _tmp: Path

    async def put_stream(
        self,
        chunks: AsyncIterable[bytes],
        *,
        expected_sha256: str | None = None,
        max_bytes: int | None = None,
    ) -> BlobInfo:
        """Each store's own: see :class:`BlobStore`."""
        raise NotImplementedError

    async def put(self, data: bytes, *, expected_sha256: str | None = None) -> BlobInfo:
        """Store bytes held in memory."""

        async def one() -> AsyncIterator[bytes]:
            for start in range(0, len(data), CHUNK):
                yield data[start : start + CHUNK]

        return await self.put_stream(one(), expected_sha256=expected_sha256)

    async def sweep_temporary(self, older_than_s: float = 3600.0) -> int:
        """Remove temporary files a crashed writer left; return how many."""
        if not await aiofiles.os.path.exists(self._tmp):
            return 0
        cutoff = time.time() - older_than_s
        removed = 0
        for entry in await aiofiles.os.scandir(self._tmp):
            if entry.name.endswith(".part") and entry.stat().st_mtime < cutoff:
                await aiofiles.os.remove(entry.path)
                removed += 1
        return removed


class LocalBlobStore(SpoolingStore):
    """A :class:`BlobStore` on the local filesystem (the embedded default)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._blobs = self.root / "blobs"
        self._tmp = self.root / "tmp"

    def path_of(self, sha256: str) -> Path:
        """Where a blob lives (two levels of fan-out keep directories small)."""
        check_sha256(sha256)
        return self._blobs / sha256[:2] / sha256[2:4] / sha256

    async def put_stream(
        self,
        chunks: AsyncIterable[bytes],
        *,
        expected_sha256: str | None = None,
        max_bytes: int | None = None,
    ) -> BlobInfo:
        """Store a stream; see the module docstring for the crash-safety steps."""
        if expected_sha256 is not None:
            check_sha256(expected_sha256)
        await aiofiles.os.makedirs(self._tmp, exist_ok=True)
        temp = self._tmp / f"{secrets.token_hex(16)}.part"
        try:
            sha256, size = await spool(chunks, temp, expected_sha256, max_bytes, durable=True)
            final = self.path_of(sha256)
            if await aiofiles.os.path.exists(final):
                return BlobInfo(sha256=sha256, size=size, created=False)
            await aiofiles.os.makedirs(final.parent, exist_ok=True)
            failpoint("store.before_rename")
            await aiofiles.os.replace(temp, final)
            await asyncio.to_thread(fsync_dir, final.parent)
            failpoint("store.after_rename")
            return BlobInfo(sha256=sha256, size=size, created=True)
        finally:
            if await aiofiles.os.path.exists(temp):
                await aiofiles.os.remove(temp)

    async def adopt(self, path: Path, sha256: str) -> BlobInfo:
        """Rename ``path`` into place (same filesystem: ``MEDIA_ROOT``); copy it otherwise."""
        final = self.path_of(sha256)
        size = (await aiofiles.os.stat(path)).st_size
        if await aiofiles.os.path.exists(final):
            await aiofiles.os.remove(path)
            return BlobInfo(sha256=sha256, size=size, created=False)
        await aiofiles.os.makedirs(final.parent, exist_ok=True)
        failpoint("store.before_rename")
        try:
            await aiofiles.os.replace(path, final)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            info = await self.put_stream(read_file(path), expected_sha256=sha256)
            await aiofiles.os.remove(path)
            return info
        await asyncio.to_thread(fsync_dir, final.parent)
        failpoint("store.after_rename")
        return BlobInfo(sha256=sha256, size=size, created=True)

    async def open(self, sha256: str) -> AsyncIterator[bytes]:
        """The blob's bytes in chunks of 256 KiB."""
        path = self.path_of(sha256)
        try:
            handle = await aiofiles.open(path, "rb")
        except FileNotFoundError:
            raise BlobNotFoundError(f"no blob {sha256}") from None
        try:
            while chunk := await handle.read(CHUNK):
                yield chunk
        finally:
            await handle.close()

    async def read(self, sha256: str) -> bytes:
        """The whole blob (for images that are decoded anyway)."""
        return b"".join([chunk async for chunk in self.open(sha256)])

    async def exists(self, sha256: str) -> bool:
        """Whether the blob is stored."""
        return bool(await aiofiles.os.path.exists(self.path_of(sha256)))

    async def size(self, sha256: str) -> int:
        """The blob's size in bytes."""
        try:
            return int((await aiofiles.os.stat(self.path_of(sha256))).st_size)
        except FileNotFoundError:
            raise BlobNotFoundError(f"no blob {sha256}") from None

    async def delete(self, sha256: str) -> bool:
        """Remove the blob; False if there was none."""
        try:
            await aiofiles.os.remove(self.path_of(sha256))
        except FileNotFoundError:
            return False
        return True

    async def check_writable(self) -> None:
        """Raise ``OSError`` unless the store's folders take a file now."""
        for folder in (self._tmp, self._blobs):
            await aiofiles.os.makedirs(folder, exist_ok=True)
            probe = folder / f".ready-{secrets.token_hex(4)}"
            async with aiofiles.open(probe, "wb") as handle:
                await handle.write(b"ok")
            await aiofiles.os.remove(probe)


async def spool(
    chunks: AsyncIterable[bytes],
    temp: Path,
    expected_sha256: str | None,
    max_bytes: int | None,
    *,
    durable: bool,
) -> tuple[str, int]:
    """Write a stream to ``temp``, hashing it on the way; its sha256 and size. Stops at
    ``max_bytes`` (:class:`TooLargeError`) and refuses another hash than the expected one
    (:class:`ChecksumMismatchError`); ``durable`` fsyncs the file. The caller removes ``temp``."""
    digest = hashlib.sha256()
    size = 0
    async with aiofiles.open(temp, "wb") as handle:
        async for chunk in chunks:
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                raise TooLargeError(f"over the limit of {max_bytes} bytes")
            digest.update(chunk)
            await handle.write(chunk)
        if durable:
            await handle.flush()
            await asyncio.to_thread(os.fsync, handle.fileno())
    sha256 = digest.hexdigest()
    if expected_sha256 is not None and sha256 != expected_sha256:
        raise ChecksumMismatchError(
            f"content hashes to {sha256}, not the announced {expected_sha256}"
        )
    return sha256, size


async def read_file(path: Path) -> AsyncIterator[bytes]:
    """A file's bytes in chunks of 256 KiB."""
    async with aiofiles.open(path, "rb") as handle:
        while chunk := await handle.read(CHUNK):
            yield chunk


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old file or the whole new one.

    Temporary file beside it, fsync, rename, fsync of the directory (blocking: call it from a
    worker thread in async code).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.part")
    with open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    """Make a rename durable: fsync the directory that now holds the new name."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
