"""Schema migrations: an ordered chain of self-contained modules in ``backend.db.migrations``.

Each module defines ``ID`` (its file name), ``DESCRIPTION`` and ``async def forwards(db)``. A
migration declares the tables it creates as its own snapshot classes (column definitions copied,
live tables never imported), so it keeps working after the live tables change. Piccolo generates
the engine-specific DDL from those snapshots, which is what lets one chain serve SQLite and
PostgreSQL.

Each migration runs in one transaction together with its row in ``luudong_migration``; on
PostgreSQL an advisory lock keeps two workers started at once from migrating concurrently.
"""

from __future__ import annotations

import importlib
import pkgutil
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import ModuleType
from typing import cast

import asyncpg

from backend.db import migrations as migrations_package
from backend.db.engine import Database

__all__ = ["Migration", "applied_ids", "apply_pending", "known_migrations", "pending_ids"]

_ADVISORY_LOCK_KEY = 0x4C55_444F  # "LUDO": any constant shared by every worker
_TRACKING_DDL = (
    "CREATE TABLE IF NOT EXISTS luudong_migration ("
    "id VARCHAR(200) PRIMARY KEY, description TEXT NOT NULL, applied_at VARCHAR(40) NOT NULL)"
)


@dataclass(frozen=True)
class Migration:
    """One step of the chain."""

    id: str
    description: str
    forwards: Callable[[Database], Awaitable[None]]


def known_migrations() -> list[Migration]:
    """The chain, ordered by module name (``m0001_...``, ``m0002_...``)."""
    found: list[Migration] = []
    for info in sorted(pkgutil.iter_modules(migrations_package.__path__), key=lambda m: m.name):
        if not info.name.startswith("m"):
            continue
        module: ModuleType = importlib.import_module(f"{migrations_package.__name__}.{info.name}")
        if info.name != module.ID:
            raise RuntimeError(f"migration {info.name} declares ID {module.ID!r}")
        found.append(
            Migration(
                id=module.ID,
                description=module.DESCRIPTION,
                forwards=cast(Callable[[Database], Awaitable[None]], module.forwards),
            )
        )
    return found


async def applied_ids(db: Database) -> set[str]:
    """Ids recorded as applied (empty for a fresh database); writes nothing."""
    try:
        rows = await db.execute("SELECT id FROM luudong_migration")
    except (sqlite3.OperationalError, asyncpg.UndefinedTableError) as exc:
        if isinstance(exc, sqlite3.OperationalError) and "no such table" not in str(exc):
            raise
        return set()
    return {row["id"] for row in rows}


async def pending_ids(db: Database) -> list[str]:
    """Ids of known migrations not yet applied, in order."""
    done = await applied_ids(db)
    return [m.id for m in known_migrations() if m.id not in done]


async def apply_pending(db: Database, *, now: datetime | None = None) -> list[str]:
    """Apply every pending migration in order; return the ids applied."""
    applied: list[str] = []
    for migration in known_migrations():
        async with db.transaction():
            if db.kind == "postgres":
                await db.execute("SELECT pg_advisory_xact_lock({})", _ADVISORY_LOCK_KEY)
            # Under the lock: concurrent CREATE TABLE IF NOT EXISTS races on PostgreSQL.
            await db.execute(_TRACKING_DDL)
            rows = await db.execute("SELECT 1 FROM luudong_migration WHERE id = {}", migration.id)
            if rows:
                continue
            await migration.forwards(db)
            stamp = (now or datetime.now(UTC)).isoformat()
            await db.execute(
                "INSERT INTO luudong_migration (id, description, applied_at) VALUES ({}, {}, {})",
                migration.id,
                migration.description,
                stamp,
            )
        applied.append(migration.id)
    return applied
