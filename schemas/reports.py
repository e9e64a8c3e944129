"""Wire types for the timeliness report."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

import msgspec

__all__ = ["GroupBy", "InProgress", "Resolved", "Share", "TimelinessReport", "TimelinessRow"]


class GroupBy(StrEnum):
    """How report rows are grouped."""

    none = "none"
    team = "team"
    procedure = "procedure"


class Share(msgspec.Struct, frozen=True):
    """A count and its percentage (two decimals, as a string: ``"69.35"``)."""

    count: int
    percent: Decimal


class Resolved(msgspec.Struct, frozen=True):
    """Dossiers finished in the period, by timeliness; percentages of ``total``."""

    total: int
    early: Share
    on_time: Share
    late: Share


class InProgress(msgspec.Struct, frozen=True):
    """Dossiers received and still open at the end of the period."""

    total: int
    within: int
    """Trong hạn: the clock runs and the due date has not passed (due soon included)."""
    overdue: int
    """Quá hạn: the clock runs and the due date has passed."""
    paused: int = 0
    """Waiting for the citizen (a supplement or a fee): never overdue meanwhile."""


class TimelinessRow(msgspec.Struct, frozen=True, kw_only=True):
    """The figures of one group (or of the whole)."""

    key: str
    """Team id, procedure code, or ``all``."""
    label: str
    received: int
    resolved: Resolved
    in_progress: InProgress
    refused: int
    supplement_requests: int
    field_captured: Share
    """Received dossiers captured by a roaming team or a residential-group point."""
    satisfaction: dict[str, int]
    """Ratings given in the period, by level."""


class TimelinessReport(msgspec.Struct, frozen=True, kw_only=True):
    """The timeliness report of a commune for a period."""

    commune_code: str
    commune_name: str
    date_from: date
    date_to: date
    group_by: GroupBy
    rows: list[TimelinessRow]
    total: TimelinessRow
