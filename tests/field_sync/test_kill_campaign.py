"""A campaign of kills: the server and the field client SIGKILLed at random moments of pushes.

Rounds of ten dossiers (a scan each) are pushed by ``field-sync push`` processes through a
proxy of 3 MB/s; during each push either the server or the client is killed at a random
moment (the server then starts again, as a supervisor would), until both were killed
``KILLS`` times while a push ran. Then one last push: every dossier is on the server once,
every blob hashes to its name, and no batch is left open on either side.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from backend.settings import Settings
from backend.sync.tables import SyncBatch
from field_sync.capture import capture_dossier
from field_sync.outbox import Outbox
from media.store import LocalBlobStore
from tests.field_sync.test_end_to_end import FIELD_SYNC, PROCEDURE, field_sync, issue_code
from tests.field_sync.weaklink import WeakLink
from tests.helpers import ServerProcess, Staff, server_env
from tests.media.imagery import document_photo

pytestmark = [pytest.mark.slow, pytest.mark.campaign]
KILLS = int(os.environ.get("KILL_CAMPAIGN_KILLS", "50"))
"""Kills of each kind per engine (fewer for a quick look: ``KILL_CAMPAIGN_KILLS=5``)."""
ROUND = 10


def capture_round(home: Path, files: Path, first: int) -> list[str]:
    outbox = Outbox(home)
    try:
        ids = []
        for n in range(first, first + ROUND):
            page = files / f"p{n}.jpg"
            page.write_bytes(document_photo(n, size=(1000, 750), quality=80))
            ids.append(
                capture_dossier(
                    outbox,
                    procedure_code=PROCEDURE["code"],
                    scans=(f"to_khai={page}",),
                    consent=True,
                    full_name=f"Người số {n}",
                    id_number="022095001234",
                )
            )
        return ids
    finally:
        outbox.close()


def has_work(home: Path) -> bool:
    outbox = Outbox(home)
    try:
        return outbox.has_work()
    finally:
        outbox.close()


def campaign(
    server: ServerProcess, home: Path, files: Path, seed: int
) -> tuple[int, int, set[str]]:
    """Push rounds under kills; returns the server kills, the client kills and every id."""
    rng = random.Random(seed)
    killed = {"server": 0, "client": 0}
    captured: set[str] = set()
    while min(killed.values()) < KILLS:
        captured.update(capture_round(home, files, len(captured)))
        while has_work(home):
            push = subprocess.Popen(
                [FIELD_SYNC, "--home", str(home), "--retries", "4", "push"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            wanted = [k for k, n in killed.items() if n < KILLS]
            victim = rng.choice(wanted) if wanted else None  # the campaign is over: let it end
            deadline = time.monotonic() + rng.uniform(0.02, 0.8)
            while victim and time.monotonic() < deadline and push.poll() is None:
                time.sleep(0.005)
            if victim and push.poll() is None:
                killed[victim] += 1
                if victim == "server":
                    server.kill()
                    server.start()
                else:
                    push.kill()
            push.wait(timeout=120)
    return killed["server"], killed["client"], captured


async def test_kill_campaign__every_dossier_once_every_blob_whole_no_batch_left_open(
    client: httpx.AsyncClient,
    staff: Staff,
    settings: Settings,
    team_id: int,
    tmp_path: Path,
) -> None:
    home, files = tmp_path / "device", tmp_path / "files"
    files.mkdir()
    server = ServerProcess(server_env(settings), tmp_path)
    server.start()
    try:
        with WeakLink(server.port, bytes_per_s=3 * 1024 * 1024, cut_every=None) as link:
            code = await issue_code(server.base, staff, team_id)
            await asyncio.to_thread(field_sync, home, "enroll", link.base, code)
            started = time.monotonic()
            server_kills, client_kills, captured = await asyncio.to_thread(
                campaign, server, home, files, 20261202
            )
            await asyncio.to_thread(field_sync, home, "push")
            seconds = round(time.monotonic() - started, 1)
    finally:
        server.stop()

    clerk = staff["clerk.a"].auth
    held: list[str] = []
    while page := (
        await client.get(f"/api/v1/dossiers?limit=200&offset={len(held)}", headers=clerk)
    ).json()["items"]:
        held += [d["id"] for d in page]
    assert (server_kills, client_kills) == (KILLS, KILLS)
    assert sorted(held) == sorted(captured), "every dossier once, none missing, none twice"
    blobs = LocalBlobStore(settings.media_root)
    for dossier_id in held:
        dossier = (await client.get(f"/api/v1/dossiers/{dossier_id}", headers=clerk)).json()
        for document in dossier["documents"]:
            data = await blobs.read(document["sha256"])
            assert hashlib.sha256(data).hexdigest() == document["sha256"]
    assert not has_work(home), "nothing left on the device"
    print(  # the figures docs/reliability.md quotes (shown with pytest -s)
        f"kill campaign on {settings.engine_kind}: {server_kills} server and {client_kills} "
        f"client kills, {len(captured)} dossiers, {seconds} s"
    )
    assert await SyncBatch.count().where(SyncBatch.committed_at.is_null()) == 0
