"""Blob custody: a scan is a commune's only once that commune sent its bytes.

Storage is shared by hash; these tests prove a hash alone opens nothing across communes, that
counter intake names only uploaded scans, that refused images leave the store, and that a
device cannot announce unlimited uploads.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from backend.wiring import Services
from tests.backend.sync.conftest import (
    APPLICANT,
    PROCEDURE,
    Device,
    enrol,
    manifest,
    metadata,
    new_dossier,
    scan,
    sha,
    upload,
)
from tests.backend.sync.test_batches import push
from tests.helpers import Staff, assert_problem


@pytest.fixture
async def device_b(client: httpx.AsyncClient, staff: Staff, device: Device) -> Device:
    """A device of commune B, with the same procedure in B's catalog."""
    await staff.post_created("/api/v1/procedures", PROCEDURE, as_="admin.b")
    team = await staff.post_created(
        "/api/v1/teams", {"kind": "roaming", "name": "Tổ lưu động B"}, as_="admin.b"
    )
    return await enrol(client, staff, team["id"], as_="admin.b")


def _counter(documents: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "procedure_code": PROCEDURE["code"],
        "applicant": APPLICANT,
        "consent": True,
        "documents": documents,
    }


async def test_custody__another_communes_hash_is_missing_and_cannot_be_committed(
    client: httpx.AsyncClient, device: Device, device_b: Device, services: Services
) -> None:
    card = scan(41)
    await push(client, device, [new_dossier([card])], [card])
    assert await services.ctx.blobs.exists(sha(card))

    body = manifest([new_dossier([card])], [card])
    accepted = await client.post("/api/v1/sync/batches", json=body, headers=device_b.auth)
    committed = await client.post(
        f"/api/v1/sync/batches/{body['batch_id']}/commit", headers=device_b.auth
    )

    # The manifest answers for commune B alone: it says nothing of what A holds.
    assert accepted.json()["missing_blobs"] == [sha(card)]
    assert_problem(committed, 409, "blob_missing")


async def test_custody__sending_the_bytes_gives_the_commune_the_blob(
    client: httpx.AsyncClient, device: Device, device_b: Device, staff: Staff
) -> None:
    card = scan(42)
    await push(client, device, [new_dossier([card])], [card])

    _, result = await push(client, device_b, [new_dossier([card])], [card])

    assert [r["outcome"] for r in result["results"]] == ["accepted"]
    inbox_b = await client.get("/api/v1/dossiers", headers=staff["clerk.b"].auth)
    assert inbox_b.json()["total"] == 1


async def test_custody__wrong_bytes_under_a_stored_hash_are_refused(
    client: httpx.AsyncClient, device: Device, device_b: Device, services: Services
) -> None:
    card = scan(43)
    await push(client, device, [new_dossier([card])], [card])
    forged = bytes(len(card))

    answer = await upload(client, device_b, forged, digest=sha(card))

    assert_problem(answer, 422, "checksum_mismatch")
    assert not await services.custody.held("18073", [sha(card)])


async def test_custody__a_clerk_cannot_name_another_communes_scan_at_the_counter(
    client: httpx.AsyncClient, device: Device, staff: Staff
) -> None:
    card = scan(44)
    await push(client, device, [new_dossier([card])], [card])
    await staff.post_created("/api/v1/procedures", PROCEDURE, as_="admin.b")

    response = await client.post(
        "/api/v1/dossiers",
        json=_counter([{"key": "to_khai", "sha256": sha(card)}]),
        headers=staff["clerk.b"].auth,
    )

    assert_problem(response, 409, "blob_missing")
    listed = await client.get("/api/v1/dossiers", headers=staff["clerk.b"].auth)
    assert listed.json()["total"] == 0


async def test_custody__counter_intake_refuses_a_scan_never_uploaded(
    client: httpx.AsyncClient, device: Device, staff: Staff
) -> None:
    response = await client.post(
        "/api/v1/dossiers",
        json=_counter([{"key": "to_khai", "sha256": "c" * 64}]),
        headers=staff["clerk.a"].auth,
    )

    assert_problem(response, 409, "blob_missing")
    listed = await client.get("/api/v1/dossiers", headers=staff["clerk.a"].auth)
    assert listed.json()["total"] == 0


async def test_custody__a_refused_image_leaves_the_store_and_its_item_is_rejected(
    client: httpx.AsyncClient, device: Device, services: Services
) -> None:
    truncated = scan(45)[:2000]

    _, result = await push(client, device, [new_dossier([truncated])], [truncated])
    again = manifest([new_dossier([truncated])], [truncated])
    accepted = await client.post("/api/v1/sync/batches", json=again, headers=device.auth)

    assert [(r["outcome"], r["code"]) for r in result["results"]] == [("rejected", "invalid_image")]
    assert not await services.ctx.blobs.exists(sha(truncated))
    # Not asked for again: the verdict stands, the device is told at the commit.
    assert accepted.json()["missing_blobs"] == []


async def test_custody__a_device_cannot_hold_unlimited_unfinished_uploads(
    client: httpx.AsyncClient, device: Device, services: Services
) -> None:
    limit = services.ctx.settings.max_open_uploads

    async def started(n: int) -> httpx.Response:
        return await client.post(
            "/api/v1/uploads",
            headers={
                **device.tus,
                "Upload-Length": str(1024 * 1024),
                "Upload-Metadata": metadata(b"", digest=f"{n:064x}"),
                "Content-Type": "application/offset+octet-stream",
            },
            content=b"first bytes",
        )

    opened = [(await started(n)).status_code for n in range(limit)]
    refused = await started(limit)

    assert opened == [201] * limit
    assert_problem(refused, 429, "too_many_uploads")
    assert refused.headers["retry-after"]


async def test_custody__uploads_that_never_got_a_byte_make_room_oldest_first(
    client: httpx.AsyncClient, device: Device, services: Services
) -> None:
    limit = services.ctx.settings.max_open_uploads

    async def create(n: int) -> httpx.Response:
        return await client.post(
            "/api/v1/uploads",
            headers={
                **device.tus,
                "Upload-Length": str(60 * 1024 * 1024 // 4),
                "Upload-Metadata": metadata(b"", digest=f"{n:064x}"),
            },
        )

    urls = [(await create(n)).headers["location"] for n in range(limit + 3)]
    heads = [(await client.head(url, headers=device.tus)).status_code for url in urls]

    # A lost answer over a weak link leaves such orphans: they cost a row, never disk.
    assert heads == [404] * 3 + [200] * limit
