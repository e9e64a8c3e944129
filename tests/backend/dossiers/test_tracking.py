"""Public tracking by the receipt's QR, satisfaction ratings, and the holiday calendar."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest

from backend.app import create_app
from backend.clock import FrozenClock
from backend.settings import Settings
from tests.backend.dossiers.test_lifecycle import APPLICANT, catalog, ok, submit
from tests.helpers import Staff, app_client, assert_problem

__all__ = ["catalog"]  # the fixture, imported for use here


async def received(client: httpx.AsyncClient, staff: Staff) -> dict[str, Any]:
    return await ok(client, staff, (await submit(staff))["id"], "receive")


async def test_track__shows_status_and_dates_but_no_personal_data(
    client: httpx.AsyncClient, staff: Staff, catalog: None
) -> None:
    dossier = await received(client, staff)

    response = await client.get(f"/api/v1/track/{dossier['code']}?t={dossier['tracking_token']}")

    assert response.status_code == 200
    assert response.json() == {
        "code": "TEST.07192-260302-0001",
        "procedure_name": "Cấp Giấy xác nhận tình trạng hôn nhân",
        "status": {"code": 2, "label": "Được tiếp nhận"},
        "received_date": "2026-03-02",
        "due_date": "2026-03-05",
        "extended_due_date": None,
        "finished_date": None,
        "timeliness": "Trong hạn",
        "rated": False,
        "standing": "within",
        "postal_tracking": "",
    }
    for personal in (
        APPLICANT["full_name"],
        APPLICANT["id_number"],
        APPLICANT["phone"],
        APPLICANT["address"],
        "Trần",
        "0912345678",
    ):
        assert personal not in response.text


async def test_track__wrong_or_missing_token_is_the_same_404_as_an_unknown_code(
    client: httpx.AsyncClient, staff: Staff, catalog: None
) -> None:
    dossier = await received(client, staff)
    code = dossier["code"]

    wrong = await client.get(f"/api/v1/track/{code}?t=guess")
    missing = await client.get(f"/api/v1/track/{code}")
    unknown = await client.get("/api/v1/track/TEST.07192-260302-9999?t=guess")

    bodies = [assert_problem(r, 404, "not_found") for r in (wrong, missing, unknown)]
    assert {b["detail"] for b in bodies} == {bodies[0]["detail"]}


async def test_track__overdue_open_dossier_says_so(
    client: httpx.AsyncClient, staff: Staff, catalog: None, clock: FrozenClock
) -> None:
    dossier = await received(client, staff)
    clock.advance(timedelta(days=4))

    info = (
        await client.get(f"/api/v1/track/{dossier['code']}?t={dossier['tracking_token']}")
    ).json()

    assert info["timeliness"] == "Quá hạn"


async def test_track__is_rate_limited_per_client_address(
    settings: Settings, clock: FrozenClock, staff: Staff
) -> None:
    app = create_app(replace(settings, tracking_requests_per_minute=2), clock=clock)
    async with app_client(app) as client:
        codes = [(await client.get("/api/v1/track/X-1?t=y")).status_code for _ in range(3)]

    assert codes == [404, 404, 429]


async def test_satisfaction__citizen_rates_once_by_token(
    client: httpx.AsyncClient, staff: Staff, catalog: None
) -> None:
    dossier = await received(client, staff)
    url = f"/api/v1/track/{dossier['code']}/satisfaction?t={dossier['tracking_token']}"

    first = await client.post(url, json={"level": "very_satisfied", "comment": "Nhanh"})
    second = await client.post(url, json={"level": "dissatisfied"})
    forged = await client.post(
        f"/api/v1/track/{dossier['code']}/satisfaction?t=x", json={"level": "neutral"}
    )
    clerk = await client.post(
        f"/api/v1/dossiers/{dossier['id']}/satisfaction",
        json={"level": "neutral"},
        headers=staff["clerk.a"].auth,
    )

    assert first.status_code == 204
    assert_problem(second, 409, "already_rated")
    assert_problem(forged, 404, "not_found")
    assert_problem(clerk, 409, "already_rated")
    info = (
        await client.get(f"/api/v1/track/{dossier['code']}?t={dossier['tracking_token']}")
    ).json()
    assert info["rated"] is True


@pytest.mark.parametrize("level", ["excellent", ""])
async def test_satisfaction__unknown_level_is_422(
    client: httpx.AsyncClient, staff: Staff, catalog: None, level: str
) -> None:
    dossier = await submit(staff)

    response = await client.post(
        f"/api/v1/dossiers/{dossier['id']}/satisfaction",
        json={"level": level},
        headers=staff["clerk.a"].auth,
    )

    assert_problem(response, 422, "validation_failed")


async def test_holidays__override_moves_new_due_dates_only(
    client: httpx.AsyncClient, staff: Staff, catalog: None
) -> None:
    before = await received(client, staff)
    admin = staff["admin.a"].auth

    added = await client.post(
        "/api/v1/holidays/overrides",
        json={"day": "2026-03-03", "kind": "off", "note": "Bão"},
        headers=admin,
    )
    again = await client.post(
        "/api/v1/holidays/overrides", json={"day": "2026-03-03", "kind": "work"}, headers=admin
    )
    after = await received(client, staff)

    assert added.status_code == 201
    assert_problem(again, 409, "holiday_override_exists")
    assert before["due_date"] == "2026-03-05"
    assert after["due_date"] == "2026-03-06"
    removed = await client.delete(f"/api/v1/holidays/overrides/{added.json()['id']}", headers=admin)
    assert removed.status_code == 204
    assert (await client.get("/api/v1/holidays/overrides", headers=admin)).json() == []


async def test_holidays__calendar_lists_tet_and_the_make_up_saturday(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    days = (await client.get("/api/v1/holidays?year=2026", headers=staff["viewer.a"].auth)).json()

    by_day = {d["day"]: d for d in days}
    assert by_day["2026-02-17"]["working"] is False
    assert by_day["2026-08-22"] == {
        "day": "2026-08-22",
        "working": True,
        "name": "Ngày làm bù",
        "source": "national",
    }
    assert by_day["2026-08-31"]["working"] is False


async def test_holidays__only_admins_add_overrides(client: httpx.AsyncClient, staff: Staff) -> None:
    response = await client.post(
        "/api/v1/holidays/overrides",
        json={"day": "2026-03-03", "kind": "off"},
        headers=staff["clerk.a"].auth,
    )

    assert_problem(response, 403, "forbidden")
