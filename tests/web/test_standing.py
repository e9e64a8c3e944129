"""Every place that shows a deadline agrees: inbox, dossier page, API, tracking, feed, report.

Five dossiers come from a field device; on Monday 9 March 2026 they stand as follows (3 working
days each; due soon = at most two days away):
- paused for a supplement, and its first due date (5 March) has passed: paused, never overdue;
- paused for a fee, likewise;
- received on 2 March and left: overdue;
- received on Friday 6 March, due Wednesday 11 March: due soon;
- received on 9 March, due 12 March: within.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from backend.clock import FrozenClock
from tests.backend.sync.conftest import Device, new_dossier, scan
from tests.backend.sync.test_batches import push
from tests.helpers import Browser, Staff

EXPECTED = {
    "supplement": "paused",
    "fee": "paused",
    "left": "overdue",
    "friday": "due_soon",
    "monday": "within",
}
LABELS = {
    "paused": "Tạm dừng tính hạn (chờ công dân)",
    "overdue": "Quá hạn",
    "due_soon": "Sắp đến hạn",
    "within": "Trong hạn",
}


async def clerk_post(
    client: httpx.AsyncClient, staff: Staff, dossier_id: str, action: str, body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/dossiers/{dossier_id}/{action}", json=body, headers=staff["clerk.a"].auth
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def five_dossiers(
    client: httpx.AsyncClient, staff: Staff, device: Device, clock: FrozenClock
) -> dict[str, dict[str, Any]]:
    page = scan(31)
    items = {name: new_dossier([page]) for name in EXPECTED}
    await push(client, device, list(items.values()), [page])
    ids = {name: item["id"] for name, item in items.items()}
    for name in ("supplement", "fee", "left"):
        await clerk_post(client, staff, ids[name], "receive", {})
    await clerk_post(
        client,
        staff,
        ids["supplement"],
        "request-supplement",
        {"items": [{"document_key": "to_khai", "problem": "missing"}]},
    )
    await clerk_post(client, staff, ids["fee"], "request-fee", {"amount_vnd": 8000})
    clock.advance(timedelta(days=4))  # Friday 6 March
    await clerk_post(client, staff, ids["friday"], "receive", {})
    clock.advance(timedelta(days=3))  # Monday 9 March
    await clerk_post(client, staff, ids["monday"], "receive", {})
    dossiers = {}
    for name, dossier_id in ids.items():
        response = await client.get(f"/api/v1/dossiers/{dossier_id}", headers=staff["clerk.a"].auth)
        dossiers[name] = response.json()
    return dossiers


async def test_standing__every_surface_agrees_and_a_paused_dossier_is_never_overdue(
    client: httpx.AsyncClient,
    staff: Staff,
    device: Device,
    clock: FrozenClock,
    open_browser: Any,
) -> None:
    dossiers = await five_dossiers(client, staff, device, clock)
    ids = {name: d["id"] for name, d in dossiers.items()}
    clerk = staff["clerk.a"].auth

    # The API: each dossier, the inbox rows, and the filters.
    assert {name: d["standing"] for name, d in dossiers.items()} == EXPECTED
    assert dossiers["supplement"]["due_date"] < "2026-03-09", "its first due date has passed"
    rows = (await client.get("/api/v1/dossiers?limit=200", headers=clerk)).json()["items"]
    by_id = {r["id"]: r for r in rows}
    assert {name: by_id[i]["standing"] for name, i in ids.items()} == EXPECTED
    assert {name: by_id[i]["overdue"] for name, i in ids.items()} == {
        name: standing == "overdue" for name, standing in EXPECTED.items()
    }
    for standing in ("paused", "overdue", "due_soon", "within"):
        listed = (await client.get(f"/api/v1/dossiers?standing={standing}", headers=clerk)).json()
        assert {r["id"] for r in listed["items"]} == {
            ids[n] for n, s in EXPECTED.items() if s == standing
        }, standing
    overdue = (await client.get("/api/v1/dossiers?overdue=true", headers=clerk)).json()
    assert [r["id"] for r in overdue["items"]] == [ids["left"]]

    # The citizen's tracking page (API and HTML): paused says so, and never "Quá hạn".
    for name, dossier in dossiers.items():
        code, token = dossier["code"], dossier["tracking_token"]
        info = (await client.get(f"/api/v1/track/{code}?t={token}")).json()
        assert info["standing"] == EXPECTED[name]
        assert info["timeliness"] == LABELS[EXPECTED[name]]
        html = (await client.get(f"/tra-cuu/{code}?t={token}")).text
        assert LABELS[EXPECTED[name]] in html
        if EXPECTED[name] != "overdue":
            assert "Quá hạn" not in html, name

    # The change feed tells the team the same.
    feed = (await client.get("/api/v1/sync/changes?since=0", headers=device.auth)).json()
    latest = {c["dossier_id"]: c for c in feed["changes"]}
    assert {name: latest[i]["standing"] for name, i in ids.items()} == EXPECTED

    # The report at the end of March 9th.
    report = (
        await client.get("/api/v1/reports/timeliness?from=2026-03-01&to=2026-03-09", headers=clerk)
    ).json()
    assert report["total"]["in_progress"] == {"total": 5, "within": 2, "overdue": 1, "paused": 2}

    # The clerk's pages: the tabs and the dossier page.
    browser: Browser = await open_browser("clerk.a")
    overdue_tab = (await browser.get("/ho-so?nhom=qua-han")).text
    soon_tab = (await browser.get("/ho-so?nhom=sap-den-han")).text
    for name, dossier_id in ids.items():
        assert (f"/ho-so/{dossier_id}" in overdue_tab) == (EXPECTED[name] == "overdue"), name
        assert (f"/ho-so/{dossier_id}" in soon_tab) == (EXPECTED[name] == "due_soon"), name
        dossier_page = (await browser.get(f"/ho-so/{dossier_id}")).text
        assert (">Quá hạn<" in dossier_page) == (EXPECTED[name] == "overdue"), name
        if EXPECTED[name] == "paused":
            assert LABELS["paused"] in dossier_page
