"""How a scan is made document-grade before it travels: one set of figures for every client.

``media.normalise`` (the server and ``field-sync``) and the field app (which gets these in the
bootstrap and encodes with the browser's canvas) use the same long sides, formats and qualities.
The figures are chosen by OCR: ``bench/legibility.py`` reads generated Vietnamese forms before and
after normalisation (``docs/performance.md``).
"""

from __future__ import annotations

import msgspec

__all__ = ["NORMALISE", "NormaliseRules"]


class NormaliseRules(msgspec.Struct, frozen=True, kw_only=True):
    """Target resolution and encoding of each capture mode."""

    long_side: dict[str, int]
    """Long side in pixels per mode: about 200 dpi for an A4 page; an ID card is kept sharper."""
    jpeg_quality: dict[str, int]
    """Grayscale JPEG quality (0-100) per mode sent as JPEG: ``id_card``, and ``document`` from a
    browser that cannot encode WebP (stamps and signatures stay legible)."""
    webp_quality: dict[str, int] = msgspec.field(default_factory=dict)
    """WebP quality (0-100) per mode sent as WebP (``document``): the same legibility as JPEG
    in about half the bytes. A mode in neither table (``text``) is a 1-bit PNG."""


NORMALISE = NormaliseRules(
    long_side={"document": 2600, "text": 2200, "id_card": 2400},
    jpeg_quality={"document": 45, "id_card": 80},
    webp_quality={"document": 40},
)
"""The figures in force."""
