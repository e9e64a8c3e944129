"""Device enrolment by one-time code, device tokens, revocation and bootstrap."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from backend.clock import FrozenClock
from media import decode_qr
from tests.helpers import Staff, assert_problem

PROCEDURE = {
    "code": "1.001193",
    "name": "Đăng ký khai sinh",
    "processing_days": 0,
    "documents": [{"key": "to_khai", "name": "Tờ khai", "kind": "original"}],
}


@pytest.fixture
async def team(staff: Staff) -> dict[str, Any]:
    await staff.post_created("/api/v1/procedures", PROCEDURE)
    return await staff.post_created("/api/v1/teams", {"kind": "roaming", "name": "Tổ lưu động 1"})


async def issue(client: httpx.AsyncClient, staff: Staff, team_id: int) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/teams/{team_id}/enrolment-codes", headers=staff["admin.a"].auth
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def enroll(client: httpx.AsyncClient, code: str, name: str = "Máy 1") -> httpx.Response:
    return await client.post(
        "/api/v1/devices/enroll", json={"code": code, "name": name, "app_version": "0.1.0"}
    )


async def enrolled(client: httpx.AsyncClient, staff: Staff, team_id: int) -> dict[str, Any]:
    response = await enroll(client, (await issue(client, staff, team_id))["code"])
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_issue_code__qr_carries_server_and_code(
    client: httpx.AsyncClient, staff: Staff, team: dict[str, Any]
) -> None:
    code = await issue(client, staff, team["id"])

    assert len(code["code"]) == 14
    assert code["code"].count("-") == 2
    decoded = decode_qr(base64.b64decode(code["qr_png"]))
    payload = json.loads(decoded[0].text)
    assert payload == {"v": 1, "server": "http://testserver.local", "code": code["code"]}
    assert code["expires_at"] == "2026-03-03T02:00:00Z"


async def test_enroll__gives_a_token_for_the_team_and_the_code_works_once(
    client: httpx.AsyncClient, staff: Staff, team: dict[str, Any]
) -> None:
    code = (await issue(client, staff, team["id"]))["code"]

    first = await enroll(client, code.lower().replace("-", " "))
    again = await enroll(client, code, "Máy 2")

    assert first.status_code == 201
    body = first.json()
    assert body["token"].startswith("ldd_")
    assert body["team"]["id"] == team["id"]
    assert body["commune"]["code"] == "07192"
    assert_problem(again, 401, "enrolment_code_invalid")
    devices = (await client.get("/api/v1/devices", headers=staff["admin.a"].auth)).json()
    assert [(d["id"], d["name"], d["app_version"]) for d in devices] == [
        (body["device_id"], "Máy 1", "0.1.0")
    ]


async def test_enroll__expired_or_unknown_code_is_refused(
    client: httpx.AsyncClient, staff: Staff, team: dict[str, Any], clock: FrozenClock
) -> None:
    code = (await issue(client, staff, team["id"]))["code"]
    clock.advance(timedelta(hours=24, seconds=1))

    assert_problem(await enroll(client, code), 401, "enrolment_code_invalid")
    assert_problem(await enroll(client, "AAAA-BBBB-CCCC"), 401, "enrolment_code_invalid")


async def test_enroll__racing_devices_with_one_code_give_one_device(
    client: httpx.AsyncClient, staff: Staff, team: dict[str, Any]
) -> None:
    code = (await issue(client, staff, team["id"]))["code"]

    responses = await asyncio.gather(*(enroll(client, code, f"Máy {i}") for i in range(5)))

    assert sorted(r.status_code for r in responses) == [201, 401, 401, 401, 401]
    assert len((await client.get("/api/v1/devices", headers=staff["admin.a"].auth)).json()) == 1


async def test_issue_code__only_admins_and_only_for_their_communes_teams(
    client: httpx.AsyncClient, staff: Staff, team: dict[str, Any]
) -> None:
    url = f"/api/v1/teams/{team['id']}/enrolment-codes"

    assert_problem(await client.post(url, headers=staff["clerk.a"].auth), 403, "forbidden")
    assert_problem(await client.post(url, headers=staff["admin.b"].auth), 404, "not_found")


async def test_bootstrap__team_commune_catalog_limits_and_server_time(
    client: httpx.AsyncClient, staff: Staff, team: dict[str, Any]
) -> None:
    device = await enrolled(client, staff, team["id"])

    response = await client.get("/api/v1/sync/bootstrap", headers=bearer(device["token"]))

    assert response.status_code == 200
    boot = response.json()
    assert boot["device_id"] == device["device_id"]
    assert boot["team"]["name"] == "Tổ lưu động 1"
    assert boot["commune"]["agency_code"] == "TEST.07192"
    assert [p["code"] for p in boot["procedures"]] == ["1.001193"]
    assert boot["catalog_revision"] == 1
    assert boot["limits"]["chunk_bytes"] == 128 * 1024
    assert "image/jpeg" in boot["limits"]["accepted_media_types"]
    assert boot["server_time"] == "2026-03-02T02:00:00Z"


async def test_bootstrap__etag_answers_304_until_the_catalog_changes(
    client: httpx.AsyncClient, staff: Staff, team: dict[str, Any], clock: FrozenClock
) -> None:
    auth = bearer((await enrolled(client, staff, team["id"]))["token"])
    etag = (await client.get("/api/v1/sync/bootstrap", headers=auth)).headers["etag"]
    clock.advance(timedelta(minutes=5))

    same = await client.get("/api/v1/sync/bootstrap", headers={**auth, "If-None-Match": etag})
    await staff.post_created(
        "/api/v1/procedures", {**PROCEDURE, "code": "1.000656", "name": "Khai tử"}
    )
    changed = await client.get("/api/v1/sync/bootstrap", headers={**auth, "If-None-Match": etag})

    assert same.status_code == 304
    assert changed.status_code == 200
    assert len(changed.json()["procedures"]) == 2


async def test_revoke__takes_effect_on_the_next_request(
    client: httpx.AsyncClient, staff: Staff, team: dict[str, Any]
) -> None:
    device = await enrolled(client, staff, team["id"])
    auth = bearer(device["token"])
    url = f"/api/v1/devices/{device['device_id']}/revoke"

    other_admin = await client.post(url, headers=staff["admin.b"].auth)
    clerk = await client.post(url, headers=staff["clerk.a"].auth)
    assert (await client.get("/api/v1/sync/bootstrap", headers=auth)).status_code == 200
    revoked = await client.post(url, headers=staff["admin.a"].auth)

    assert_problem(other_admin, 404, "not_found")
    assert_problem(clerk, 403, "forbidden")
    assert revoked.json()["revoked_at"] is not None
    assert_problem(await client.get("/api/v1/sync/bootstrap", headers=auth), 401, "device_revoked")


async def test_tokens__devices_and_staff_stay_on_their_own_routes(
    client: httpx.AsyncClient, staff: Staff, team: dict[str, Any]
) -> None:
    auth = bearer((await enrolled(client, staff, team["id"]))["token"])

    assert_problem(await client.get("/api/v1/dossiers", headers=auth), 403, "forbidden")
    assert_problem(
        await client.get("/api/v1/sync/bootstrap", headers=staff["admin.a"].auth), 403, "forbidden"
    )
    assert_problem(
        await client.get("/api/v1/sync/bootstrap", headers=bearer("ldd_forged")),
        401,
        "unauthenticated",
    )


async def test_device__last_seen_and_app_version_are_recorded(
    client: httpx.AsyncClient, staff: Staff, team: dict[str, Any], clock: FrozenClock
) -> None:
    device = await enrolled(client, staff, team["id"])
    clock.advance(timedelta(hours=2))

    await client.get(
        "/api/v1/sync/bootstrap", headers={**bearer(device["token"]), "X-App-Version": "0.2.0"}
    )

    listed = (await client.get("/api/v1/devices", headers=staff["admin.a"].auth)).json()[0]
    assert listed["app_version"] == "0.2.0"
    assert listed["last_seen_at"] == "2026-03-02T04:00:00Z"
