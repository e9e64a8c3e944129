"""``field-sync`` with no server, and with a server that dies mid-push: a Vietnamese message, a
documented exit code, never a traceback, and the outbox intact for the next try."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.settings import Settings
from field_sync.cli import Exit
from field_sync.outbox import Outbox
from tests.field_sync.test_end_to_end import FIELD_SYNC, capture_many, field_sync, issue_code
from tests.field_sync.test_server_faults import wait_for_partial_upload
from tests.helpers import ServerProcess, Staff, server_env

pytestmark = pytest.mark.slow
NOTHING_LOST = "Không mất dữ liệu nào"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return field_sync(home, "--retries", "2", *args, check=False)


def states(home: Path) -> dict[str, str]:
    box = Outbox(home)
    try:
        return {row["id"]: row["state"] for row in box.dossiers()}
    finally:
        box.close()


async def enrolled_then_offline(
    server: ServerProcess, staff: Staff, team_id: int, tmp_path: Path
) -> Path:
    """A device enrolled while the server was up, holding two dossiers captured after it went
    down; its home folder."""
    home, files = tmp_path / "device", tmp_path / "files"
    files.mkdir()
    server.start()
    try:
        code = await issue_code(server.base, staff, team_id)
        await asyncio.to_thread(field_sync, home, "enroll", server.base, code)
    finally:
        server.stop()
    await asyncio.to_thread(capture_many, home, files, 2, (1600, 1200))
    return home


def assert_offline(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == Exit.offline, result.stdout + result.stderr
    assert NOTHING_LOST in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_cli__enroll_with_no_server_says_so_in_vietnamese(tmp_path: Path) -> None:
    result = run(tmp_path / "dev", "enroll", f"127.0.0.1:{free_port()}", "ABCD-EFGH-JKLM")

    assert_offline(result)
    assert "không kết nối được" in result.stderr


def test_cli__an_address_that_cannot_be_one_is_refused_at_once(tmp_path: Path) -> None:
    result = run(tmp_path / "dev", "enroll", "http://", "ABCD")

    assert result.returncode == Exit.usage
    assert "không phải địa chỉ máy chủ" in result.stderr


def test_cli__cover_sheet_needs_consent(tmp_path: Path) -> None:
    result = run(tmp_path / "dev", "cover-sheet", "--procedure", "1.004873", "--out", "x.png")

    assert result.returncode == Exit.usage
    assert "--consent" in result.stderr
    assert not (tmp_path / "x.png").exists()


async def test_cli__push_and_pull_with_the_server_down_keep_the_outbox(
    staff: Staff, settings: Settings, team_id: int, tmp_path: Path
) -> None:
    server = ServerProcess(server_env(settings), tmp_path)
    home = await enrolled_then_offline(server, staff, team_id, tmp_path)

    pushed = await asyncio.to_thread(run, home, "push")
    pulled = await asyncio.to_thread(run, home, "pull")

    assert_offline(pushed)
    assert_offline(pulled)
    assert sorted(states(home).values()) == ["batched", "batched"]


async def test_cli__server_dies_mid_push_then_the_next_push_sends_only_the_rest(
    client: httpx.AsyncClient, staff: Staff, settings: Settings, team_id: int, tmp_path: Path
) -> None:
    home, files = tmp_path / "device", tmp_path / "files"
    files.mkdir()
    server = ServerProcess(server_env(settings), tmp_path)
    server.start()
    try:
        code = await issue_code(server.base, staff, team_id)
        await asyncio.to_thread(field_sync, home, "enroll", server.base, code)
        await asyncio.to_thread(capture_many, home, files, 3, (3000, 2250))
        pushing = subprocess.Popen(  # noqa: ASYNC220 - a real client process, killed mid-push
            [FIELD_SYNC, "--home", str(home), "--retries", "2", "push"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        await asyncio.to_thread(wait_for_partial_upload, settings.media_root)
        server.kill()
        out, errors = await asyncio.to_thread(pushing.communicate, timeout=120)
        cut = subprocess.CompletedProcess(pushing.args, pushing.returncode, out, errors)
        left = states(home)
        await asyncio.sleep(0.3)
        server.start()
        again = await asyncio.to_thread(run, home, "push", "--json")
    finally:
        server.stop()
    inbox = (await client.get("/api/v1/dossiers", headers=staff["clerk.a"].auth)).json()

    assert_offline(cut)
    assert sorted(left.values()) == ["batched", "batched", "batched"]
    report: dict[str, Any] = json.loads(again.stdout)
    assert report["outcomes"] == {"accepted": 3}
    assert report["bytes_unkept"] <= 1024 * 1024, "only what the server never kept went again"
    assert inbox["total"] == 3


async def test_cli__push_until_done_rides_out_an_outage(
    client: httpx.AsyncClient, staff: Staff, settings: Settings, team_id: int, tmp_path: Path
) -> None:
    server = ServerProcess(server_env(settings), tmp_path)
    home = await enrolled_then_offline(server, staff, team_id, tmp_path)
    pushing = subprocess.Popen(  # noqa: ASYNC220 - a real client process through an outage
        [FIELD_SYNC, "--home", str(home), "--retries", "1", "push", "--until-done", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        await asyncio.sleep(3)  # at least one round finds the link down
        server.start()
        out, errors = await asyncio.to_thread(pushing.communicate, timeout=120)
    finally:
        server.stop()
    inbox = (await client.get("/api/v1/dossiers", headers=staff["clerk.a"].auth)).json()

    assert pushing.returncode == Exit.ok, errors
    assert "hồ sơ vẫn an toàn trên máy" in errors
    assert "Traceback" not in errors
    assert json.loads(out)["outcomes"] == {"accepted": 2}
    assert inbox["total"] == 2


async def test_cli__a_batch_the_server_refuses_does_not_hold_back_the_next(
    client: httpx.AsyncClient, staff: Staff, settings: Settings, team_id: int, tmp_path: Path
) -> None:
    """The first batch's scan was damaged on the device after capture (its bytes no longer
    match its hash): the server refuses that upload, and the dossier captured later still goes."""
    server = ServerProcess(server_env(settings), tmp_path)
    home = await enrolled_then_offline(server, staff, team_id, tmp_path)
    await asyncio.to_thread(run, home, "push")  # offline: the two dossiers are sealed in a batch
    for scan in (home / "scans").iterdir():
        damaged = bytearray(scan.read_bytes())
        damaged[len(damaged) // 2] ^= 0xFF
        scan.write_bytes(bytes(damaged))
    files = tmp_path / "later"
    files.mkdir()
    await asyncio.to_thread(capture_many, home, files, 1, (1000, 800))
    server.start()
    try:
        pushed = await asyncio.to_thread(run, home, "push", "--json")
        listed = await asyncio.to_thread(run, home, "push")
    finally:
        server.stop()
    inbox = (await client.get("/api/v1/dossiers", headers=staff["clerk.a"].auth)).json()

    assert pushed.returncode == Exit.refused, pushed.stdout + pushed.stderr
    report: dict[str, Any] = json.loads(pushed.stdout)
    assert report["outcomes"] == {"accepted": 1}, "the later dossier went"
    [(_, refusal)] = report["blocked"].items()
    assert refusal["code"] == "checksum_mismatch"
    assert inbox["total"] == 1
    assert sorted(states(home).values()) == ["batched", "batched", "committed"]
    assert "chưa gửi được" in listed.stderr
    assert "Traceback" not in listed.stderr
