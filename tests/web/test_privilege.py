"""Least privilege: what viewers see, what a grant adds, and how a reset ends access."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from backend.auth.roles import ROLE_PERMISSIONS, Permission
from schemas.accounts import Role
from tests.backend.sync.conftest import APPLICANT, Device
from tests.helpers import PASSWORD, Staff, assert_problem
from tests.web.test_pages import pushed

__all__ = ["pushed"]


async def _receive(client: httpx.AsyncClient, staff: Staff, dossier_id: str) -> None:
    response = await client.post(
        f"/api/v1/dossiers/{dossier_id}/receive", json={}, headers=staff["clerk.a"].auth
    )
    assert response.status_code == 200, response.text


async def _grant(client: httpx.AsyncClient, staff: Staff, username: str, on: bool) -> None:
    user_id = staff[username].user_id
    response = await client.patch(
        f"/api/v1/users/{user_id}", json={"personal_data": on}, headers=staff["admin.a"].auth
    )
    assert response.status_code == 200, response.text


async def test_viewer__api_withholds_the_applicants_details_id_number_and_token(
    client: httpx.AsyncClient, staff: Staff, pushed: dict[str, Any]
) -> None:
    await _receive(client, staff, pushed["id"])

    seen = (
        await client.get(f"/api/v1/dossiers/{pushed['id']}", headers=staff["viewer.a"].auth)
    ).json()
    clerk = (
        await client.get(f"/api/v1/dossiers/{pushed['id']}", headers=staff["clerk.a"].auth)
    ).json()

    assert seen["applicant"]["full_name"] == APPLICANT["full_name"]
    assert seen["applicant"]["id_number"] is None
    assert seen["tracking_token"] is None
    assert set(seen["withheld"]) >= {"applicant.id_number", "applicant.phone", "tracking_token"}
    assert clerk["applicant"]["id_number"] == APPLICANT["id_number"]
    assert clerk["tracking_token"]
    assert clerk["withheld"] == []


async def test_viewer__no_scan_no_id_card_no_printed_form(
    open_browser: Any, client: httpx.AsyncClient, staff: Staff, pushed: dict[str, Any]
) -> None:
    await _receive(client, staff, pushed["id"])
    viewer = await open_browser("viewer.a")
    base = f"/ho-so/{pushed['id']}"

    page = await viewer.get(base)
    answers = [
        (await viewer.get(path)).status_code
        for path in (
            f"{base}/anh/{pushed['page']}",
            f"{base}/anh/{pushed['page']}/nho",
            f"{base}/anh/{pushed['card']}",
            f"{base}/xem/{pushed['card']}",
            f"{base}/in/mau-01",
        )
    ]

    assert page.status_code == 200
    assert APPLICANT["id_number"] not in page.text
    assert "/anh/" not in page.text
    assert "In phiếu" not in page.text
    assert answers == [403] * 5


async def test_viewer__a_granted_viewer_sees_scans_and_the_id_number_but_prints_nothing(
    open_browser: Any, client: httpx.AsyncClient, staff: Staff, pushed: dict[str, Any]
) -> None:
    await _receive(client, staff, pushed["id"])
    await _grant(client, staff, "viewer.a", True)
    viewer = await open_browser("viewer.a")
    base = f"/ho-so/{pushed['id']}"

    page = await viewer.get(base)
    card = await viewer.get(f"{base}/anh/{pushed['card']}")
    printed = await viewer.get(f"{base}/in/mau-01")
    await _grant(client, staff, "viewer.a", False)
    withdrawn = await viewer.get(f"{base}/anh/{pushed['card']}")

    assert APPLICANT["id_number"] in page.text
    assert card.status_code == 200
    assert printed.status_code == 403
    assert withdrawn.status_code == 403


async def test_viewer__searching_an_id_number_finds_nothing(
    client: httpx.AsyncClient, staff: Staff, pushed: dict[str, Any]
) -> None:
    url = f"/api/v1/dossiers?q={APPLICANT['id_number']}"

    viewer = (await client.get(url, headers=staff["viewer.a"].auth)).json()
    clerk = (await client.get(url, headers=staff["clerk.a"].auth)).json()

    assert viewer["total"] == 0
    assert clerk["total"] == 1


@pytest.mark.parametrize(
    "change",
    [{"password": "a-new-password-2026"}, {"role": "viewer"}, {"active": False}],
    ids=["password-reset", "role-change", "lock"],
)
async def test_account_change__ends_sessions_and_personal_tokens(
    client: httpx.AsyncClient, new_client: Any, staff: Staff, change: dict[str, Any]
) -> None:
    clerk = staff["clerk.a"]
    browser = new_client()
    session = await browser.post(
        "/api/v1/auth/login", json={"username": clerk.username, "password": PASSWORD}
    )
    assert session.status_code == 201
    assert (await client.get("/api/v1/auth/me", headers=clerk.auth)).status_code == 200

    changed = await client.patch(
        f"/api/v1/users/{clerk.user_id}", json=change, headers=staff["admin.a"].auth
    )

    assert changed.status_code == 200, changed.text
    assert_problem(await client.get("/api/v1/auth/me", headers=clerk.auth), 401, "unauthenticated")
    assert_problem(await browser.get("/api/v1/auth/me"), 401, "unauthenticated")


def test_role_table__viewers_hold_no_personal_data_and_only_admins_administer() -> None:
    viewer = ROLE_PERMISSIONS[Role.viewer]
    assert viewer == {Permission.dossiers, Permission.reports}
    assert [r for r, granted in ROLE_PERMISSIONS.items() if Permission.admin in granted] == [
        Role.admin
    ]


async def test_device__is_not_a_viewer(client: httpx.AsyncClient, device: Device) -> None:
    response = await client.get("/api/v1/dossiers", headers=device.auth)

    assert_problem(response, 403, "forbidden")
