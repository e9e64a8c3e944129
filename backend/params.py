"""Bounded parameters of paths and queries: one definition per column range.

An integer a client writes in a URL is checked against the range of the column it is compared
with before any query runs, so ``/teams/2147483648`` is a 422, not a PostgreSQL overflow (500).
A day is checked against the years the calendar covers, so ``from=0001-01-01`` is a 422, not
an overflow when it becomes a time in Vietnam.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar.params import Parameter

from backend.errors import AppError
from schemas.errors import ErrorCode

__all__ = [
    "FIRST_DAY",
    "INT4_MAX",
    "INT8_MAX",
    "LAST_DAY",
    "Count",
    "Cursor",
    "MaybeCursor",
    "MaybeRowId",
    "Offset",
    "RowId",
    "check_days",
    "row_id",
]

INT4_MAX = 2**31 - 1
"""The largest ``integer`` (``Serial`` ids, counts)."""
INT8_MAX = 2**63 - 1
"""The largest ``bigint`` (event sequence numbers, catalog revisions)."""

RowId = Annotated[int, Parameter(ge=1, le=INT4_MAX, description="A row id.")]
"""A ``Serial`` primary key in a path or a query."""
MaybeRowId = Annotated[int | None, Parameter(ge=1, le=INT4_MAX)]
"""An optional row id in a query (a filter)."""
Cursor = Annotated[int, Parameter(ge=0, le=INT8_MAX)]
"""A ``bigint`` position (change-feed sequence, catalog revision) in a query."""
MaybeCursor = Annotated[int | None, Parameter(ge=0, le=INT8_MAX)]
"""An optional ``bigint`` position in a query."""
Offset = Annotated[int, Parameter(ge=0, le=INT4_MAX)]
"""How many rows to skip."""
Count = Annotated[int, Parameter(ge=1, le=INT4_MAX)]
"""A page number or count in a query."""


def row_id(value: object) -> int | None:
    """A row id typed into a form field, or ``None`` unless it is ASCII digits in range."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 1 <= number <= INT4_MAX else None


FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
"""The days a query may name (reports, calendars)."""


def check_days(*days: date) -> None:
    """422 ``validation_failed`` unless every day is within ``FIRST_DAY`` … ``LAST_DAY``."""
    if any(not FIRST_DAY <= day <= LAST_DAY for day in days):
        raise AppError(
            ErrorCode.validation_failed,
            f"Ngày phải nằm trong khoảng {FIRST_DAY:%d/%m/%Y} – {LAST_DAY:%d/%m/%Y}.",
        )
