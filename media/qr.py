"""QR and barcode decoding with zxing-cpp and zbar (through pyzbar's ctypes bindings), correct
and robust.

Correct: zbar guesses the text encoding of QR byte segments and turns short Vietnamese UTF-8
into Shift-JIS or Latin-1 mojibake. Its binary mode (``ZBAR_CFG_BINARY``, value 4, which
pyzbar's enum calls ``CFG_NUM``) hands back the raw bytes, decoded here as UTF-8; bytes that are
not UTF-8 fall back to Windows-1258 (the legacy Vietnamese code page), then Latin-1, and the
result says which encoding was used.

Robust: two engines in a cascade that stops at the first step that decodes. zxing-cpp reads
the full-resolution grayscale image first: its detector follows a code through perspective, a
curl, glare and two-pixel modules, and it finds every code on a page. zbar then reads what
zxing-cpp could not - at full resolution, enlarged (small modules), sharpened and binarised.
Everything zxing-cpp reads is therefore read, and the zbar steps add what only they read
(``bench/qr_decoders.py``). Both engines are handed raw bytes and the text is made here, so
the Vietnamese comes out right whichever engine found the code.

Deterministic: the cascade is bounded by a fixed amount of work per image (:data:`WORK_PIXELS`,
pixels handed to the engines), never by a time: the same image gives the same answer on any
machine under any load.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from ctypes import c_void_p, cast, string_at
from dataclasses import dataclass

import zxingcpp
from PIL import Image, ImageFilter, ImageOps
from pyzbar import wrapper as zbar

from media.errors import CorruptImageError, MediaError
from media.images import DEFAULT_MAX_PIXELS, open_checked, sniff_media_type

__all__ = ["QrResult", "decode_qr", "decode_qr_image", "decode_text"]

_CFG_BINARY = 4
"""``ZBAR_CFG_BINARY`` in zbar.h (pyzbar's ``ZBarConfig`` names this value ``CFG_NUM``)."""

_Y800 = 0x30303859  # fourcc "Y800": 8-bit grayscale
_SYMBOLS = (zbar.ZBarSymbol.QRCODE, zbar.ZBarSymbol.CODE128, zbar.ZBarSymbol.EAN13)
_FALLBACKS = ("cp1258", "latin-1")
_ZXING_FORMATS = zxingcpp.barcode_formats_from_str("QRCode,Code128,EAN13")
_ZXING_NAMES = {"QR Code": "QRCODE", "Code 128": "CODE128", "EAN-13": "EAN13"}
"""zxing-cpp's names of the symbologies read, as zbar (and :class:`QrResult`) names them."""

Found = list[tuple[bytes, str, tuple[int, int, int, int]]]
"""What one engine pass found: raw bytes, symbology, and rectangle in the pass's pixels."""


@dataclass(frozen=True)
class QrResult:
    """One decoded symbol."""

    text: str
    """The payload as text."""
    raw: bytes
    """The payload's bytes as read."""
    encoding: str
    """How ``raw`` became ``text``: ``utf-8``, or a fallback."""
    symbology: str
    """``QRCODE``, ``CODE128``, ``EAN13``."""
    rect: tuple[int, int, int, int]
    """Left, top, width, height in the original image's pixels."""
    variant: str
    """Which step of the cascade found it (for diagnostics and benchmarks)."""


def decode_text(raw: bytes) -> tuple[str, str]:
    """``raw`` as text and the encoding used: UTF-8 first, then the fallbacks."""
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for encoding in _FALLBACKS:
        try:
            # Windows-1258 writes tones as combining marks: compose them as UTF-8 text does.
            return unicodedata.normalize("NFC", raw.decode(encoding)), encoding
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"  # pragma: no cover - latin-1 never fails


def _zxing(gray: Image.Image) -> Found:
    """One zxing-cpp pass over an 8-bit grayscale image (it tries rotations, inversion and
    reduced scales itself), with the payloads' raw bytes."""
    found: Found = []
    for code in zxingcpp.read_barcodes(gray, formats=_ZXING_FORMATS):
        at = code.position
        corners = (at.top_left, at.top_right, at.bottom_left, at.bottom_right)
        xs, ys = [c.x for c in corners], [c.y for c in corners]
        name = _ZXING_NAMES.get(str(code.format), str(code.format))
        found.append((code.bytes, name, (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))))
    return found


