"""The database handle: one Piccolo engine per process, built from settings at app build time.

Piccolo tables find their engine through ``Table._meta.db``; :meth:`Database.bind` points every
table of the service at this engine, so no module ever creates an engine at import time and no
``piccolo_conf.py`` is needed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import asyncpg
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString
from piccolo.table import Table

from backend.db.sqlite import QueuedSQLiteEngine

__all__ = ["Database", "first_row", "is_unique_violation", "postgres_config", "sqlite_path"]

SQLITE_BUSY_TIMEOUT_S = 15.0
"""How long an SQLite writer waits for the write lock before failing."""


def sqlite_path(url: str) -> Path:
    """The file an ``sqlite:///...`` URL names (three slashes: relative, four: absolute)."""
    if not url.startswith("sqlite:///"):
        raise ValueError(f"not an sqlite URL: {url!r}")
    return Path(unquote(url.removeprefix("sqlite:///")))


class Database:
    """A Piccolo engine with the service's transaction rules.

    SQLite writes take the write lock at ``BEGIN IMMEDIATE`` (a deferred transaction that reads
    and then writes can fail with ``database is locked`` even with a busy timeout), after
    waiting their turn in the process (:mod:`backend.db.sqlite`); PostgreSQL
    uses its default READ COMMITTED and row locks where ordering matters.
    """

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.pool_size = pool_size
        self.kind: Literal["sqlite", "postgres"]
        self.engine: Engine[Any]
        if url.startswith("sqlite:///"):
            path = sqlite_path(url)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.kind = "sqlite"
            self.engine = QueuedSQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_S)
        else:
            self.kind = "postgres"
            self.engine = PostgresEngine(config=postgres_config(url))

    def bind(self, tables: Iterable[type[Table]]) -> None:
        """Point every table at this engine."""
        for table in tables:
            table._meta.db = self.engine

    async def start(self) -> None:
        """Open the connection pool (PostgreSQL) and set SQLite's journal to WAL."""
        if isinstance(self.engine, PostgresEngine):
            await self.engine.start_connection_pool(min_size=1, max_size=self.pool_size)
        elif isinstance(self.engine, SQLiteEngine):
            # WAL lets the clerks' reads run while a sync batch commits; it persists in the file.
            await self.execute("PRAGMA journal_mode=WAL")

    async def stop(self) -> None:
        """Close the connection pool (PostgreSQL) or the connections (SQLite)."""
        if isinstance(self.engine, PostgresEngine):
            await self.engine.close_connection_pool()
        elif isinstance(self.engine, QueuedSQLiteEngine):
            await self.engine.close()

    def transaction(self) -> Any:
        """An async context manager for one atomic unit of work (nested calls join it); on
        SQLite a write transaction queued in the process (``backend.db.sqlite``)."""
        return self.engine.transaction()

    async def execute(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        """Run raw SQL (``{}`` placeholders) on the current transaction or a new connection."""
        rows = await self.engine.run_querystring(QueryString(sql, *args))
        return [dict(row) for row in rows or []]

    async def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        await self.execute("SELECT 1")


def postgres_config(url: str) -> dict[str, Any]:
    """asyncpg ``connect`` keywords for a ``postgresql://`` URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ValueError(f"not a postgresql URL: {url!r}")
    config: dict[str, Any] = {"dsn": url}
    # Piccolo names its transaction context variable after the database.
    config["database"] = unquote(parts.path.lstrip("/")) or "postgres"
    return config


def is_unique_violation(exc: BaseException) -> bool:
    """True when ``exc`` is a unique-constraint violation on either engine."""
    if isinstance(exc, asyncpg.UniqueViolationError):
        return True
    return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)


async def first_row(table: type[Table], sql: str, *args: Any) -> dict[str, Any] | None:
    """The first row of a statement written once as SQL text both engines accept (``{}``
    placeholders bound by Piccolo's ``raw``), or ``None``: for the few statements on the hot
    path, where Piccolo's query builder costs more than the query (``docs/architecture.md``)."""
    rows = await table.raw(sql, *args)
    return rows[0] if rows else None
