"""The field client against the server, both as real processes."""

from __future__ import annotations

import asyncio
import base64
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.settings import Settings
from tests.helpers import Staff, serve, server_env
from tests.media.imagery import document_photo, encode, qr_image

pytestmark = pytest.mark.slow
FIELD_SYNC = str(Path(sys.executable).parent / "field-sync")
CCCD = "022095001234|123456789|Trần Hữu Đạt|12041995|Nam|Thôn Bắc Vàn, Cô Tô|01072021"
PROCEDURE = {
    "code": "1.004873",
    "name": "Cấp Giấy xác nhận tình trạng hôn nhân",
    "processing_days": 3,
    "documents": [
        {"key": "to_khai", "name": "Tờ khai", "kind": "original"},
        {"key": "cccd", "name": "Căn cước", "kind": "copy", "required": False},
    ],
}


def field_sync(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [FIELD_SYNC, "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


async def issue(base: str, staff: Staff, team_id: int) -> dict[str, Any]:
    """An enrolment code and its QR from the running server (its clock, not the tests')."""
    async with httpx.AsyncClient(base_url=base) as live:
        response = await live.post(
            f"/api/v1/teams/{team_id}/enrolment-codes", headers=staff["admin.a"].auth
        )
    issued: dict[str, Any] = response.json()
    return issued


async def issue_code(base: str, staff: Staff, team_id: int) -> str:
    """An enrolment code from the running server."""
    code: str = (await issue(base, staff, team_id))["code"]
    return code


def kill_during_push(home: Path, delays: tuple[float, ...]) -> None:
    """Start pushes and SIGKILL each after ``delay`` seconds."""
    for delay in delays:
        proc = subprocess.Popen([FIELD_SYNC, "--home", str(home), "push", "--json"])
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()


def capture_many(
    home: Path, files: Path, count: int, size: tuple[int, int], first_seed: int = 0
) -> None:
    card = files / "cccd.png"
    card.write_bytes(encode(qr_image(CCCD, scale=6), "PNG"))
    for n in range(first_seed, first_seed + count):
        page = files / f"page{n}.jpg"
        page.write_bytes(document_photo(n, size=size, quality=85))
        field_sync(
            home, "capture", "--procedure", "1.004873", "--cccd-qr", str(card),
            "--scan", f"to_khai={page}", "--consent", "--place", "Thôn Bắc Vàn",
        )  # fmt: skip


def counts(home: Path) -> dict[str, Any]:
    pushed: dict[str, Any] = json.loads(field_sync(home, "push", "--json").stdout)
    return pushed


async def test_field_sync__enroll_capture_push_receive_pull(
    client: httpx.AsyncClient,
    staff: Staff,
    settings: Settings,
    team_id: int,
    tmp_path: Path,
) -> None:
    home, files = tmp_path / "device", tmp_path / "files"
    files.mkdir()

    with serve(server_env(settings), tmp_path) as base:
        qr = files / "enrolment-qr.png"
        qr.write_bytes(base64.b64decode((await issue(base, staff, team_id))["qr_png"]))
        await asyncio.to_thread(field_sync, home, "enroll", "--qr", str(qr), "--name", "Máy 1")
        await asyncio.to_thread(capture_many, home, files, 3, (1600, 1200))
        pushed = await asyncio.to_thread(counts, home)

        inbox = (await client.get("/api/v1/dossiers", headers=staff["clerk.a"].auth)).json()
        first = inbox["items"][-1]
        await client.post(
            f"/api/v1/dossiers/{first['id']}/receive", json={}, headers=staff["clerk.a"].auth
        )
        pulled = await asyncio.to_thread(field_sync, home, "pull")
        again = await asyncio.to_thread(counts, home)
        # The link carried the first round without a failure: new scans ride in their tus
        # creation request (creation-with-upload), one request each, no PATCH.
        log = tmp_path / "server.log"
        seen = len(log.read_text().splitlines())
        await asyncio.to_thread(capture_many, home, files, 2, (1600, 1200), 10)
        later = await asyncio.to_thread(counts, home)
        lines = log.read_text().splitlines()[seen:]
        tus = [line.split()[-4] for line in lines if " /api/v1/uploads" in line]

    assert pushed["outcomes"] == {"accepted": 3}
    assert inbox["total"] == 3
    assert {d["applicant_name"] for d in inbox["items"]} == {"Trần Hữu Đạt"}
    assert "TEST.07192-260302-0001" in pulled.stdout
    assert "hẹn trả kết quả ngày 05/03/2026" in pulled.stdout
    assert again["batches"] == 0, "nothing is pushed twice"
    assert later["outcomes"] == {"accepted": 2}
    assert tus == ["POST", "POST"], lines
    outbox = field_sync(home, "outbox").stdout
    assert outbox.count("Đã gửi") == 5


async def test_field_sync__killed_during_push_then_rerun_gives_every_dossier_once(
    client: httpx.AsyncClient,
    staff: Staff,
    settings: Settings,
    team_id: int,
    tmp_path: Path,
) -> None:
    home, files = tmp_path / "device", tmp_path / "files"
    files.mkdir()

    with serve(server_env(settings), tmp_path) as base:
        code = await issue_code(base, staff, team_id)
        await asyncio.to_thread(field_sync, home, "enroll", base, code)
        await asyncio.to_thread(capture_many, home, files, 4, (3000, 2250))
        await asyncio.to_thread(kill_during_push, home, (0.5, 0.8, 1.1, 1.4))
        final = await asyncio.to_thread(counts, home)
        inbox = (await client.get("/api/v1/dossiers", headers=staff["clerk.a"].auth)).json()

    assert inbox["total"] == 4
    assert len({d["id"] for d in inbox["items"]}) == 4
    assert set(final["outcomes"]) <= {"accepted", "duplicate"}
    assert field_sync(home, "outbox").stdout.count("Đã gửi") == 4


async def test_field_sync__supplement_pages_rating_and_postal_return_reach_the_office(
    client: httpx.AsyncClient,
    staff: Staff,
    settings: Settings,
    team_id: int,
    tmp_path: Path,
) -> None:
    home, files = tmp_path / "device", tmp_path / "files"
    files.mkdir()
    clerk = staff["clerk.a"].auth
    with serve(server_env(settings), tmp_path) as base:
        await asyncio.to_thread(
            field_sync, home, "enroll", base, await issue_code(base, staff, team_id)
        )
        await asyncio.to_thread(capture_many, home, files, 1, (1600, 1200))
        await asyncio.to_thread(counts, home)
        [dossier] = (await client.get("/api/v1/dossiers", headers=clerk)).json()["items"]
        received = await client.post(
            f"/api/v1/dossiers/{dossier['id']}/receive", json={}, headers=clerk
        )
        code = received.json()["code"]
        await client.post(
            f"/api/v1/dossiers/{dossier['id']}/request-supplement",
            json={
                "items": [{"document_key": "to_khai", "problem": "invalid", "note": "thiếu chữ ký"}]
            },
            headers=clerk,
        )
        pulled = await asyncio.to_thread(field_sync, home, "pull")
        page = files / "signed.jpg"
        page.write_bytes(document_photo(77, size=(1600, 1200), quality=85))
        await asyncio.to_thread(field_sync, home, "supplement", code, "--scan", f"to_khai={page}")
        await asyncio.to_thread(field_sync, home, "rate", dossier["id"], "satisfied")
        neither = await asyncio.to_thread(field_sync, home, "postal", code, check=False)
        await asyncio.to_thread(field_sync, home, "postal", code, "Thôn Bắc Vàn, Cô Tô")
        listed = await asyncio.to_thread(field_sync, home, "outbox")
        pushed = await asyncio.to_thread(counts, home)
        told = await asyncio.to_thread(field_sync, home, "pull")
        after = (await client.get(f"/api/v1/dossiers/{dossier['id']}", headers=clerk)).json()
        events = (
            await client.get(f"/api/v1/dossiers/{dossier['id']}/events", headers=clerk)
        ).json()
        again = await asyncio.to_thread(counts, home)

    assert "cần bổ sung «Tờ khai» (chưa hợp lệ): thiếu chữ ký" in pulled.stdout
    assert f"field-sync supplement {code}" in pulled.stdout
    assert "Trần Hữu Đạt" in pulled.stdout
    assert "Bổ sung" in listed.stdout
    assert "Đánh giá" in listed.stdout
    assert "Nơi nhận kết quả" in listed.stdout
    assert neither.returncode == 2
    assert "Traceback" not in neither.stderr
    assert pushed["outcomes"] == {"accepted": 3}
    assert {r["kind"] for r in pushed["results"]} == {"supplement", "rating", "delivery"}
    assert after["delivery"] == {"method": "post", "address": "Thôn Bắc Vàn, Cô Tô"}
    assert "nhận kết quả qua bưu chính: Thôn Bắc Vàn, Cô Tô" in told.stdout
    assert after["status"]["code"] == 2, "received again with the new pages"
    assert [d["key"] for d in after["documents"]].count("to_khai") == 2
    assert [e["action"] for e in events][-2:] == ["supplement-arrived", "change-delivery"]
    assert events[-2]["payload"]["doc_version"] == 2
    assert again["batches"] == 0, "nothing is sent twice"
