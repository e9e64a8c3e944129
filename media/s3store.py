"""A :class:`~media.store.BlobStore` on S3-compatible object storage (obstore's S3 client).

For a province whose app processes run on several hosts: every host reads and writes the same
bucket, so no shared filesystem is needed for the scans. A blob is made the way the local store
makes one: the stream is written to a local scratch file and hashed on the way, checked against
the expected hash and the size limit, and only then put at its final key,
``<prefix>blobs/ab/cd/<sha256>``, in one request or as a multipart upload for large scans. S3
makes a put atomic (an object is whole or absent), so a crash at any moment leaves no partial
blob visible; a scratch file a killed writer left is swept like the local store's.

Blobs are immutable and named by their hash: a blob that is already stored is not sent again.
Derived images (thumbnails, page views) stay in each host's ``MEDIA_ROOT`` cache, made again on a
miss; tus upload parts stay on the receiving host's disk until the upload is complete.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterable, AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiofiles
import aiofiles.os
import obstore
from obstore.exceptions import NotFoundError
from obstore.store import S3Store

from media.errors import BlobNotFoundError
from media.failpoints import failpoint
from media.store import CHUNK, BlobInfo, SpoolingStore, check_sha256, spool

__all__ = ["S3BlobStore"]

MULTIPART_FROM = 8 * 1024 * 1024
"""Scans at least this large go up as a multipart upload (in parts of this size)."""


class S3BlobStore(SpoolingStore):
    """Blobs in ``bucket`` under ``prefix``, written through a scratch folder on this host."""

    def __init__(
        self,
        *,
        bucket: str,
        endpoint: str | None,
        region: str,
        access_key_id: str | None,
        secret_access_key: str | None,
        prefix: str = "",
        scratch: Path,
    ) -> None:
        config: dict[str, object] = {"region": region}
        if endpoint:
            config["endpoint"] = endpoint
            config["virtual_hosted_style_request"] = False
        if access_key_id and secret_access_key:
            config["access_key_id"] = access_key_id
            config["secret_access_key"] = secret_access_key
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._store = S3Store(
            bucket,
            client_options={"allow_http": bool(endpoint and endpoint.startswith("http://"))},
            retry_config={"max_retries": 3, "retry_timeout": timedelta(seconds=30)},
            **config,  # type: ignore[arg-type]
        )
        self._tmp = Path(scratch)

    def key_of(self, sha256: str) -> str:
        """The object key of a blob."""
        check_sha256(sha256)
        return f"{self.prefix}blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}"

    async def put_stream(
        self,
        chunks: AsyncIterable[bytes],
        *,
        expected_sha256: str | None = None,
        max_bytes: int | None = None,
    ) -> BlobInfo:
        """Store a stream: hashed into a scratch file, checked, then put whole at its key."""
        if expected_sha256 is not None:
            check_sha256(expected_sha256)
        await aiofiles.os.makedirs(self._tmp, exist_ok=True)
        temp = self._tmp / f"{secrets.token_hex(16)}.part"
        try:
            # Not fsynced: the scratch file is read back at once, and the put is what lasts.
            sha256, _ = await spool(chunks, temp, expected_sha256, max_bytes, durable=False)
            return await self.adopt(temp, sha256)
        finally:
            if await aiofiles.os.path.exists(temp):
                await aiofiles.os.remove(temp)

    async def adopt(self, path: Path, sha256: str) -> BlobInfo:
        """Put a local file whose hash the caller computed at its key, then remove it."""
        check_sha256(sha256)
        try:
            size = (await aiofiles.os.stat(path)).st_size
            if await self.exists(sha256):
                return BlobInfo(sha256=sha256, size=size, created=False)
            await self._put_file(path, sha256, size)
            return BlobInfo(sha256=sha256, size=size, created=True)
        finally:
            if await aiofiles.os.path.exists(path):
                await aiofiles.os.remove(path)

    async def _put_file(self, path: Path, sha256: str, size: int) -> None:
        failpoint("store.before_rename")
        await obstore.put_async(
            self._store,
            self.key_of(sha256),
            path,
            use_multipart=size >= MULTIPART_FROM,
            chunk_size=MULTIPART_FROM,
            max_concurrency=2,
        )
        failpoint("store.after_rename")

    async def open(self, sha256: str) -> AsyncIterator[bytes]:
        """The blob's bytes as the store sends them."""
        try:
            result = await obstore.get_async(self._store, self.key_of(sha256))
        except (NotFoundError, FileNotFoundError):
            raise BlobNotFoundError(f"no blob {sha256}") from None
        async for chunk in result.stream(min_chunk_size=CHUNK):
            yield bytes(chunk)

    async def read(self, sha256: str) -> bytes:
        """The whole blob."""
        try:
            result = await obstore.get_async(self._store, self.key_of(sha256))
        except (NotFoundError, FileNotFoundError):
            raise BlobNotFoundError(f"no blob {sha256}") from None
        return bytes(await result.bytes_async())

    async def exists(self, sha256: str) -> bool:
        """Whether the blob is stored."""
        try:
            await obstore.head_async(self._store, self.key_of(sha256))
        except (NotFoundError, FileNotFoundError):
            return False
        return True

    async def size(self, sha256: str) -> int:
        """The blob's size in bytes."""
        try:
            meta = await obstore.head_async(self._store, self.key_of(sha256))
        except (NotFoundError, FileNotFoundError):
            raise BlobNotFoundError(f"no blob {sha256}") from None
        return int(meta["size"])

    async def delete(self, sha256: str) -> bool:
        """Remove the blob; False if there was none."""
        if not await self.exists(sha256):
            return False
        await obstore.delete_async(self._store, self.key_of(sha256))
        return True

    async def check_writable(self) -> None:
        """Raise unless the bucket takes, returns and drops an object (for ``/ready``)."""
        probe = f"{self.prefix}ready/{os.getpid()}-{secrets.token_hex(4)}"
        await obstore.put_async(self._store, probe, b"ok")
        await obstore.delete_async(self._store, probe)
