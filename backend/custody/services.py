"""Blob custody: a blob is a commune's only once that commune proved it had the bytes.

Storage stays deduplicated by hash, but a hash alone opens nothing. A commune holds a blob when
one of its devices uploaded the bytes (the store verified them against the hash) or, for data
from before custody was recorded, when one of its dossiers already listed it. Every dossier
document is checked against custody when it is added (``DossierLifecycle``), a batch manifest's
``missing_blobs`` is answered from the device's commune's custody alone, and scans are served
only through a dossier of the caller's commune that lists them (``ScanService``). So commune B
learns nothing of commune A's scans from a hash, and cannot attach them to a dossier of its own.
"""

from __future__ import annotations

from collections.abc import Collection

from backend.context import Context
from backend.custody.tables import BlobCustody
from backend.errors import AppError
from schemas.errors import ErrorCode

__all__ = ["CustodyService"]


class CustodyService:
    """Which blobs each commune holds."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def grant(
        self, commune_code: str, sha256: str, source: str, refused: str | None = None
    ) -> None:
        """Record that ``commune_code`` holds ``sha256`` (and the image check's verdict)."""
        await BlobCustody.insert(
            BlobCustody(
                commune=commune_code,
                sha256=sha256,
                source=source,
                refused=refused,
                at=self.ctx.clock.now(),
            )
        ).on_conflict(
            target=(BlobCustody.commune, BlobCustody.sha256),
            action="DO UPDATE",
            values=[BlobCustody.refused],
        )
        if refused is not None:
            await self._drop_refused(sha256)

    async def held(self, commune_code: str, hashes: Collection[str]) -> dict[str, str | None]:
        """Of ``hashes``, the ones the commune holds, each with why it was refused (or None)."""
        if not hashes:
            return {}
        rows = await BlobCustody.select(BlobCustody.sha256, BlobCustody.refused).where(
            (BlobCustody.commune == commune_code) & BlobCustody.sha256.is_in(list(set(hashes)))
        )
        return {r["sha256"]: r["refused"] for r in rows}

    async def require(self, commune_code: str, hashes: Collection[str]) -> None:
        """Refuse a dossier document whose blob the commune does not hold, or holds refused."""
        held = await self.held(commune_code, hashes)
        missing = sorted({h for h in hashes if h not in held})
        if missing:
            raise AppError(
                ErrorCode.blob_missing,
                f"Chưa tải lên {len(missing)} ảnh: {', '.join(missing)}.",
            )
        refused = [reason for reason in held.values() if reason is not None]
        if refused:
            raise AppError(ErrorCode.invalid_image, "; ".join(refused))

    async def _drop_refused(self, sha256: str) -> None:
        """Remove a refused image's bytes unless a commune holds them as acceptable (the same
        bytes announced as another media type, or checked under an earlier limit). Every
        dossier document is held as acceptable, so no dossier loses a page."""
        accepted = await BlobCustody.exists().where(
            (BlobCustody.sha256 == sha256) & BlobCustody.refused.is_null()
        )
        if not accepted:
            await self.ctx.blobs.delete(sha256)
