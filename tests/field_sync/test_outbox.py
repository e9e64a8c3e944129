"""The outbox's schema version and migrations: an update never strands unsent dossiers.

``fixtures/outbox-v0`` is an outbox written by field-sync as of commit 36a8d61, before the
outbox had a schema version: one dossier committed (its receipt pulled), one sealed into a batch
whose commit was never confirmed, one still pending, with their scans and the device's settings.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
from pathlib import Path

import httpx
import pytest

from backend.settings import Settings
from field_sync.outbox import MIGRATIONS, Outbox, OutboxTooNewError
from schemas.dossiers import Standing
from schemas.sync import NewDossier
from tests.field_sync.test_end_to_end import field_sync, issue_code
from tests.helpers import Staff, serve, server_env

FIXTURE = Path(__file__).parent / "fixtures" / "outbox-v0"
COMMITTED, SEALED, PENDING = (f"01JF000000000000000000000{n}" for n in (1, 2, 3))


@pytest.fixture
def old_outbox(tmp_path: Path) -> Path:
    home = tmp_path / "device"
    shutil.copytree(FIXTURE, home)
    return home


def test_outbox__migrates_an_unversioned_outbox_with_every_dossier_intact(
    old_outbox: Path,
) -> None:
    box = Outbox(old_outbox)
    try:
        rows = {r["id"]: r for r in box.dossiers()}
        sealed = box.open_batches()
        schema_version = box.schema_version

        assert schema_version == len(MIGRATIONS)
        assert {k: r["state"] for k, r in rows.items()} == {
            COMMITTED: "committed",
            SEALED: "batched",
            PENDING: "pending",
        }
        # The sealed batch is read back as the same manifest, so pushing it again is the
        # idempotent resend the server expects.
        assert [b.id for b in sealed] == ["01JFBATCH00000000000000002"]
        [item] = sealed[0].manifest.items
        assert isinstance(item, NewDossier)
        assert item.id == SEALED
        assert item.applicant.full_name == "Nguyễn Thị Lan"
        assert {b.sha256 for b in sealed[0].manifest.blobs} == {d.sha256 for d in item.documents}
        for document in box.body(rows[PENDING]).documents:
            assert box.scan_path(document.sha256).exists()
        # What the office said before the update is kept, and now also read per dossier.
        assert rows[COMMITTED]["code"] == "000.00.32.H42-261121-0001"
        assert rows[COMMITTED]["status_label"] == "Được tiếp nhận"
        assert rows[COMMITTED]["due_date"] == "2026-11-24"
        assert [c.seq for c in box.changes()] == [7]
        assert box.changes()[0].standing is Standing.not_received  # unknown to the old feed
        assert box.get("cursor") == "7"
        assert box.team() is not None
        assert set(box.catalog()) == {"1.004873"}
    finally:
        box.close()


def test_outbox__opening_again_changes_nothing(old_outbox: Path) -> None:
    Outbox(old_outbox).close()
    before = (old_outbox / "outbox.sqlite3").read_bytes()

    Outbox(old_outbox).close()

    assert (old_outbox / "outbox.sqlite3").read_bytes() == before


def test_outbox__written_by_a_newer_client_is_refused_untouched(tmp_path: Path) -> None:
    Outbox(tmp_path).close()
    db = sqlite3.connect(tmp_path / "outbox.sqlite3")
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()

    with pytest.raises(OutboxTooNewError, match="mới hơn"):
        Outbox(tmp_path)


@pytest.mark.slow
async def test_outbox__migrated_dossiers_reach_the_office_once(
    client: httpx.AsyncClient, staff: Staff, settings: Settings, old_outbox: Path, tmp_path: Path
) -> None:
    await staff.post_created(
        "/api/v1/procedures",
        {
            "code": "1.004873",
            "name": "Đăng ký khai sinh",
            "processing_days": 1,
            "documents": [
                {"key": "to_khai", "name": "Tờ khai đăng ký khai sinh", "kind": "original"},
                {"key": "giay_chung_sinh", "name": "Giấy chứng sinh", "kind": "original"},
            ],
        },
    )
    team = await staff.post_created("/api/v1/teams", {"kind": "roaming", "name": "Tổ đảo"})

    with serve(server_env(settings), tmp_path) as base:
        code = await issue_code(base, staff, int(team["id"]))
        await asyncio.to_thread(field_sync, old_outbox, "enroll", base, code)
        pushed = json.loads(
            (await asyncio.to_thread(field_sync, old_outbox, "push", "--json")).stdout
        )
        again = json.loads(
            (await asyncio.to_thread(field_sync, old_outbox, "push", "--json")).stdout
        )
    inbox = (await client.get("/api/v1/dossiers", headers=staff["clerk.a"].auth)).json()

    assert pushed["outcomes"] == {"accepted": 2}
    assert again["batches"] == 0
    assert sorted(d["id"] for d in inbox["items"]) == [SEALED, PENDING]
