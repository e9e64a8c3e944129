"""Many clerks at once on one database: every write lands, none waits on a file lock."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from backend.app import create_app
from backend.clock import FrozenClock
from backend.db.sqlite import READERS, QueuedSQLiteEngine
from backend.settings import Settings
from tests.backend.sync.conftest import Device, new_dossier, scan
from tests.backend.sync.test_batches import push
from tests.helpers import Staff, app_client


async def test_two_hundred_concurrent_receipts__all_succeed_on_few_connections(
    client: httpx.AsyncClient,
    device: Device,
    staff: Staff,
    settings: Settings,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """200 clerks' receipts at once: no ``database is locked``, no 5xx, and on SQLite every
    statement ran on the writer or one of the few readers (no connection per query).

    The receipts go to a server whose SQLite busy timeout is one second: writers that waited
    on the file lock (a connection per transaction) lost that race; queued ones never touch it.
    """
    page = scan(7)
    dossiers = [new_dossier([page]) for _ in range(200)]
    await push(client, device, dossiers, [page])
    monkeypatch.setattr("backend.db.engine.SQLITE_BUSY_TIMEOUT_S", 1.0)
    office_app = create_app(settings, clock=clock)

    async with app_client(office_app) as office:
        answers = await asyncio.gather(*[
            office.post(f"/api/v1/dossiers/{d['id']}/receive", json={},
                        headers=staff["clerk.a"].auth)
            for d in dossiers
        ])  # fmt: skip
        engine = office_app.state.services.ctx.db.engine
        opened = engine._here().opened if isinstance(engine, QueuedSQLiteEngine) else []
        assert len(opened) <= 1 + READERS
        assert all(c._thread.is_alive() for c in opened)
    # The app stopped: every connection closed, its thread ended.
    await asyncio.sleep(0.1)
    assert not any(c._thread.is_alive() for c in opened)

    assert sorted({a.status_code for a in answers}) == [200], [
        a.text for a in answers if a.status_code != 200
    ][:3]
    codes = {a.json()["code"] for a in answers}
    assert len(codes) == 200  # every dossier its own code, none given twice
