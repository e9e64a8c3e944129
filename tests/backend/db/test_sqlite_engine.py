"""SQLite as an engine: writes queue in the process, connections live long and never leak."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from backend.db.engine import Database
from backend.db.sqlite import QueuedSQLiteEngine


def _engine(path: Path, timeout: float = 5.0) -> QueuedSQLiteEngine:
    return QueuedSQLiteEngine(path=str(path), timeout=timeout)


async def _setup(engine: QueuedSQLiteEngine) -> None:
    await engine.run_ddl("PRAGMA journal_mode=WAL")
    await engine.run_ddl("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)")


async def _insert(engine: QueuedSQLiteEngine, name: str) -> None:
    async with engine.transaction() as transaction:
        await transaction.connection.execute("INSERT INTO item (name) VALUES (?)", [name])


async def _names(engine: QueuedSQLiteEngine) -> list[str]:
    async with engine.transaction() as transaction:
        rows = await transaction.connection.execute_fetchall("SELECT name FROM item ORDER BY id")
    return [row["name"] for row in rows]


async def test_a_write_lock_held_by_another_process__fails_once_and_leaks_nothing(
    tmp_path: Path,
) -> None:
    """When ``BEGIN IMMEDIATE`` itself fails (another process holds the file's write lock past
    the busy timeout), the transaction raises, gives its turn back and keeps no connection:
    the next transaction succeeds on the same writer."""
    engine = _engine(tmp_path / "db.sqlite3", timeout=0.2)
    await _setup(engine)
    other = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await _insert(engine, "refused")
    finally:
        other.execute("ROLLBACK")
        other.close()
    opened = len(engine._here().opened)

    await _insert(engine, "kept")

    assert await _names(engine) == ["kept"]
    assert len(engine._here().opened) == opened
    await engine.close()


async def test_a_cancelled_transaction__rolls_back_and_the_next_one_runs(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "db.sqlite3")
    await _setup(engine)
    inside = asyncio.Event()

    async def slow() -> None:
        async with engine.transaction() as transaction:
            await transaction.connection.execute("INSERT INTO item (name) VALUES ('cancelled')")
            inside.set()
            await asyncio.sleep(30)

    task = asyncio.create_task(slow())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    await _insert(engine, "after")

    assert await _names(engine) == ["after"]
    await engine.close()


async def test_writes_queue_in_order_while_readers_read(tmp_path: Path) -> None:
    """A transaction holds the writer; a second waits its turn (not on the file lock); a
    SELECT outside any transaction reads the last committed state meanwhile."""
    engine = _engine(tmp_path / "db.sqlite3", timeout=0.0)  # no busy wait at all
    await _setup(engine)
    await _insert(engine, "first")
    release = asyncio.Event()
    holding = asyncio.Event()

    async def long_write() -> None:
        async with engine.transaction() as transaction:
            await transaction.connection.execute("INSERT INTO item (name) VALUES ('long')")
            holding.set()
            await release.wait()

    writer = asyncio.create_task(long_write())
    await holding.wait()
    queued = asyncio.create_task(_insert(engine, "queued"))
    await asyncio.sleep(0.05)
    read = await engine._statement("SELECT name FROM item ORDER BY id", [])

    assert [row["name"] for row in read] == ["first"]
    assert not queued.done()
    release.set()
    await asyncio.gather(writer, queued)
    assert await _names(engine) == ["first", "long", "queued"]
    await engine.close()


async def test_database_stop__closes_every_connection(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    await db.start()
    await db.execute("CREATE TABLE t (x INTEGER)")
    await db.execute("INSERT INTO t VALUES (1)")
    assert await db.execute("SELECT x FROM t") == [{"x": 1}]
    threads = threading.active_count()

    await db.stop()
    await asyncio.sleep(0.1)

    assert threading.active_count() <= threads - 2  # the writer's and a reader's thread ended


def test_a_connection_left_open__never_keeps_the_process_alive(tmp_path: Path) -> None:
    """A command that ends without stopping its database still exits (the connections'
    threads are daemons); before, the interpreter waited for them forever."""
    script = textwrap.dedent(f"""
        import asyncio
        from backend.db.engine import Database

        async def main():
            db = Database("sqlite:///{tmp_path / "db.sqlite3"}")
            await db.start()
            await db.execute("SELECT 1")

        asyncio.run(main())
    """)
    finished = subprocess.run(
        [sys.executable, "-c", script], timeout=30, capture_output=True, text=True, check=False
    )
    assert finished.returncode == 0, finished.stderr
