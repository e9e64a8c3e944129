"""Image validation (every blob the server accepts) and normalisation for the uplink.

Pure functions over bytes. Pillow reads the header lazily, so the pixel limit is checked before
any pixel is decoded; ``DecompressionBombWarning`` is turned into an error; a decode of every
byte then proves the image is not truncated. A WebP is checked by libvips (pyvips) at an eighth of
its size: Pillow reads WebP only through libwebp's animation decoder, whose full-size canvases
took 80 MB and 50 ms for one 2600-pixel page, against 5 MB and 20 ms (``docs/performance.md``).
"""

from __future__ import annotations

import functools
import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyvips
from PIL import Image, ImageChops, ImageFilter, ImageOps, UnidentifiedImageError

from media.errors import (
    CorruptImageError,
    MediaTypeMismatchError,
    TooLargeError,
    TooManyPixelsError,
    UnsupportedMediaTypeError,
)
from schemas.media import NORMALISE

__all__ = [
    "ACCEPTED_TYPES",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "ImageFacts",
    "Mode",
    "Normalised",
    "normalise",
    "open_checked",
    "sniff_media_type",
    "validate_image",
]

Mode = Literal["document", "text", "id_card"]

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
"""Largest blob accepted: a 12-megapixel phone photo is 3-6 MB."""

DEFAULT_MAX_PIXELS = 50_000_000
"""Largest image accepted: 50 megapixels (an A4 page at 600 dpi is 35)."""

ACCEPTED_TYPES = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WEBP",
    "image/tiff": "TIFF",
}
"""Media types accepted for scans, with Pillow's format name."""

_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"WEBP", 8, "image/webp"),
    (b"II*\x00", 0, "image/tiff"),
    (b"MM\x00*", 0, "image/tiff"),
)


@dataclass(frozen=True)
class ImageFacts:
    """What validation learned about an image."""

    media_type: str
    format: str
    width: int
    height: int
    mode: str
    size: int
    """Bytes."""


@dataclass(frozen=True)
class Normalised:
    """A scan ready for the uplink."""

    data: bytes
    facts: ImageFacts


def sniff_media_type(data: bytes) -> str | None:
    """The accepted media type the magic bytes announce, or ``None``."""
    for magic, offset, media_type in _MAGIC:
        if data[offset : offset + len(magic)] == magic:
            if media_type == "image/webp" and data[:4] != b"RIFF":
                continue
            return media_type
    return None


