"""Working days for deadlines: Vietnamese public holidays, make-up Saturdays, local overrides.

Pure: no I/O. The national calendar comes from ``holidays.VN``, which knows Tết, substitute days
off and the yearly make-up working Saturdays (``weekend_workdays``); a hand-written "skip
weekends and holidays" rule gets those Saturdays wrong. The package release is pinned (two
installs must compute the same due date), and the day swaps the government announces after a
release are reviewed data here (:data:`ANNOUNCED_SWAPS`, each with its source), applied on
top of it. Admin overrides (an extra day off, an extra working day) sit on top of both, for
local changes.

Counting follows Civil Code 2015 Art. 147-148: a period starts the day after the triggering
event, and one that would end on a non-working day ends on the next working day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

import holidays

__all__ = ["ANNOUNCED_SWAPS", "Swap", "WorkCalendar"]


@dataclass(frozen=True)
class Swap:
    """A working day moved by the government: ``day_off`` is free, ``working_day`` is worked."""

    day_off: date
    working_day: date
    source: str
    """The announcement, as the admin page shows it."""


ANNOUNCED_SWAPS: tuple[Swap, ...] = (
    Swap(
        day_off=date(2026, 1, 2),
        working_day=date(2026, 1, 10),
        source="Công văn 12729/VPCP-KGVX ngày 25/12/2025 của Văn phòng Chính phủ",
    ),
)
"""Day swaps for civil servants announced after the pinned ``holidays`` release learnt them.
Each is checked against its announcement by a test; drop one when the package has it."""

_SWAP_OFF = frozenset(s.day_off for s in ANNOUNCED_SWAPS)
_SWAP_WORK = frozenset(s.working_day for s in ANNOUNCED_SWAPS)

_MAX_SPAN_DAYS = 3660
"""No deadline arithmetic walks further than ten years (a guard against absurd input)."""


class WorkCalendar:
    """Which days are working days for a one-stop office."""

    def __init__(
        self, extra_days_off: Iterable[date] = (), extra_working_days: Iterable[date] = ()
    ):
        self._national = holidays.country_holidays("VN")
        self._off = frozenset(extra_days_off)
        self._work = frozenset(extra_working_days)

    def is_working_day(self, day: date) -> bool:
        """True when the office works on ``day``."""
        if day in self._work:
            return True
        if day in self._off:
            return False
        if day in _SWAP_WORK:
            return True
        if day in _SWAP_OFF:
            return False
        working: bool = self._national.is_working_day(day)
        return working

    def next_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, else the first working day after it."""
        for offset in range(_MAX_SPAN_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(f"no working day within ten years of {day}")

    def add_working_days(self, start: date, days: int) -> date:
        """The day on which a period of ``days`` working days starting after ``start`` ends.

        The day after ``start`` is the first day counted. ``days == 0`` (a same-day procedure)
        gives ``start`` itself when it is a working day, else the next working day.
        """
        if days < 0:
            raise ValueError("days must not be negative")
        current = start
        if days == 0:
            return self.next_working_day(current)
        counted = 0
        for _ in range(_MAX_SPAN_DAYS):
            current += timedelta(days=1)
            if self.is_working_day(current):
                counted += 1
                if counted == days:
                    return current
        raise ValueError(f"{days} working days after {start} is beyond ten years")

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in the half-open span (``start``, ``end``]: 0 when ``end <= start``."""
        if (end - start).days > _MAX_SPAN_DAYS:
            raise ValueError("span longer than ten years")
        return sum(
            1
            for offset in range(1, (end - start).days + 1)
            if self.is_working_day(start + timedelta(days=offset))
        )
