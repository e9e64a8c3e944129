"""SQLite as an engine: long-lived connections, and write transactions queued in the process.

Piccolo's ``SQLiteEngine`` opens a new connection (and a thread) for every statement and every
transaction, sets its pragmas again each time, and leaves concurrent writers to fight over the
file lock in SQLite's busy handler: under load some lose with ``database is locked``, and a
transaction whose ``BEGIN IMMEDIATE`` raised never closed its connection. Each close also
checkpointed the WAL.

:class:`QueuedSQLiteEngine` keeps, per event loop:

- **one writer connection**. A transaction takes it through an :class:`asyncio.Lock`, so write
  transactions wait their turn in a FIFO queue in the process instead of on the file lock; a
  write outside a transaction (one autocommitted statement) takes the same lock. The busy
  timeout still covers other processes (a ``luudong`` command run beside the server).
- **a few reader connections** (``PRAGMA query_only``) for ``SELECT`` statements outside a
  transaction, so the clerks' pages read while a batch commits (WAL readers never block).

Pragmas are set once when a connection opens. Connections close in :meth:`close`, called when
the app stops; an engine used from another event loop (tests) opens its own connections there.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from typing import Any

import aiosqlite
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.querystring import QueryString

__all__ = ["QueuedSQLiteEngine"]

READERS = 3
"""Reader connections per event loop."""


class _Connections:
    """The connections of one event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.writer: aiosqlite.Connection | None = None
        self.write_lock = asyncio.Lock()
        self.idle_readers: list[aiosqlite.Connection] = []
        self.readers = asyncio.Semaphore(READERS)
        self.opened: list[aiosqlite.Connection] = []


class QueuedTransaction(SQLiteTransaction):
    """A transaction on the engine's writer connection, holding its write lock throughout."""

    __slots__ = ()

    engine: QueuedSQLiteEngine

    async def __aenter__(self) -> SQLiteTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await self.engine.acquire_writer()
        try:
            await self.begin()  # type: ignore[no-untyped-call]
        except BaseException:
            await self.engine.release_writer(failed=True)
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        failed = exception is not None
        try:
            if failed:
                if not self._rolled_back:
                    await self.rollback()  # type: ignore[no-untyped-call]
            elif not self._committed and not self._rolled_back:
                try:
                    await self.commit()  # type: ignore[no-untyped-call]
                except BaseException:
                    failed = True
                    raise
        finally:
            self.engine.current_transaction.reset(self.context)
            await self.engine.release_writer(failed=failed)
        return exception is None


class QueuedSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine on long-lived connections; see the module docstring."""

    __slots__ = ("_by_loop",)

    def __init__(self, path: str, **connection_kwargs: Any) -> None:
        super().__init__(path=path, **connection_kwargs)
        self._by_loop: _Connections | None = None

    # --- connections ------------------------------------------------------------------------

    def _here(self) -> _Connections:
        loop = asyncio.get_running_loop()
        current = self._by_loop
        if current is None or current.loop is not loop:
            if current is not None:
                _stop_all(current)  # that loop is gone or elsewhere: its threads end
            current = self._by_loop = _Connections(loop)
        return current

    async def _open(self, here: _Connections, *, reader: bool) -> aiosqlite.Connection:
        pending = aiosqlite.connect(**self.connection_kwargs)
        # Its thread must never keep the process alive: one left open (a command that ends
        # without stopping the app) would hang the interpreter's exit. Committed data is in
        # the WAL either way.
        pending._thread.daemon = True
        connection = await pending
        connection.row_factory = dict_factory  # type: ignore[assignment]
        await connection.execute("PRAGMA foreign_keys = 1")
        if reader:
            await connection.execute("PRAGMA query_only = 1")
        here.opened.append(connection)
        return connection

    async def get_connection(self) -> aiosqlite.Connection:
        """The writer connection (Piccolo's own callers; the service uses transactions)."""
        here = self._here()
        if here.writer is None:
            here.writer = await self._open(here, reader=False)
        return here.writer

    async def acquire_writer(self) -> aiosqlite.Connection:
        """Wait for the write lock; the writer connection, outside any transaction."""
        here = self._here()
        await here.write_lock.acquire()
        try:
            writer = await self.get_connection()
            if writer.in_transaction:  # a holder was cancelled mid-statement
                await writer.rollback()
        except BaseException:
            here.write_lock.release()
            raise
        return writer

    async def release_writer(self, *, failed: bool) -> None:
        """Give the write lock back; after a failure, never leave a transaction open."""
        here = self._here()
        try:
            if failed and here.writer is not None:
                with contextlib.suppress(sqlite3.Error, ValueError):
                    await here.writer.execute("SELECT 1")  # its queue has run
                    if here.writer.in_transaction:
                        await here.writer.rollback()
        finally:
            here.write_lock.release()

    async def close(self) -> None:
        """Close every connection (the app's shutdown)."""
        here, self._by_loop = self._by_loop, None
        if here is None:
            return
        if here.loop is not asyncio.get_running_loop():
            _stop_all(here)
            return
        for connection in here.opened:
            with contextlib.suppress(sqlite3.Error, ValueError):
                await connection.close()

    def abandon(self) -> None:
        """End the connections' threads without awaiting (no event loop to await on)."""
        here, self._by_loop = self._by_loop, None
        if here is not None:
            _stop_all(here)

    # --- statements -------------------------------------------------------------------------

    async def _statement(self, sql: str, args: list[Any]) -> list[Any]:
        transaction = self.current_transaction.get()
        if transaction is not None:
            return list(await transaction.connection.execute_fetchall(sql, args))
        here = self._here()
        if sql.lstrip()[:6].upper() == "SELECT":
            async with here.readers:
                reader = here.idle_readers.pop() if here.idle_readers else None
                if reader is None:
                    reader = await self._open(here, reader=True)
                try:
                    return list(await reader.execute_fetchall(sql, args))
                finally:
                    here.idle_readers.append(reader)
        writer = await self.acquire_writer()
        try:
            return list(await writer.execute_fetchall(sql, args))
        finally:
            await self.release_writer(failed=False)

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False) -> Any:
        """Run one statement: in the current transaction, on a reader, or on the writer."""
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=str(querystring))
        sql, args = querystring.compile_string(engine_type=self.engine_type)
        response = await self._statement(sql, list(args))
        if self.log_responses:
            self.print_response(query_id=query_id, response=response)
        return response

    async def run_ddl(self, ddl: str, in_pool: bool = False) -> Any:
        """Run DDL on the current transaction or the writer."""
        return await self._statement(ddl, [])

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.immediate,
        allow_nested: bool = True,
    ) -> SQLiteTransaction:
        """A write transaction (``BEGIN IMMEDIATE``) queued on the writer connection."""
        return QueuedTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested
        )


def _stop_all(here: _Connections) -> None:
    """End the threads of connections whose event loop cannot be awaited on."""
    for connection in here.opened:
        with contextlib.suppress(Exception):
            connection.stop()
