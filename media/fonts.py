"""The font the project draws Vietnamese text with (cover sheets, demo pages)."""

from __future__ import annotations

from PIL import ImageFont

__all__ = ["font"]

_DEJAVU = "/usr/share/fonts/truetype/dejavu"


def font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans (it has every Vietnamese glyph); Pillow's own font if DejaVu is missing."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for candidate in (name, f"{_DEJAVU}/{name}"):
        try:
            return ImageFont.truetype(candidate, size)
        except OSError:
            continue
    return ImageFont.load_default(size)
