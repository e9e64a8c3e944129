"""The migration chain: applies from empty on both engines, once, and matches the live tables."""

from __future__ import annotations

import asyncio

from backend.db.engine import Database
from backend.db.migrate import applied_ids, apply_pending, known_migrations, pending_ids
from backend.wiring import TABLES


async def _columns(db: Database, table: str) -> set[str]:
    if db.kind == "sqlite":
        rows = await db.execute(f"PRAGMA table_info({table})")
        return {r["name"] for r in rows}
    rows = await db.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = {}", table
    )
    return {r["column_name"] for r in rows}


async def test_apply_pending__from_empty_database_applies_the_whole_chain_once(
    empty_database_url: str,
) -> None:
    db = Database(empty_database_url)
    await db.start()
    try:
        everything = [m.id for m in known_migrations()]
        assert await pending_ids(db) == everything

        first = await apply_pending(db)
        second = await apply_pending(db)

        assert first == everything
        assert second == []
        assert await applied_ids(db) == set(everything)
    finally:
        await db.stop()


async def test_apply_pending__migrated_schema_has_every_live_table_column(
    empty_database_url: str,
) -> None:
    db = Database(empty_database_url)
    await db.start()
    try:
        await apply_pending(db)
        for table in TABLES:
            expected = {c._meta.db_column_name for c in table._meta.columns}
            assert await _columns(db, table._meta.tablename) == expected, table.__name__
    finally:
        await db.stop()


async def test_apply_pending__two_workers_starting_at_once_migrate_exactly_once(
    empty_database_url: str,
) -> None:
    workers = [Database(empty_database_url), Database(empty_database_url)]
    for db in workers:
        await db.start()
    try:
        first, second = await asyncio.gather(*(apply_pending(db) for db in workers))

        everything = [m.id for m in known_migrations()]
        # The workers may share the chain out between them, but never apply one step twice.
        assert sorted(first + second) == everything
        assert set(first).isdisjoint(second)
        assert await applied_ids(workers[0]) == set(everything)
    finally:
        for db in workers:
            await db.stop()