def _scan(gray: Image.Image) -> Found:
    """One zbar pass over an 8-bit grayscale image, QR payloads read in binary mode."""
    if gray.mode != "L":
        gray = gray.convert("L")
    pixels = gray.tobytes()
    found: Found = []
    scanner = zbar.zbar_image_scanner_create()
    if not scanner:
        raise MediaError("zbar could not create a scanner")
    try:
        zbar.zbar_image_scanner_set_config(scanner, 0, zbar.ZBarConfig.CFG_ENABLE, 0)
        for symbol in _SYMBOLS:
            zbar.zbar_image_scanner_set_config(scanner, symbol, zbar.ZBarConfig.CFG_ENABLE, 1)
        zbar.zbar_image_scanner_set_config(scanner, zbar.ZBarSymbol.QRCODE, _CFG_BINARY, 1)
        image = zbar.zbar_image_create()
        try:
            zbar.zbar_image_set_format(image, _Y800)
            zbar.zbar_image_set_size(image, gray.width, gray.height)
            zbar.zbar_image_set_data(image, cast(pixels, c_void_p), len(pixels), None)  # type: ignore[arg-type]
            if zbar.zbar_scan_image(scanner, image) < 0:
                raise MediaError("zbar refused the image format")
            symbol = zbar.zbar_image_first_symbol(image)
            while symbol:
                raw = string_at(
                    zbar.zbar_symbol_get_data(symbol), zbar.zbar_symbol_get_data_length(symbol)
                )
                points = [
                    (zbar.zbar_symbol_get_loc_x(symbol, i), zbar.zbar_symbol_get_loc_y(symbol, i))
                    for i in range(zbar.zbar_symbol_get_loc_size(symbol))
                ]
                xs = [p[0] for p in points] or [0]
                ys = [p[1] for p in points] or [0]
                name = zbar.ZBarSymbol(symbol.contents.type).name
                found.append((raw, name, (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))))
                symbol = zbar.zbar_symbol_next(symbol)
        finally:
            zbar.zbar_image_destroy(image)
    finally:
        zbar.zbar_image_scanner_destroy(scanner)
    return found


WORK_PIXELS = 64_000_000
"""Pixels the cascade may hand to the engines for one image: every step for a 12-megapixel photo
(about 60 million), fewer for a larger one. The first step always runs."""

Step = tuple[str, float, int, Callable[[], Image.Image], Callable[[Image.Image], Found]]
"""A cascade step: name, scale back to the original's pixels, pixels scanned, how to build the
image, and the engine that reads it."""


def _steps(image: Image.Image) -> Iterator[Step]:
    """The cascade, cheapest and strongest first."""
    gray = image.convert("L")
    pixels = gray.width * gray.height
    yield "zxing", 1.0, pixels, lambda: gray, _zxing
    yield "full", 1.0, pixels, lambda: gray, _scan
    if max(gray.size) <= 3000:
        yield (
            "enlarged",
            0.5,
            4 * pixels,
            lambda: gray.resize((gray.width * 2, gray.height * 2), Image.Resampling.BICUBIC),
            _scan,
        )
    yield (
        "sharpened",
        1.0,
        pixels,
        lambda: ImageOps.autocontrast(gray, cutoff=1).filter(
            ImageFilter.UnsharpMask(radius=2, percent=200, threshold=2)
        ),
        _scan,
    )
    yield (
        "binarised",
        1.0,
        pixels,
        lambda: ImageOps.autocontrast(gray, cutoff=2).point(lambda v: 255 if v > 128 else 0),
        _scan,
    )


def decode_qr_image(image: Image.Image, *, work_pixels: int = WORK_PIXELS) -> list[QrResult]:
    """Run the cascade on an opened image; stop at the first step that finds a symbol, or
    before a step that would take the work past ``work_pixels``."""
    spent = 0
    for name, scale, cost, build, read in _steps(image):
        if spent and spent + cost > work_pixels:
            continue  # a later, cheaper step may still fit
        spent += cost
        found = read(build())
        if found:
            results = []
            for raw, symbology, (x, y, w, h) in found:
                text, encoding = decode_text(raw)
                rect = (round(x * scale), round(y * scale), round(w * scale), round(h * scale))
                results.append(QrResult(text, raw, encoding, symbology, rect, name))
            return results
    return []


def decode_qr(data: bytes, *, work_pixels: int = WORK_PIXELS) -> list[QrResult]:
    """Every QR code (and CODE128 / EAN-13 barcode) found in an encoded image."""
    media_type = sniff_media_type(data)
    if media_type is None:
        raise CorruptImageError("not a JPEG, PNG, WebP or TIFF image")
    image = open_checked(data, media_type, max_pixels=DEFAULT_MAX_PIXELS)
    with image:
        try:
            if image.format == "JPEG":
                image.draft("L", image.size)  # libjpeg hands back the luminance alone
            oriented = ImageOps.exif_transpose(image)
            oriented.load()
        except (OSError, SyntaxError, ValueError) as exc:
            raise CorruptImageError(f"the image does not decode completely: {exc}") from None
        return decode_qr_image(oriented, work_pixels=work_pixels)
