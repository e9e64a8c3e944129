"""20 dossiers of 3 scans pushed through a slow link cut every 128 KiB: each arrives once."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from backend.settings import Settings
from backend.sync.tables import Upload
from field_sync.capture import capture_dossier
from field_sync.outbox import Outbox
from tests.field_sync.test_end_to_end import PROCEDURE, field_sync, issue_code
from tests.field_sync.weaklink import WeakLink
from tests.helpers import ServerProcess, Staff, server_env
from tests.media.imagery import document_photo

pytestmark = pytest.mark.slow


def capture_offline(
    home: Path,
    files: Path,
    dossiers: int = 20,
    pages: int = 3,
    *,
    size: tuple[int, int] = (1200, 900),
    first_seed: int = 0,
) -> int:
    """``dossiers`` dossiers of ``pages`` distinct scans each, captured offline (before any
    push); the bytes of scans the device then holds."""
    outbox = Outbox(home)
    try:
        for n in range(dossiers):
            scans = []
            for page in range(pages):
                path = files / f"d{n}p{page}.jpg"
                seed = first_seed + n * pages + page
                path.write_bytes(document_photo(seed, size=size, quality=85))
                scans.append(f"to_khai={path}")
            capture_dossier(
                outbox,
                procedure_code=PROCEDURE["code"],
                scans=tuple(scans),
                consent=True,
                full_name=f"Người số {n}",
                id_number="022095001234",
            )
    finally:
        outbox.close()
    return sum(p.stat().st_size for p in (home / "scans").iterdir())


async def test_push_through_a_cutting_link__every_dossier_once_and_pull_shows_receipts(
    client: httpx.AsyncClient, staff: Staff, settings: Settings, team_id: int, tmp_path: Path
) -> None:
    home, files = tmp_path / "device", tmp_path / "files"
    files.mkdir()
    server = ServerProcess(server_env(settings), tmp_path)
    server.start()
    try:
        with WeakLink(server.port, bytes_per_s=2 * 1024 * 1024, cut_every=128 * 1024) as link:
            code = await issue_code(server.base, staff, team_id)
            await asyncio.to_thread(field_sync, home, "enroll", link.base, code)
            await asyncio.to_thread(capture_offline, home, files)
            pushed = json.loads(
                (await asyncio.to_thread(field_sync, home, "push", "--json")).stdout
            )

            inbox = (
                await client.get("/api/v1/dossiers?limit=100", headers=staff["clerk.a"].auth)
            ).json()
            for dossier in inbox["items"]:
                await client.post(
                    f"/api/v1/dossiers/{dossier['id']}/receive",
                    json={},
                    headers=staff["clerk.a"].auth,
                )
            pulled = json.loads(
                (await asyncio.to_thread(field_sync, home, "pull", "--json")).stdout
            )
            cuts = link.stats.cuts
    finally:
        server.stop()

    assert pushed["outcomes"] == {"accepted": 20}
    assert cuts >= 5, "the link really was cut"
    # One tus upload per scan holds bytes: no creation cut mid-body left a dead one holding
    # what the link carried for nothing (scans ride in their creation only on a clean link).
    assert await Upload.count().where(Upload.offset > 0) == 60
    assert inbox["total"] == 20
    assert len({d["id"] for d in inbox["items"]}) == 20
    receipts = [c for c in pulled["changes"] if c["action"] == "receive"]
    assert len(receipts) == 20
    assert {c["due_date"] for c in receipts} == {"2026-03-05"}
    assert sorted(c["dossier_code"] for c in receipts) == [
        f"TEST.07192-260302-{n:04d}" for n in range(1, 21)
    ]


async def test_push_through_cuts_every_8_kb_at_loopback_speed__bytes_before_each_cut_are_kept(
    client: httpx.AsyncClient, staff: Staff, settings: Settings, team_id: int, tmp_path: Path
) -> None:
    """The server keeps what reached it before a cut even when it arrived faster than the
    upload handler wrote it (uvicorn had it buffered): each 8 kB connection moves the upload on,
    so the push finishes instead of sending the same bytes again and again."""
    home, files = tmp_path / "device", tmp_path / "files"
    files.mkdir()
    server = ServerProcess(server_env(settings), tmp_path)
    server.start()
    try:
        with WeakLink(server.port, bytes_per_s=50 * 1024 * 1024, cut_every=8 * 1024) as link:
            code = await issue_code(server.base, staff, team_id)
            await asyncio.to_thread(field_sync, home, "enroll", link.base, code)
            page = files / "page.jpg"
            page.write_bytes(document_photo(5, size=(2400, 1800), quality=90))
            await asyncio.to_thread(
                field_sync, home, "capture", "--procedure", PROCEDURE["code"],
                "--name", "Người số 1", "--id-number", "022095001234",
                "--scan", f"to_khai={page}", "--consent",
            )  # fmt: skip
            payload = sum(p.stat().st_size for p in (home / "scans").iterdir())
            link.stats.upstream_bytes = link.stats.cuts = 0
            pushed = json.loads(
                (await asyncio.to_thread(field_sync, home, "push", "--json")).stdout
            )
            cuts, carried = link.stats.cuts, link.stats.upstream_bytes
    finally:
        server.stop()

    print(f"8 kB cuts on {settings.engine_kind}: {cuts} cuts, {carried / payload:.3f} carried")
    assert pushed["outcomes"] == {"accepted": 1}
    assert cuts >= payload // (8 * 1024) // 2, "the link really was cut, many times"
    # Each connection carries at most 8 kB, headers included; what is not kept goes again.
    assert carried / payload < 2.0, f"{carried} bytes carried for {payload}"
