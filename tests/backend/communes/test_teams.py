"""Teams of a commune: admin CRUD, validation, optimistic concurrency, commune scoping."""

from __future__ import annotations

import httpx

from tests.helpers import Staff, assert_problem

POINT = {
    "kind": "residential_point",
    "name": "Tổ dân phố điện tử Thôn Nam Hà",
    "cultural_house_address": "Nhà văn hoá thôn Nam Hà",
    "leader_name": "Vũ Thị Thu",
    "phone": "0912 345 678",
}


async def test_create_team__residential_point_keeps_its_cultural_house(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    team = await staff.post_created("/api/v1/teams", POINT)

    assert team["kind"] == "residential_point"
    assert team["cultural_house_address"] == "Nhà văn hoá thôn Nam Hà"
    assert team["commune_code"] == "07192"
    assert team["version"] == 1
    fetched = await client.get(f"/api/v1/teams/{team['id']}", headers=staff["viewer.a"].auth)
    assert fetched.json() == team


async def test_create_team__residential_point_without_address_is_422(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    body = {**POINT, "cultural_house_address": None}

    response = await client.post("/api/v1/teams", json=body, headers=staff["admin.a"].auth)

    problem = assert_problem(response, 422, "validation_failed")
    assert problem["errors"][0]["field"] == "body.cultural_house_address"
    assert (await client.get("/api/v1/teams", headers=staff["admin.a"].auth)).json() == []


async def test_create_team__unknown_kind_is_422(client: httpx.AsyncClient, staff: Staff) -> None:
    response = await client.post(
        "/api/v1/teams", json={"kind": "mobile_van", "name": "x"}, headers=staff["admin.a"].auth
    )

    problem = assert_problem(response, 422, "validation_failed")
    assert problem["errors"][0]["field"] == "body.kind"


async def test_update_team__bumps_version_and_stale_version_is_409(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    team = await staff.post_created("/api/v1/teams", POINT)
    url = f"/api/v1/teams/{team['id']}"
    auth = staff["admin.a"].auth

    first = await client.patch(url, json={"leader_name": "Đỗ Văn Nam", "version": 1}, headers=auth)
    stale = await client.patch(url, json={"leader_name": "Ngô Thị B", "version": 1}, headers=auth)

    assert first.status_code == 200
    assert first.json()["version"] == 2
    assert first.json()["leader_name"] == "Đỗ Văn Nam"
    assert_problem(stale, 409, "stale_version")
    assert (await client.get(url, headers=auth)).json()["leader_name"] == "Đỗ Văn Nam"


async def test_update_team__switching_to_point_requires_address(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    team = await staff.post_created("/api/v1/teams", {"kind": "roaming", "name": "Tổ lưu động 2"})

    response = await client.patch(
        f"/api/v1/teams/{team['id']}",
        json={"kind": "residential_point"},
        headers=staff["admin.a"].auth,
    )

    assert_problem(response, 422, "validation_failed")


async def test_delete_team__retires_it_from_listing_but_keeps_the_row(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    team = await staff.post_created("/api/v1/teams", POINT)
    auth = staff["admin.a"].auth

    response = await client.delete(f"/api/v1/teams/{team['id']}", headers=auth)

    assert response.status_code == 204
    assert (await client.get("/api/v1/teams", headers=auth)).json() == []
    everything = await client.get("/api/v1/teams?include_inactive=true", headers=auth)
    assert [t["active"] for t in everything.json()] == [False]


async def test_other_commune__clerk_cannot_read_or_change_the_team(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    team = await staff.post_created("/api/v1/teams", POINT)
    url = f"/api/v1/teams/{team['id']}"

    read = await client.get(url, headers=staff["clerk.b"].auth)
    change = await client.patch(url, json={"name": "chiếm"}, headers=staff["admin.b"].auth)
    listing = await client.get("/api/v1/teams", headers=staff["clerk.b"].auth)

    assert_problem(read, 404, "not_found")
    assert "Nam Hà" not in read.text
    assert_problem(change, 404, "not_found")
    assert listing.json() == []
    assert (await client.get(url, headers=staff["admin.a"].auth)).json()["name"] == POINT["name"]


async def test_commune__admin_sets_agency_code(client: httpx.AsyncClient, staff: Staff) -> None:
    response = await client.patch(
        "/api/v1/commune", json={"agency_code": "000.00.07.H22"}, headers=staff["admin.a"].auth
    )

    assert response.status_code == 200
    body = (await client.get("/api/v1/commune", headers=staff["viewer.a"].auth)).json()
    assert body == {
        "code": "07192",
        "name": "Đặc khu Cô Tô",
        "province_code": "22",
        "province_name": "Quảng Ninh",
        "agency_code": "000.00.07.H22",
        "printed_name": "Đặc khu Cô Tô",
    }


async def test_commune__printed_name_is_set_alone_and_cleared_back_to_the_registry_name(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    auth = staff["admin.a"].auth
    named = await client.patch(
        "/api/v1/commune", json={"printed_name": "đặc khu Cô Tô"}, headers=auth
    )
    cleared = await client.patch("/api/v1/commune", json={"printed_name": ""}, headers=auth)

    assert named.status_code == cleared.status_code == 200
    assert named.json()["printed_name"] == "đặc khu Cô Tô"
    assert named.json()["agency_code"] == "TEST.07192", "the agency code stays"
    assert cleared.json()["printed_name"] == "Đặc khu Cô Tô"


async def test_commune__agency_code_with_path_characters_is_422(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    response = await client.patch(
        "/api/v1/commune", json={"agency_code": "../../etc"}, headers=staff["admin.a"].auth
    )

    assert_problem(response, 422, "validation_failed")


async def test_commune__agency_code_of_another_commune_is_409(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    response = await client.patch(
        "/api/v1/commune", json={"agency_code": "TEST.18073"}, headers=staff["admin.a"].auth
    )

    assert_problem(response, 409, "agency_code_taken")
    body = (await client.get("/api/v1/commune", headers=staff["admin.a"].auth)).json()
    assert body["agency_code"] == "TEST.07192"
