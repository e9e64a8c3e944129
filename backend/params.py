"""Bounded integer parameters of paths and queries: one definition per column range.

An integer a client writes in a URL is checked against the range of the column it is compared
with before any query runs, so ``/teams/2147483648`` is a 422, not a PostgreSQL overflow (500).
"""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

__all__ = [
    "INT4_MAX",
    "INT8_MAX",
    "Count",
    "Cursor",
    "MaybeCursor",
    "MaybeRowId",
    "Offset",
    "RowId",
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
