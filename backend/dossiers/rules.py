"""Dossier codes and timeliness. Pure: no I/O."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from enum import StrEnum

__all__ = [
    "CODE_PATTERN",
    "Timeliness",
    "classify_finished",
    "classify_open",
    "dossier_code",
    "fold",
]

CODE_PATTERN = re.compile(r"^(?P<agency>[A-Za-z0-9.]+)-(?P<day>\d{6})-(?P<seq>\d{4,})$")
"""``{agency code}-{YYMMDD}-{NNNN}`` (Circular 01/2018/TT-VPCP Art. 19 structure)."""


def dossier_code(agency_code: str, received_on: date, sequence: int) -> str:
    """The dossier code for the ``sequence``-th receipt of ``agency_code`` on ``received_on``."""
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    return f"{agency_code}-{received_on:%y%m%d}-{sequence:04d}"


class Timeliness(StrEnum):
    """How a dossier stands against its due date."""

    early = "early"
    """Trước hạn: finished before the due date."""
    on_time = "on_time"
    """Đúng hạn: finished on the due date."""
    late = "late"
    """Quá hạn: finished after the due date."""
    within = "within"
    """Trong hạn: still open, due date not passed."""
    overdue = "overdue"
    """Quá hạn: still open after its due date."""

    @property
    def label(self) -> str:
        """Vietnamese label as reports print it."""
        return {
            "early": "Trước hạn",
            "on_time": "Đúng hạn",
            "late": "Quá hạn",
            "within": "Trong hạn",
            "overdue": "Quá hạn",
        }[self.value]


def classify_finished(due: date, finished: date) -> Timeliness:
    """Early, on time or late, by calendar date (DOMAIN.md, "Timeliness and reports")."""
    if finished < due:
        return Timeliness.early
    if finished == due:
        return Timeliness.on_time
    return Timeliness.late


def classify_open(due: date, at: date) -> Timeliness:
    """Within deadline or overdue at ``at`` for a dossier not yet finished."""
    return Timeliness.within if at <= due else Timeliness.overdue


def fold(text: str) -> str:
    """Lower case without diacritics ("Trần Hữu Đạt" -> "tran huu dat"), for search."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