def open_checked(
    data: bytes | Path,
    declared_type: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Image.Image:
    """Open ``data`` (bytes, or a file read lazily from disk) after every check that needs no
    pixel decode; the image is not loaded."""
    declared, _ = _envelope(data, declared_type, max_bytes)
    source = data if isinstance(data, Path) else io.BytesIO(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(source, formats=[ACCEPTED_TYPES[declared]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise TooManyPixelsError(str(exc)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise CorruptImageError(f"not a readable {declared} image: {exc}") from None
    try:
        _check_pixels(image.width, image.height, max_pixels)
    except TooManyPixelsError:
        image.close()
        raise
    return image


def _envelope(data: bytes | Path, declared_type: str, max_bytes: int) -> tuple[str, int]:
    """The declared type (accepted, and what the magic bytes say) and the size (within
    ``max_bytes``), read without opening the image."""
    declared = declared_type.split(";")[0].strip().lower()
    if declared not in ACCEPTED_TYPES:
        raise UnsupportedMediaTypeError(f"media type {declared_type!r} is not accepted")
    if isinstance(data, Path):
        size = data.stat().st_size
        with data.open("rb") as handle:
            head = handle.read(16)
    else:
        size, head = len(data), data[:16]
    if size > max_bytes:
        raise TooLargeError(f"{size} bytes is over the limit of {max_bytes}")
    sniffed = sniff_media_type(head)
    if sniffed != declared:
        raise MediaTypeMismatchError(
            f"declared {declared}, but the bytes are {sniffed or 'unknown'}"
        )
    return declared, size


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0 or width * height > max_pixels:
        raise TooManyPixelsError(
            f"{width}x{height} pixels is over the limit of {max_pixels} pixels"
        )


def validate_image(
    data: bytes | Path,
    declared_type: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> ImageFacts:
    """Check a blob completely: type, size, header pixel count, then a decode of every byte.

    A JPEG is decoded at an eighth of its size (libjpeg's DCT scaling) and a WebP likewise
    (by libvips: libwebp decodes every macroblock, an eighth of the rows is kept): every
    entropy-coded byte is still read and checked, but far fewer pixels are made and held.
    Other formats are decoded whole. ``data`` may be a file, read from disk as the decoder goes.
    """
    if _envelope(data, declared_type, max_bytes)[0] == "image/webp":
        return _validate_webp(data, max_pixels)
    image = open_checked(data, declared_type, max_bytes=max_bytes, max_pixels=max_pixels)
    with image:
        width, height, mode = image.width, image.height, image.mode
        if image.format == "JPEG":
            image.draft(None, (max(1, width // 8), max(1, height // 8)))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image.load()
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning) as exc:
            raise CorruptImageError(f"the image does not decode completely: {exc}") from None
        return ImageFacts(
            media_type=declared_type.split(";")[0].strip().lower(),
            format=image.format or "",
            width=width,
            height=height,
            mode=mode,
            size=data.stat().st_size if isinstance(data, Path) else len(data),
        )


@functools.cache
def _set_up_vips() -> None:
    """On first use: no operation cache (every check decodes, and nothing decoded is kept), one
    thread per operation (callers run checks in their own worker threads)."""
    pyvips.cache_set_max(0)
    pyvips.concurrency_set(1)


def _validate_webp(data: bytes | Path, max_pixels: int) -> ImageFacts:
    """A WebP checked by libvips alone: its header's pixel count, then a decode of every
    macroblock at an eighth of the size, streaming. (Pillow would open it through libwebp's
    animation decoder, which sets up two full-size canvases before anything is asked.)"""
    _set_up_vips()

    def opened(**options: object) -> Any:
        if isinstance(data, Path):
            return pyvips.Image.new_from_file(str(data), **options)
        return pyvips.Image.new_from_buffer(data, "", **options)

    try:
        header = opened()  # reads the header only
        width, height, bands = header.width, header.height, header.bands
        _check_pixels(width, height, max_pixels)
        if "n-pages" in header.get_fields() and header.get("n-pages") > 1:
            # Only the first frame would be checked and shown: an animation is not a scan.
            raise UnsupportedMediaTypeError("an animated WebP is not accepted as a scan")
        opened(scale=0.125, fail=True, access="sequential").avg()  # pulls every row through
    except pyvips.Error as exc:
        raise CorruptImageError(f"the image does not decode completely: {exc}") from None
    return ImageFacts(
        media_type="image/webp",
        format="WEBP",
        width=width,
        height=height,
        mode="RGBA" if bands == 4 else "RGB",
        size=data.stat().st_size if isinstance(data, Path) else len(data),
    )


# --- normalisation ---------------------------------------------------------------------------

_LONG_SIDE = NORMALISE.long_side
"""Long side in pixels per mode (``schemas.media.NORMALISE``, shared with the field app)."""

_JPEG_QUALITY = NORMALISE.jpeg_quality
"""Grayscale JPEG quality per mode (``schemas.media.NORMALISE``)."""

_WEBP_QUALITY = NORMALISE.webp_quality
"""WebP quality per mode sent as WebP (``schemas.media.NORMALISE``)."""

_THRESHOLD_RADIUS = 15
"""Neighbourhood of the adaptive threshold, in pixels at document resolution."""

_THRESHOLD_OFFSET = 12
"""How much darker than its neighbourhood a pixel must be to count as ink."""


def normalise(
    data: bytes, mode: Mode = "document", *, declared_type: str | None = None
) -> Normalised:
    """Make a scan document-grade and compact, deterministically (same input, same bytes).

    EXIF orientation is applied, the image turned grayscale and resized to a document
    resolution, and every metadata field dropped. ``document`` gives lossy WebP, ``id_card``
    progressive JPEG (``schemas.media.NORMALISE``); ``text`` binarises with a local (adaptive)
    threshold and gives a 1-bit PNG, never dithered. The type is sniffed from the bytes unless
    ``declared_type`` is given.
    """
    if mode not in _LONG_SIDE:
        raise ValueError(f"unknown mode {mode!r}")
    media_type = declared_type or sniff_media_type(data)
    if media_type is None:
        raise UnsupportedMediaTypeError("not a JPEG, PNG, WebP or TIFF image")
    image = open_checked(data, media_type)
    with image:
        try:
            oriented = ImageOps.exif_transpose(image)
            gray = oriented.convert("L")
        except (OSError, SyntaxError, ValueError) as exc:
            raise CorruptImageError(f"the image does not decode completely: {exc}") from None
    gray = _fit(gray, _LONG_SIDE[mode])
    out = io.BytesIO()
    if mode == "text":
        ink = _binarise(gray)
        ink.save(out, "PNG", optimize=True)
        media_type, fmt = "image/png", "PNG"
    elif mode in _WEBP_QUALITY:
        # WebP has no grey mode: the chroma planes of a grey image are flat and cost almost
        # nothing. method=4 is libwebp's default, as the browsers' canvas encodes.
        gray.save(out, "WEBP", quality=_WEBP_QUALITY[mode], method=4)
        media_type, fmt = "image/webp", "WEBP"
        ink = gray
    else:
        gray.save(
            out, "JPEG", quality=_JPEG_QUALITY[mode], progressive=True, optimize=True, subsampling=0
        )
        media_type, fmt = "image/jpeg", "JPEG"
        ink = gray
    encoded = out.getvalue()
    return Normalised(
        data=encoded,
        facts=ImageFacts(
            media_type=media_type,
            format=fmt,
            width=ink.width,
            height=ink.height,
            mode=ink.mode,
            size=len(encoded),
        ),
    )


def _fit(image: Image.Image, long_side: int) -> Image.Image:
    """Shrink so the long side is at most ``long_side`` (never enlarge)."""
    scale = long_side / max(image.size)
    if scale >= 1:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _binarise(gray: Image.Image) -> Image.Image:
    """Ink where a pixel is clearly darker than its neighbourhood: robust to uneven light."""
    local_mean = gray.filter(ImageFilter.BoxBlur(_THRESHOLD_RADIUS))
    darker_by = ImageChops.subtract(local_mean, gray)
    return darker_by.point(lambda v: 0 if v > _THRESHOLD_OFFSET else 255, mode="1")
