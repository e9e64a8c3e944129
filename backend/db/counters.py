"""Monotonic named counters that follow commit order."""

from __future__ import annotations

from backend.db.engine import Database

__all__ = ["current_value", "next_value"]

_NEXT = (
    "INSERT INTO counter (name, value) VALUES ({}, 1) "
    "ON CONFLICT (name) DO UPDATE SET value = counter.value + 1 RETURNING value"
)


async def next_value(db: Database, name: str) -> int:
    """Increment counter ``name`` and return its new value (the first is 1).

    Call it inside the transaction that uses the value: the upsert holds the counter row's lock
    (PostgreSQL) or the database write lock (SQLite) until commit, so concurrent callers are
    serialised, values are gap-free when the transaction commits, and a value is never visible
    before every lower one is.
    """
    rows = await db.execute(_NEXT, name)
    return int(rows[0]["value"])


async def current_value(db: Database, name: str) -> int:
    """The counter's value, 0 if it was never incremented."""
    rows = await db.execute("SELECT value FROM counter WHERE name = {}", name)
    return int(rows[0]["value"]) if rows else 0
