"""Whether a stored blob is an acceptable image (checked once, when its upload completes),
and what the QR codes on it say (read once, when first asked).

The commit of a batch needs the answer for every blob. Checking at upload completion takes that
work off the end of a push (the device is busy sending its next scan meanwhile), and the answer
is remembered under the blob's hash and the limits it was checked against, so a commit, a
retry or another batch naming the same scan never decodes it again.
"""

from __future__ import annotations

import asyncio
import json

from backend.clock import local_date
from backend.context import Context
from media.cccd import parse_cccd
from media.derive import DerivedCache
from media.errors import CccdError, MediaError
from media.images import validate_image
from media.qr import decode_qr
from schemas.cccd import CccdRecord

__all__ = ["BlobChecks"]


class BlobChecks:
    """``validate_image`` and ``decode_qr`` of stored blobs, remembered by hash."""

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

    async def qr_texts(self, sha256: str) -> list[str]:
        """The texts of the QR codes on a stored scan."""
        data = await self.ctx.blobs.read(sha256)

        def decode() -> bytes:
            return json.dumps([c.text for c in decode_qr(data)], ensure_ascii=False).encode()

        texts: list[str] = json.loads(await self.cache.get_or_make("qr", sha256, decode))
        return texts

    async def id_card(self, sha256: str) -> CccdRecord | None:
        """The citizen ID card record in a scan's QR codes, or ``None`` if none reads as one."""
        for text in await self.qr_texts(sha256):
            try:
                return parse_cccd(text, today=local_date(self.ctx.clock.now()))
            except CccdError:
                continue
        return None
