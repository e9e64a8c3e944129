"""The server killed (SIGKILL) during an upload and during a commit: nothing lost or doubled."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from backend.settings import Settings
from field_sync.agent import Agent
from field_sync.outbox import Outbox
from field_sync.transport import Backoff, Server
from schemas.sync import NewDossier
from tests.field_sync.test_end_to_end import PROCEDURE
from tests.helpers import ServerProcess, Staff, server_env
from tests.media.imagery import document_photo

pytestmark = pytest.mark.slow
APPLICANT = {"full_name": "Trần Hữu Đạt", "id_number": "022095001234"}


def prepare_device(
    home: Path, server: ServerProcess, staff: Staff, team_id: int, count: int, scan: bytes
) -> None:
    """Enrol an outbox and queue ``count`` dossiers sharing one scan."""
    code = httpx.post(
        f"{server.base}/api/v1/teams/{team_id}/enrolment-codes", headers=staff["admin.a"].auth
    ).json()["code"]
    enrolled = Server(server.base).enroll(code, "Máy")
    outbox = Outbox(home)
    try:
        outbox.set(server=server.base, token=enrolled.token, device_id=enrolled.device_id)
        outbox.set(chunk_bytes=str(16 * 1024))
        queue(outbox, count, scan)
    finally:
        outbox.close()


def wait_for_partial_upload(media_root: Path, timeout_s: float = 30) -> int:
    """Wait until the server holds part of an upload; return how many bytes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for part in (media_root / "uploads").glob("*.part"):
            size = part.stat().st_size if part.exists() else 0
            if size > 0:
                return size
        time.sleep(0.002)
    raise AssertionError("no upload started")


def wait_for_blob(media_root: Path, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not list((media_root / "blobs").rglob("*")):
        time.sleep(0.01)


def queue(outbox: Outbox, count: int, scan: bytes) -> None:
    digest = outbox.add_scan(scan, "image/jpeg")
    for n in range(count):
        outbox.add_dossier(
            msgspec.convert(
                {
                    "id": f"01J{n:023d}",
                    "procedure_code": PROCEDURE["code"],
                    "applicant": APPLICANT,
                    "consent": True,
                    "documents": [{"key": "to_khai", "sha256": digest}],
                    "captured_at": "2026-03-01T03:00:00Z",
                },
                NewDossier,
            )
        )


def push_in_background(outbox_home: Path) -> tuple[threading.Thread, dict[str, Any]]:
    box: dict[str, Any] = {}

    def run() -> None:
        outbox = Outbox(outbox_home)
        server = Server(
            outbox.get("server") or "",
            outbox.get("token"),
            backoff=Backoff(base_s=0.2, cap_s=1.0, attempts=60),
        )
        try:
            box["report"] = Agent(outbox, server).push()
        except Exception as exc:
            box["error"] = exc
        finally:
            server.close()
            outbox.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, box


async def inbox_ids(client: httpx.AsyncClient, staff: Staff) -> list[str]:
    page = await client.get("/api/v1/dossiers?limit=200", headers=staff["clerk.a"].auth)
    return [d["id"] for d in page.json()["items"]]


async def test_server_killed_during_upload__resumes_and_commits_once(
    client: httpx.AsyncClient, staff: Staff, settings: Settings, team_id: int, tmp_path: Path
) -> None:
    server = ServerProcess(server_env(settings), tmp_path)
    server.start()
    try:
        big = document_photo(7, size=(4000, 3000), quality=95)  # ~3 MB, hundreds of chunks
        await asyncio.to_thread(prepare_device, tmp_path / "dev", server, staff, team_id, 2, big)

        thread, box = push_in_background(tmp_path / "dev")
        await asyncio.to_thread(wait_for_partial_upload, settings.media_root)
        server.kill()
        assert await inbox_ids(client, staff) == []
        await asyncio.sleep(0.5)
        server.start()
        await asyncio.to_thread(thread.join, 120)
    finally:
        server.stop()

    assert "error" not in box, box.get("error")
    report = box["report"]
    assert [r.outcome for r in report.results] == ["accepted", "accepted"]
    assert report.upload.failures >= 1, "the kill really cut the upload"
    assert report.upload.bytes_unkept <= 1024 * 1024, "no more than a chunk or so per cut"
    assert sorted(await inbox_ids(client, staff)) == [f"01J{n:023d}" for n in range(2)]


async def test_server_killed_during_commit__no_partial_batch_and_each_dossier_once(
    client: httpx.AsyncClient, staff: Staff, settings: Settings, team_id: int, tmp_path: Path
) -> None:
    server = ServerProcess(server_env(settings), tmp_path)
    server.start()
    try:
        small = document_photo(8, size=(800, 600), quality=70)
        await asyncio.to_thread(prepare_device, tmp_path / "dev", server, staff, team_id, 40, small)

        thread, box = push_in_background(tmp_path / "dev")
        # Kill as soon as the blob is stored, i.e. while the commit runs or just before.
        await asyncio.to_thread(wait_for_blob, settings.media_root)
        server.kill()
        seen = await inbox_ids(client, staff)
        server.start()
        await asyncio.to_thread(thread.join, 120)
    finally:
        server.stop()

    assert len(seen) in (0, 40), "a commit is all or nothing"
    assert "error" not in box, box.get("error")
    outcomes = {r.outcome for r in box["report"].results}
    assert outcomes <= {"accepted", "duplicate"}
    ids = await inbox_ids(client, staff)
    assert sorted(ids) == [f"01J{n:023d}" for n in range(40)]
