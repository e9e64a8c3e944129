"""Dossier codes and search folding. Pure: no I/O. (Deadlines: ``deadlines.py``.)"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

__all__ = ["CODE_PATTERN", "dossier_code", "fold"]

CODE_PATTERN = re.compile(r"^(?P<agency>[A-Za-z0-9.]+)-(?P<day>\d{6})-(?P<seq>\d{4,})$")
"""``{agency code}-{YYMMDD}-{NNNN}`` (Circular 01/2018/TT-VPCP Art. 19 structure)."""


def dossier_code(agency_code: str, received_on: date, sequence: int) -> str:
    """The dossier code for the ``sequence``-th receipt of ``agency_code`` on ``received_on``."""
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    return f"{agency_code}-{received_on:%y%m%d}-{sequence:04d}"


def fold(text: str) -> str:
    """Lower case without diacritics ("Trần Hữu Đạt" -> "tran huu dat"), for search."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
