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
    """Dossiers resolved in the period (a result, not a stop), by timeliness against the date
    on their receipt; percentages of ``total``."""

    total: int
    early: Share
    on_time: Share
    late: Share
    early_and_on_time: Share
    """Trước và đúng hạn: the share provinces publish (the two shares above, added)."""
    late_with_apology: int = 0
    """Of the late ones, those the office sent an apology with a new date (Mẫu 04)."""


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
    """Received in the period."""
    resolved: Resolved
    in_progress: InProgress
    refused: int
    """Refused at intake in the period (Mẫu 03): never received, so outside the balance."""
    supplement_requests: int
    """Supplement requests made in the period."""
    field_captured: Share
    """Received dossiers captured by a roaming team or a residential-group point."""
    satisfaction: dict[str, int]
    """Ratings given in the period, by level."""
    carried_over: int = 0
    """Received before the period and still open at its start (kỳ trước chuyển qua)."""
    stopped: int = 0
    """Received dossiers whose handling ended in the period without a result (stopped, or
    refused after receipt as earlier versions allowed)."""
    withdrawn: int = 0
    """Received dossiers the citizen withdrew in the period.

    The columns add up: ``carried_over + received == resolved.total + stopped + withdrawn +
    in_progress.total``."""
    repeat_supplement_requests: int = 0
    """Of ``supplement_requests``, those that were not the dossier's first (each needs a
    stated reason: the office must guide the citizen completely in one go)."""


class TimelinessReport(msgspec.Struct, frozen=True, kw_only=True):
    """The timeliness report of a commune for a period."""

    commune_code: str
    commune_name: str
    date_from: date
    date_to: date
    group_by: GroupBy
    rows: list[TimelinessRow]
    total: TimelinessRow
