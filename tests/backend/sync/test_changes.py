"""The change feed back to the field, and reconciliation after a lost acknowledgement."""

from __future__ import annotations

import httpx
from ulid import ULID

from tests.backend.sync.conftest import Device, enrol, new_dossier, scan
from tests.backend.sync.test_batches import push
from tests.helpers import Staff


async def test_changes__receipts_and_supplement_requests_reach_the_team_in_order(
    client: httpx.AsyncClient, device: Device, staff: Staff
) -> None:
    scans = [scan(1), scan(2)]
    first, second = new_dossier([scans[0]]), new_dossier([scans[1]])
    await push(client, device, [first, second], scans)
    clerk = staff["clerk.a"].auth
    await client.post(f"/api/v1/dossiers/{first['id']}/receive", json={}, headers=clerk)
    await client.post(
        f"/api/v1/dossiers/{second['id']}/request-supplement",
        json={
            "items": [{"document_key": "to_khai", "problem": "missing", "note": "Thiếu trang 2"}]
        },
        headers=clerk,
    )

    page = (await client.get("/api/v1/sync/changes?since=0", headers=device.auth)).json()

    actions = [(c["dossier_id"], c["action"]) for c in page["changes"]]
    assert actions == [
        (first["id"], "submit"),
        (second["id"], "submit"),
        (first["id"], "receive"),
        (second["id"], "request-supplement"),
    ]
    receipt = page["changes"][2]
    assert receipt["dossier_code"] == "TEST.07192-260302-0001"
    assert receipt["due_date"] == "2026-03-05"
    assert receipt["status"] == {"code": 2, "label": "Được tiếp nhận"}
    request = page["changes"][3]["payload"]
    assert request["items"] == [
        {"document_key": "to_khai", "problem": "missing", "note": "Thiếu trang 2"}
    ]
    assert page["next_cursor"] == page["changes"][-1]["seq"]
    assert page["has_more"] is False
    assert page["catalog_revision"] == 1


async def test_changes__pages_follow_the_cursor_and_other_teams_stay_out(
    client: httpx.AsyncClient, device: Device, staff: Staff
) -> None:
    other_team = await staff.post_created("/api/v1/teams", {"kind": "roaming", "name": "Tổ 2"})
    other = await enrol(client, staff, other_team["id"])
    scans = [scan(3), scan(4), scan(5)]
    await push(client, device, [new_dossier([s]) for s in scans[:2]], scans[:2])
    await push(client, other, [new_dossier([scans[2]])], scans[2:])

    first = (await client.get("/api/v1/sync/changes?since=0&limit=1", headers=device.auth)).json()
    rest = (
        await client.get(
            f"/api/v1/sync/changes?since={first['next_cursor']}&limit=10", headers=device.auth
        )
    ).json()
    theirs = (await client.get("/api/v1/sync/changes?since=0", headers=other.auth)).json()

    assert len(first["changes"]) == 1
    assert first["has_more"] is True
    assert len(rest["changes"]) == 1
    assert rest["has_more"] is False
    assert len(theirs["changes"]) == 1
    assert rest["changes"][0]["seq"] > first["changes"][0]["seq"]


async def test_reconcile__says_which_batches_and_dossiers_the_server_holds(
    client: httpx.AsyncClient, device: Device, staff: Staff
) -> None:
    scans = [scan(6)]
    dossier = new_dossier(scans)
    body, result = await push(client, device, [dossier], scans)
    other_team = await staff.post_created("/api/v1/teams", {"kind": "roaming", "name": "Tổ 3"})
    other = await enrol(client, staff, other_team["id"])
    unknown = str(ULID())

    mine = await client.post(
        "/api/v1/sync/reconcile",
        json={"batch_ids": [body["batch_id"], unknown], "dossier_ids": [dossier["id"], unknown]},
        headers=device.auth,
    )
    theirs = await client.post(
        "/api/v1/sync/reconcile",
        json={"batch_ids": [body["batch_id"]], "dossier_ids": [dossier["id"]]},
        headers=other.auth,
    )

    answer = mine.json()
    assert [(b["batch_id"], b["state"]) for b in answer["batches"]] == [
        (body["batch_id"], "committed"),
        (unknown, "unknown"),
    ]
    assert answer["batches"][0]["result"] == result
    assert [(d["dossier_id"], d["held"]) for d in answer["dossiers"]] == [
        (dossier["id"], True),
        (unknown, False),
    ]
    assert answer["dossiers"][0]["status"]["code"] == 1
    assert theirs.json()["batches"][0]["state"] == "unknown"
    assert theirs.json()["dossiers"][0]["held"] is False
