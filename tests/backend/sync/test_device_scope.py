"""A device acts only on its own team's dossiers; a retired team's codes and devices stop."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.backend.sync.conftest import APPLICANT, PROCEDURE, Device, enrol, new_dossier, scan, sha
from tests.backend.sync.test_batches import push
from tests.helpers import Staff, assert_problem


@pytest.fixture
async def other_team(client: httpx.AsyncClient, staff: Staff, device: Device) -> Device:
    """A device of a second team of the same commune."""
    team = await staff.post_created("/api/v1/teams", {"kind": "roaming", "name": "Tổ lưu động 2"})
    return await enrol(client, staff, team["id"])


async def _supplement_wanted(client: httpx.AsyncClient, staff: Staff, dossier_id: str) -> str:
    clerk = staff["clerk.a"].auth
    url = f"/api/v1/dossiers/{dossier_id}"
    await client.post(f"{url}/receive", json={}, headers=clerk)
    await client.post(
        f"{url}/request-supplement",
        json={"items": [{"document_key": "to_khai", "problem": "invalid"}]},
        headers=clerk,
    )
    code: str = (await client.get(url, headers=clerk)).json()["code"]
    return code


def _follow_ups(dossier_id: str, code: str, page: bytes) -> list[dict[str, Any]]:
    return [
        {
            "type": "supplement",
            "dossier_code": code,
            "documents": [{"key": "to_khai", "sha256": sha(page)}],
        },
        {"type": "rating", "dossier_id": dossier_id, "level": "very_satisfied"},
        {
            "type": "delivery",
            "dossier_id": dossier_id,
            "delivery": {"method": "post", "address": "Thôn Nam Hà"},
        },
    ]


async def test_scope__another_teams_dossier_is_not_found_for_every_follow_up(
    client: httpx.AsyncClient, device: Device, other_team: Device, staff: Staff
) -> None:
    first = scan(51)
    dossier = new_dossier([first])
    await push(client, device, [dossier], [first])
    code = await _supplement_wanted(client, staff, dossier["id"])
    page = scan(52)

    _, result = await push(client, other_team, _follow_ups(dossier["id"], code, page), [page])

    assert [(r["outcome"], r["code"]) for r in result["results"]] == [("rejected", "not_found")] * 3
    held = (
        await client.get(f"/api/v1/dossiers/{dossier['id']}", headers=staff["clerk.a"].auth)
    ).json()
    assert held["status"]["code"] == 5
    assert [d["sha256"] for d in held["documents"]] == [sha(first)]
    assert held["delivery"]["method"] == "counter"


async def test_scope__a_counter_dossier_is_not_a_devices_to_change(
    client: httpx.AsyncClient, device: Device, staff: Staff
) -> None:
    counter = await staff.post_created(
        "/api/v1/dossiers",
        {"procedure_code": PROCEDURE["code"], "applicant": APPLICANT, "consent": True},
        as_="clerk.a",
    )
    code = await _supplement_wanted(client, staff, counter["id"])
    page = scan(53)

    _, result = await push(client, device, _follow_ups(counter["id"], code, page), [page])

    assert [r["code"] for r in result["results"]] == ["not_found"] * 3


async def test_scope__the_own_team_still_can(
    client: httpx.AsyncClient, device: Device, staff: Staff
) -> None:
    first = scan(54)
    dossier = new_dossier([first])
    await push(client, device, [dossier], [first])
    code = await _supplement_wanted(client, staff, dossier["id"])
    page = scan(55)

    _, result = await push(client, device, _follow_ups(dossier["id"], code, page), [page])

    assert [r["outcome"] for r in result["results"]] == ["accepted"] * 3


async def test_retired_team__its_devices_and_unused_codes_stop(
    client: httpx.AsyncClient, device: Device, staff: Staff
) -> None:
    admin = staff["admin.a"].auth
    code = await client.post(f"/api/v1/teams/{device.team_id}/enrolment-codes", headers=admin)
    retired = await client.delete(f"/api/v1/teams/{device.team_id}", headers=admin)
    assert retired.status_code == 204

    bootstrap = await client.get("/api/v1/sync/bootstrap", headers=device.auth)
    enrolled = await client.post("/api/v1/devices/enroll", json={"code": code.json()["code"]})

    assert_problem(bootstrap, 401, "device_revoked")
    assert_problem(enrolled, 401, "enrolment_code_invalid")


async def test_counter__a_clerk_cannot_claim_a_field_channel(
    client: httpx.AsyncClient, device: Device, staff: Staff
) -> None:
    response = await client.post(
        "/api/v1/dossiers",
        json={
            "procedure_code": PROCEDURE["code"],
            "applicant": APPLICANT,
            "consent": True,
            "channel": "field_team",
        },
        headers=staff["clerk.a"].auth,
    )

    assert_problem(response, 422, "validation_failed")
    listed = await client.get("/api/v1/dossiers", headers=staff["clerk.a"].auth)
    assert listed.json()["total"] == 0
