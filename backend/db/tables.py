"""Service-wide tables that belong to no single domain."""

from __future__ import annotations

from piccolo.columns import BigInt, Varchar
from piccolo.table import Table

__all__ = ["Counter"]


class Counter(Table, tablename="counter"):
    """Named monotonic counters, incremented under the row's write lock.

    Used where an ordinary sequence is not enough: a value that must be gap-free (dossier codes)
    or must follow commit order (catalog revisions, event sequence numbers).
    """

    name = Varchar(length=120, primary_key=True)
    value = BigInt(default=0)
