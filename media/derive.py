"""Derived artifacts: inbox thumbnails and the per-dossier PDF, deterministic and cached.

Same inputs give the same bytes (fixed PDF dates, no metadata), so a cached artifact is keyed by
the hash of its inputs and parameters and never goes stale.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image, ImageOps

from media.errors import UnsupportedMediaTypeError
from media.images import open_checked, sniff_media_type
from media.store import write_atomically

__all__ = ["DerivedCache", "dossier_pdf", "thumbnail", "viewable"]

_PDF_DATE = time.gmtime(datetime(2000, 1, 1, tzinfo=UTC).timestamp())
"""Written as the PDF's creation and modification date: a real clock would break determinism."""

_PAGE_DPI = 200.0


def _open(data: bytes) -> Image.Image:
    media_type = sniff_media_type(data)
    if media_type is None:
        raise UnsupportedMediaTypeError("not a JPEG, PNG, WebP or TIFF image")
    image = open_checked(data, media_type)
    return ImageOps.exif_transpose(image)


def thumbnail(data: bytes, max_side: int = 320) -> bytes:
    """A small grayscale JPEG for the clerk's inbox, without any metadata."""
    with _open(data) as image:
        small = image.convert("L")
        small.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, "JPEG", quality=75, optimize=True)
    return out.getvalue()


def viewable(data: bytes) -> bytes:
    """A scan as the clerk's browser gets it: upright, full size, without any metadata.

    A bilevel (1-bit) scan stays a PNG; anything else becomes a grayscale JPEG at high quality.
    Whatever EXIF or GPS data a device left in the blob never leaves the server.
    """
    with _open(data) as image:
        clean = image.convert("1" if image.mode == "1" else "L")
    out = io.BytesIO()
    if clean.mode == "1":
        clean.save(out, "PNG", optimize=True)
    else:
        clean.save(out, "JPEG", quality=90, optimize=True, progressive=True)
    return out.getvalue()


def dossier_pdf(pages: Sequence[bytes], title: str = "") -> bytes:
    """One PDF page per scan, in the order given, at document resolution."""
    if not pages:
        raise ValueError("a PDF needs at least one page")
    images = []
    for data in pages:
        with _open(data) as image:
            images.append(image.convert("1" if image.mode == "1" else "L"))
    out = io.BytesIO()
    images[0].save(
        out,
        "PDF",
        save_all=True,
        append_images=images[1:],
        resolution=_PAGE_DPI,
        title=title,
        producer="Lưu Động",
        creator="Lưu Động",
        creationDate=_PDF_DATE,
        modDate=_PDF_DATE,
    )
    return out.getvalue()


class DerivedCache:
    """Artifacts on disk under ``root/derived/<kind>/<key>``, keyed by their inputs' hash."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root) / "derived"

    @staticmethod
    def key(*parts: str) -> str:
        """The cache key of an artifact made from ``parts`` (input hashes and parameters)."""
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()

    def _path(self, kind: str, key: str) -> Path:
        if not kind.isidentifier() or len(key) != 64 or not key.isalnum():
            raise ValueError("kind must be an identifier and key a sha256")
        return self.root / kind / key

    async def get(self, kind: str, key: str) -> bytes | None:
        """The cached artifact, or ``None``."""
        try:
            return await asyncio.to_thread(self._path(kind, key).read_bytes)
        except FileNotFoundError:
            return None

    async def put(self, kind: str, key: str, data: bytes) -> None:
        """Cache an artifact (atomically: a reader sees all of it or nothing)."""
        await asyncio.to_thread(write_atomically, self._path(kind, key), data)

    async def get_or_make(self, kind: str, key: str, make: Callable[[], bytes]) -> bytes:
        """The cached artifact, or ``make()`` run in a worker thread and cached atomically."""
        cached = await self.get(kind, key)
        if cached is not None:
            return cached
        data = await asyncio.to_thread(make)
        await self.put(kind, key, data)
        return data
