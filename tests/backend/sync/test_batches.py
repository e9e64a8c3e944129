"""Batch manifests and commits: idempotence, per-dossier outcomes, nothing partial."""

from __future__ import annotations

from typing import Any

import httpx

from tests.backend.sync.conftest import (
    APPLICANT,
    Device,
    enrol,
    manifest,
    new_dossier,
    scan,
    sha,
    upload,
)
from tests.helpers import Staff, assert_problem
from tests.media.imagery import document_photo

CCCD = "022095001234|123456789|Trần Hữu Đạt|12041995|Nam|Thôn Bắc Vàn, Cô Tô|01072021"


async def push(
    client: httpx.AsyncClient, device: Device, items: list[dict[str, Any]], scans: list[bytes]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Manifest, upload what is missing, commit; return the manifest and the commit result."""
    body = manifest(items, scans)
    accepted = await client.post("/api/v1/sync/batches", json=body, headers=device.auth)
    assert accepted.status_code == 201, accepted.text
    for missing in accepted.json()["missing_blobs"]:
        data = next(s for s in scans if sha(s) == missing)
        assert (await upload(client, device, data)).status_code == 204
    committed = await client.post(
        f"/api/v1/sync/batches/{body['batch_id']}/commit", headers=device.auth
    )
    assert committed.status_code == 200, committed.text
    return body, committed.json()


async def inbox(client: httpx.AsyncClient, staff: Staff) -> list[dict[str, Any]]:
    page = await client.get("/api/v1/dossiers?limit=200", headers=staff["clerk.a"].auth)
    items: list[dict[str, Any]] = page.json()["items"]
    return items


async def test_push__field_dossiers_land_in_the_inbox_as_submitted(
    client: httpx.AsyncClient, device: Device, staff: Staff
) -> None:
    scans = [scan(1), scan(2)]
    items = [new_dossier([scans[0]]), new_dossier([scans[1]])]

    _, result = await push(client, device, items, scans)

    assert [r["outcome"] for r in result["results"]] == ["accepted", "accepted"]
    listed = await inbox(client, staff)
    assert {d["id"] for d in listed} == {i["id"] for i in items}
    assert {(d["channel"], d["team_id"], d["status"]["code"]) for d in listed} == {
        ("field_team", device.team_id, 1)
    }
    dossier = (
        await client.get(f"/api/v1/dossiers/{items[0]['id']}", headers=staff["clerk.a"].auth)
    ).json()
    assert dossier["device_id"] == device.id
    assert dossier["captured_at"] == "2026-03-01T03:00:00Z"
    events = (
        await client.get(f"/api/v1/dossiers/{items[0]['id']}/events", headers=staff["clerk.a"].auth)
    ).json()
    assert [(e["action"], e["actor_kind"]) for e in events] == [("submit", "device")]


async def test_manifest__same_again_is_idempotent_and_changed_is_409(
    client: httpx.AsyncClient, device: Device
) -> None:
    scans = [scan(3)]
    body = manifest([new_dossier(scans)], scans)

    first = await client.post("/api/v1/sync/batches", json=body, headers=device.auth)
    again = await client.post("/api/v1/sync/batches", json=body, headers=device.auth)
    changed = await client.post(
        "/api/v1/sync/batches",
        json={**body, "items": [new_dossier(scans)]},
        headers=device.auth,
    )

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert first.json()["missing_blobs"] == [sha(scans[0])]
    assert_problem(changed, 409, "batch_conflict")


async def test_manifest__a_scan_not_listed_in_blobs_is_422(
    client: httpx.AsyncClient, device: Device
) -> None:
    body = manifest([new_dossier([scan(4)])], [])

    response = await client.post("/api/v1/sync/batches", json=body, headers=device.auth)

    problem = assert_problem(response, 422, "validation_failed")
    assert problem["errors"][0]["field"] == "body.items[0].documents[0].sha256"


async def test_commit__with_missing_blobs_is_409_and_creates_nothing(
    client: httpx.AsyncClient, device: Device, staff: Staff
) -> None:
    scans = [scan(5)]
    body = manifest([new_dossier(scans)], scans)
    await client.post("/api/v1/sync/batches", json=body, headers=device.auth)

    response = await client.post(
        f"/api/v1/sync/batches/{body['batch_id']}/commit", headers=device.auth
    )

    problem = assert_problem(response, 409, "blob_missing")
    assert sha(scans[0]) in problem["detail"]
    assert await inbox(client, staff) == []


async def test_commit__again_returns_the_same_result_and_no_new_rows(
    client: httpx.AsyncClient, device: Device, staff: Staff
) -> None:
    scans = [scan(6)]
    body, result = await push(client, device, [new_dossier(scans)], scans)

    again = await client.post(
        f"/api/v1/sync/batches/{body['batch_id']}/commit", headers=device.auth
    )

    assert again.json() == result
    assert len(await inbox(client, staff)) == 1


async def test_commit__the_same_dossier_in_a_new_batch_is_a_duplicate_or_a_conflict(
    client: httpx.AsyncClient, device: Device, staff: Staff
) -> None:
    scans = [scan(7)]
    dossier = new_dossier(scans)
    await push(client, device, [dossier], scans)

    _, same = await push(client, device, [dossier], scans)
    _, changed = await push(client, device, [{**dossier, "note": "sửa"}], scans)

    assert same["results"][0]["outcome"] == "duplicate"
    assert changed["results"][0]["outcome"] == "conflict"
    assert changed["results"][0]["code"] == "dossier_conflict"
    assert len(await inbox(client, staff)) == 1


async def test_commit__bad_dossiers_are_rejected_with_codes_and_the_rest_accepted(
    client: httpx.AsyncClient, device: Device, staff: Staff
) -> None:
    good, other = scan(8), scan(9)
    not_an_image = b"\xff\xd8\xff" + b"this is not a jpeg at all" * 100
    items = [
        new_dossier([good]),
        new_dossier([good], procedure_code="1.999999"),
        new_dossier([], documents=[]),
        new_dossier([not_an_image]),
        new_dossier([other], cccd_qr=CCCD.replace("022095001234", "022095009999")),
        new_dossier([other], consent=False),
        new_dossier([other], cccd_qr=CCCD),
    ]

    _, result = await push(client, device, items, [good, other, not_an_image])

    outcomes = [(r["outcome"], r["code"]) for r in result["results"]]
    assert outcomes == [
        ("accepted", None),
        ("rejected", "unknown_procedure"),
        ("rejected", "missing_document"),
        ("rejected", "invalid_image"),
        ("rejected", "cccd_mismatch"),
        ("rejected", "consent_required"),
        ("accepted", None),
    ]
    assert {d["id"] for d in await inbox(client, staff)} == {items[0]["id"], items[6]["id"]}


async def test_commit__the_id_card_scan_qr_is_read_on_the_server_and_checked(
    client: httpx.AsyncClient, device: Device, staff: Staff
) -> None:
    page = scan(10)
    own_card = document_photo(11, size=(1200, 900), qr_text=CCCD, qr_scale=5)
    other_card = document_photo(
        12, size=(1200, 900), qr_text=CCCD.replace("5001234", "5009999"), qr_scale=5
    )
    no_qr_card = scan(13)

    def with_card(card: bytes) -> dict[str, Any]:
        dossier = new_dossier([page])
        dossier["documents"].append({"key": "cccd", "sha256": sha(card), "page": 1})
        return dossier  # no device-side QR text: only the scan speaks

    items = [with_card(own_card), with_card(other_card), with_card(no_qr_card)]
    _, result = await push(client, device, items, [page, own_card, other_card, no_qr_card])

    outcomes = [(r["outcome"], r["code"]) for r in result["results"]]
    assert outcomes == [("accepted", None), ("rejected", "cccd_mismatch"), ("accepted", None)]
    assert "022095009999" in result["results"][1]["detail"]


async def test_supplement__returns_a_received_dossier_to_received_with_a_new_document_version(
    client: httpx.AsyncClient, device: Device, staff: Staff
) -> None:
    first, second = scan(10), scan(11)
    dossier = new_dossier([first])
    await push(client, device, [dossier], [first])
    clerk = staff["clerk.a"].auth
    url = f"/api/v1/dossiers/{dossier['id']}"
    await client.post(f"{url}/receive", json={}, headers=clerk)
    await client.post(
        f"{url}/request-supplement",
        json={"items": [{"document_key": "to_khai", "problem": "invalid"}]},
        headers=clerk,
    )
    code = (await client.get(url, headers=clerk)).json()["code"]

    _, result = await push(
        client,
        device,
        [
            {
                "type": "supplement",
                "dossier_code": code,
                "documents": [{"key": "to_khai", "sha256": sha(second)}],
            }
        ],
        [second],
    )

    assert result["results"][0]["outcome"] == "accepted"
    after = (await client.get(url, headers=clerk)).json()
    assert after["status"]["code"] == 2
    assert [d["sha256"] for d in after["documents"]] == [sha(first), sha(second)]


async def test_rating__from_the_household_is_recorded_once(
    client: httpx.AsyncClient, device: Device
) -> None:
    scans = [scan(12)]
    dossier = new_dossier(scans)
    await push(client, device, [dossier], scans)
    rating = {"type": "rating", "dossier_id": dossier["id"], "level": "very_satisfied"}

    _, first = await push(client, device, [rating], [])
    _, second = await push(client, device, [rating], [])

    assert first["results"][0]["outcome"] == "accepted"
    assert (second["results"][0]["outcome"], second["results"][0]["code"]) == (
        "rejected",
        "already_rated",
    )


async def test_delivery__a_later_request_for_postal_return_reaches_the_clerk_and_the_team(
    client: httpx.AsyncClient, device: Device, staff: Staff
) -> None:
    scans = [scan(14)]
    dossier = new_dossier(scans)
    await push(client, device, [dossier], scans)
    url, clerk = f"/api/v1/dossiers/{dossier['id']}", staff["clerk.a"].auth

    def change(method: str, address: str = "") -> dict[str, Any]:
        delivery = {"method": method, "address": address}
        return {"type": "delivery", "dossier_id": dossier["id"], "delivery": delivery}

    address = "Thôn Bắc Vàn, xã Cô Tô"
    _, result = await push(client, device, [change("post", ""), change("post", address)], [])
    held = (await client.get(url, headers=clerk)).json()
    feed = (await client.get("/api/v1/sync/changes?since=0", headers=device.auth)).json()

    outcomes = [(r["kind"], r["outcome"], r["code"]) for r in result["results"]]
    assert outcomes == [
        ("delivery", "rejected", "validation_failed"),
        ("delivery", "accepted", None),
    ]
    assert held["delivery"] == {"method": "post", "address": address}
    assert held["status"]["code"] == 1
    told = [c for c in feed["changes"] if c["action"] == "change-delivery"]
    assert [(c["payload"]["channel"], c["payload"]["address"]) for c in told] == [("post", address)]


async def test_delivery__cannot_change_once_the_dossier_is_closed(
    client: httpx.AsyncClient, device: Device, staff: Staff
) -> None:
    scans = [scan(15)]
    dossier = new_dossier(scans)
    await push(client, device, [dossier], scans)
    url, clerk = f"/api/v1/dossiers/{dossier['id']}", staff["clerk.a"].auth
    await client.post(f"{url}/refuse", json={"reason": "Không thuộc thẩm quyền"}, headers=clerk)
    change = {
        "type": "delivery",
        "dossier_id": dossier["id"],
        "delivery": {"method": "post", "address": "Thôn Bắc Vàn"},
    }

    _, result = await push(client, device, [change], [])

    assert (result["results"][0]["outcome"], result["results"][0]["code"]) == (
        "rejected",
        "illegal_transition",
    )
    held = (await client.get(url, headers=clerk)).json()
    assert held["delivery"]["method"] == "counter"


async def test_batches__another_device_cannot_commit_and_a_revoked_one_cannot_push(
    client: httpx.AsyncClient, device: Device, staff: Staff
) -> None:
    scans = [scan(13)]
    body = manifest([new_dossier(scans)], scans)
    await client.post("/api/v1/sync/batches", json=body, headers=device.auth)
    other = await enrol(client, staff, device.team_id)
    await client.post(f"/api/v1/devices/{device.id}/revoke", headers=staff["admin.a"].auth)

    foreign = await client.post(
        f"/api/v1/sync/batches/{body['batch_id']}/commit", headers=other.auth
    )
    revoked = await client.post("/api/v1/sync/batches", json=body, headers=device.auth)

    assert_problem(foreign, 404, "not_found")
    assert_problem(revoked, 401, "device_revoked")


def test_applicant_fixture_is_the_cccd_holder() -> None:
    assert CCCD.startswith(APPLICANT["id_number"])


async def test_commit__a_card_issued_after_the_servers_today_is_refused(
    client: httpx.AsyncClient, device: Device, staff: Staff
) -> None:
    """The server's clock says 2 March 2026 (the tests' FrozenClock): a card dated the 3rd is
    refused, one dated the 2nd taken. (Control characters in ``cccd_qr`` never get this far:
    the manifest's schema refuses them, 422 ``forbidden_characters``.)"""
    page = scan(12)
    items = [
        new_dossier([page], cccd_qr=CCCD.replace("|01072021", "|03032026")),
        new_dossier([page], cccd_qr=CCCD.replace("|01072021", "|02032026")),
    ]

    _, result = await push(client, device, items, [page])

    assert [(r["outcome"], r["code"]) for r in result["results"]] == [
        ("rejected", "cccd_invalid"),
        ("accepted", None),
    ]
