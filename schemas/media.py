"""How a scan is made document-grade before it travels: one set of figures for every client.

``media.normalise`` (the server and ``field-sync``) and the field app (which gets these in the
bootstrap and encodes with the browser's canvas) use the same long sides and qualities.
"""

from __future__ import annotations

import msgspec

__all__ = ["NORMALISE", "NormaliseRules"]


class NormaliseRules(msgspec.Struct, frozen=True, kw_only=True):
    """Target resolution and encoding of each capture mode."""

    long_side: dict[str, int]
    """Long side in pixels per mode: about 200 dpi for an A4 page; an ID card is kept sharper."""
    jpeg_quality: dict[str, int]
    """Grayscale JPEG quality (0-100) per JPEG mode: stamps and signatures stay legible
    (``docs/performance.md``)."""


NORMALISE = NormaliseRules(
    long_side={"document": 2200, "text": 2200, "id_card": 2400},
    jpeg_quality={"document": 60, "id_card": 80},
)
"""The figures in force."""
