"""Whether a stored blob is an acceptable image: checked once, when its upload completes.

The commit of a batch needs the answer for every blob. Checking at upload completion takes that
work off the end of a push (the device is busy sending its next scan meanwhile), and the answer
is remembered under the blob's hash and the limits it was checked against, so a commit, a
retry or another batch naming the same scan never decodes it again.
"""

from __future__ import annotations

import asyncio

from backend.context import Context
from media.derive import DerivedCache
from media.errors import MediaError
from media.images import validate_image

__all__ = ["BlobChecks"]


class BlobChecks:
    """``validate_image`` of stored blobs, remembered."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.cache = DerivedCache(ctx.settings.media_root)

    async def problem(self, sha256: str, media_type: str) -> str | None:
        """Why the blob is refused (``"code: detail"``), or ``None`` if it is a good image."""
        limit = self.ctx.settings.max_blob_bytes
        key = DerivedCache.key("checked/1", sha256, media_type, str(limit))
        cached = await self.cache.get("checked", key)
        if cached is None:
            data = await self.ctx.blobs.read(sha256)

            def check() -> bytes:
                try:
                    validate_image(data, media_type, max_bytes=limit)
                except MediaError as exc:
                    return f"{exc.code}: {exc.detail}".encode()
                return b""

            cached = await asyncio.to_thread(check)
            await self.cache.put("checked", key, cached)
        return cached.decode() or None
