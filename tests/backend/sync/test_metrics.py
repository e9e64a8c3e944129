"""``/metrics``: what an operator watches moves with what the field and the office do, names
routes by template (never a dossier's id), and is answered only to the networks allowed."""

from __future__ import annotations

import re

import httpx
from litestar import Litestar

from tests.backend.sync.conftest import Device, new_dossier, scan
from tests.backend.sync.test_batches import push
from tests.helpers import COMMUNE_A, Staff


def _samples(text: str) -> dict[str, float]:
    """``name{labels}`` → value, for the lines that are samples."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            found[name] = float(value)
    return found


async def test_metrics__count_uploads_commits_errors_and_the_unreceived_queue(
    client: httpx.AsyncClient, device: Device, staff: Staff
) -> None:
    before = _samples((await client.get("/metrics")).text)
    scans = [scan(1), scan(2)]

    await push(client, device, [new_dossier(scans)], scans)
    missing = await client.get(
        "/api/v1/dossiers/01HZZZZZZZZZZZZZZZZZZZZZZZ", headers=staff["clerk.a"].auth
    )
    response = await client.get("/metrics")
    after = _samples(response.text)

    def grew(name: str) -> float:
        return after.get(name, 0.0) - before.get(name, 0.0)

    assert missing.status_code == 404
    assert response.headers["content-type"].startswith("text/plain")
    assert grew("luudong_uploads_completed_total") == 2
    assert grew("luudong_upload_bytes_total") == sum(len(s) for s in scans)
    assert grew('luudong_batch_items_total{outcome="accepted"}') == 1
    assert grew('luudong_errors_total{code="not_found"}') >= 1
    assert after[f'luudong_dossiers_awaiting_receipt{{commune="{COMMUNE_A}"}}'] == 1
    routes = {m.group(1) for m in re.finditer(r'path="([^"]*)"', response.text)}
    assert "/api/v1/dossiers/{dossier_id}" in routes
    assert not any("01HZZ" in r for r in routes), "route templates, not the ids in them"


async def test_metrics__are_not_shown_to_a_public_address(app: Litestar) -> None:
    outside = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    inside = httpx.ASGITransport(app=app, client=("10.1.2.3", 40000))
    async with (
        httpx.AsyncClient(transport=outside, base_url="http://t") as stranger,
        httpx.AsyncClient(transport=inside, base_url="http://t") as scraper,
    ):
        refused = await stranger.get("/metrics")
        answered = await scraper.get("/metrics")

    assert refused.status_code == 404
    assert "luudong_" not in refused.text
    assert answered.status_code == 200
