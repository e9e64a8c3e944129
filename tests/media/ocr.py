"""How legible a page is: Tesseract's reading of its Vietnamese text against the text drawn.

Tesseract is Debian's ``tesseract-ocr`` with ``tesseract-ocr-vie`` (``make test-deps``), driven
through pytesseract; the distance is rapidfuzz's Levenshtein. Used by the media tests and by
``bench/legibility.py``.
"""

from __future__ import annotations

import re
import unicodedata

import pytesseract
from PIL import Image
from rapidfuzz.distance import Levenshtein

__all__ = ["character_accuracy", "clean_text"]


def clean_text(text: str) -> str:
    """``text`` composed (NFC) with its whitespace collapsed, as both sides are compared."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def character_accuracy(image: Image.Image, truth: str) -> float:
    """One minus the edit distance between Tesseract's reading of ``image`` and ``truth``
    (already cleaned), over the length of ``truth``."""
    read = pytesseract.image_to_string(image.convert("L"), lang="vie", config="--psm 4")
    return 1 - Levenshtein.distance(clean_text(read), truth) / len(truth)
