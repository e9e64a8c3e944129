"""Whether a received file is an acceptable image (checked once, when its upload completes),
and what the QR codes on a stored scan say (read once, when first asked).

The commit of a batch needs the answer for every blob. Checking at upload completion takes that
work off the end of a push (the device is busy sending its next scan meanwhile), and the answer
is the commune's custody record of the blob (``BlobCustody.refused``), so a commit, a retry or
another batch naming the same scan never decodes it again.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

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
    """``validate_image`` of received files, ``decode_qr`` of stored blobs (remembered)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.cache = DerivedCache(ctx.settings.media_root)

    async def problem(self, path: Path, media_type: str) -> str | None:
        """Why the file is refused (``"code: detail"``), or ``None`` if it is a good image; read
        from disk in a worker thread, never whole in memory."""
        limit = self.ctx.settings.max_blob_bytes

        def check() -> str | None:
            try:
                validate_image(path, media_type, max_bytes=limit)
            except MediaError as exc:
                return f"{exc.code}: {exc.detail}"
            return None

        return await asyncio.to_thread(check)

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
