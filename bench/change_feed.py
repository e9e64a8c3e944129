"""Change-feed latency against the size of the history: 10k events, then 1M, in one run.

Prints JSON per engine: the median and p99 time of one ``GET /sync/changes`` page (100 events
of the device's team, read at the end of the history, through the real service) at each size,
and the ratio 1M / 10k (aim: at most 1.5, the cost must not grow with the history).
Events are spread over 10 teams, so the device's team holds a tenth of them.

    .venv/bin/python -m bench.change_feed [--engine sqlite|postgres|both] [--big 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from backend.auth.principal import DevicePrincipal
from backend.clock import SystemClock
from backend.context import Context
from backend.db.engine import Database, sqlite_path
from backend.db.migrate import apply_pending
from backend.settings import Settings
from backend.wiring import TABLES, Services
from bench.setup import scratch_database
from media.store import LocalBlobStore

TEAMS = 10
NOW = datetime(2026, 3, 2, 2, tzinfo=UTC)


async def _seed(db: Database) -> None:
    await db.execute(
        "INSERT INTO commune (code, name, province_code, province_name, agency_code, created_at) "
        "VALUES ('07192', 'Đặc khu Cô Tô', '22', 'Quảng Ninh', 'B.1', {})",
        NOW,
    )
    for team in range(1, TEAMS + 1):
        await db.execute(
            "INSERT INTO team (id, commune, kind, name, leader_name, phone, active, version, "
            "created_at, updated_at) VALUES ({}, '07192', 'roaming', {}, '', '', true, 1, {}, {})",
            team,
            f"Tổ {team}",
            NOW,
            NOW,
        )
    await db.execute(
        "INSERT INTO procedure (id, commune, code, name, field, processing_note, documents, "
        "fee_note, result, legal_basis, active, version, revision, created_at, updated_at) "
        "VALUES (1, '07192', '1.000001', 'Thủ tục', '', '', '[]', '', '', '', true, 1, 1, {}, {})",
        NOW,
        NOW,
    )
    for team in range(1, TEAMS + 1):
        await db.execute(
            "INSERT INTO dossier (id, commune, procedure, procedure_code, catalog_revision, "
            "channel, team, applicant_name, applicant_id_number, applicant_address, "
            "applicant_phone, capture_place, consent, delivery_method, delivery_address, note, "
            "status, paused_working_days, search_text, content_hash, version, created_at, "
            "updated_at) VALUES ({}, '07192', 1, '1.000001', 1, 'field_team', {}, 'A', "
            "'022095001234', '', '', '', true, 'counter', '', '', 2, 0, '', '', 1, {}, {})",
            f"D{team:025d}",
            team,
            NOW,
            NOW,
        )


def _rows(start: int, count: int) -> list[tuple[Any, ...]]:
    return [
        (seq, f"D{(seq % TEAMS) + 1:025d}", "07192", (seq % TEAMS) + 1, "receive", 1, 2,
         "user", "1", "clerk", NOW, '{"code": "B.1-260302-0001"}')
        for seq in range(start + 1, start + count + 1)
    ]  # fmt: skip


_COLUMNS = ("seq", "dossier", "commune", "team", "action", "from_status", "to_status",
            "actor_kind", "actor_id", "actor_name", "at", "payload")  # fmt: skip


async def _grow(db: Database, url: str, start: int, count: int) -> None:
    step = 50_000
    for offset in range(start, start + count, step):
        rows = _rows(offset, min(step, start + count - offset))
        if db.kind == "sqlite":
            with sqlite3.connect(sqlite_path(url)) as conn:
                conn.executemany(
                    f"INSERT INTO dossier_event ({','.join(_COLUMNS)}) "  # noqa: S608
                    f"VALUES ({','.join('?' * len(_COLUMNS))})",
                    [(*r[:10], r[10].isoformat(), r[11]) for r in rows],
                )
        else:
            conn = await asyncpg.connect(url)
            try:
                await conn.copy_records_to_table("dossier_event", records=rows, columns=_COLUMNS)
            finally:
                await conn.close()
    if db.kind == "postgres":
        # Settle the bulk load (visibility map, statistics) so autovacuum does not run during
        # the measurement, as it would have long settled in a server that grew over months.
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("VACUUM ANALYZE dossier_event")
        finally:
            await conn.close()


async def _measure(services: Services, device: DevicePrincipal, total: int) -> dict[str, float]:
    since = total - 1000 * TEAMS  # the device is 1,000 of its team's events behind
    for _ in range(10):  # warm caches and the pool, as a long-running server has them
        await services.sync.changes(device, since, 100)
    times = []
    for _ in range(200):
        started = time.perf_counter()
        page = await services.sync.changes(device, since, 100)
        times.append(time.perf_counter() - started)
        assert len(page.changes) == 100
    times.sort()
    return {
        "median_ms": round(statistics.median(times) * 1000, 3),
        "p99_ms": round(times[int(len(times) * 0.99) - 1] * 1000, 3),
    }


async def run(engine: str, small: int, big: int) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-feed-"))
    async with contextlib.AsyncExitStack() as stack:
        if engine == "sqlite":
            url = f"sqlite:///{workdir / 'feed.sqlite3'}"
        else:
            url = await stack.enter_async_context(scratch_database("bench_feed"))
        db = Database(url)
        db.bind(TABLES)
        await db.start()
        stack.push_async_callback(db.stop)
        await apply_pending(db)
        await _seed(db)
        settings = Settings(database_url=url, media_root=workdir, secret_key="b" * 40)
        services = Services.build(
            Context(db=db, clock=SystemClock(), settings=settings, blobs=LocalBlobStore(workdir))
        )
        device = DevicePrincipal("bench", 1, "07192", "bench")
        await _grow(db, url, 0, small)
        at_small = await _measure(services, device, small)
        await _grow(db, url, small, big - small)
        at_big = await _measure(services, device, big)
    return {
        f"events_{small}": at_small,
        f"events_{big}": at_big,
        "median_ratio": round(at_big["median_ms"] / at_small["median_ms"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    args = parser.parse_args()
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    report = {e: asyncio.run(run(e, args.small, args.big)) for e in engines}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
