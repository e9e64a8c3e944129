"""A world to attack: two communes, devices of three teams, a pushed dossier, sessions."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from backend.accounts.tables import LoginThrottle
from backend.wiring import TABLES, Services
from tests.backend.sync.conftest import (
    PROCEDURE,
    Device,
    enrol,
    metadata,
    new_dossier,
    scan,
    sha,
)
from tests.backend.sync.test_batches import push
from tests.helpers import PASSWORD, Browser, Staff

__all__ = ["Snapshot", "World", "world"]

UNCOUNTED = {LoginThrottle}
"""Tables a refused request may still write: wrong passwords count towards the wait."""


@dataclass
class World:
    """Everything a hostile request can aim at."""

    client: httpx.AsyncClient
    staff: Staff
    services: Services
    devices: dict[str, Device]
    dossier_id: str
    dossier_code: str
    tracking_token: str
    counter_id: str
    page: str
    card: str
    batch_id: str
    upload_url: str
    team_a: int
    team_b: int
    override_id: int
    cookie: httpx.AsyncClient
    """Logged in as ``clerk.a`` with a session cookie (the CSRF token is ``csrf``)."""
    csrf: str
    browser: Browser
    """The clerk's pages, logged in as ``admin.a`` (forms carry ``browser.csrf``)."""
    extra: dict[str, Any] = field(default_factory=dict)

    def auth(self, who: str | None) -> dict[str, str]:
        """The bearer header of a staff account (``clerk.a``) or a device (``dev:a1``)."""
        if who is None:
            return {}
        if who.startswith("dev:"):
            return self.devices[who[4:]].auth
        return self.staff[who].auth


async def snapshot(services: Services) -> Snapshot:
    """Row counts of every table and the files of the blob store and the upload folder."""
    counts = {
        table._meta.tablename: await table.count() for table in TABLES if table not in UNCOUNTED
    }
    root = Path(services.ctx.settings.media_root)
    files = sorted(
        str(p.relative_to(root))
        for folder in ("blobs", "uploads")
        if (root / folder).is_dir()
        for p in (root / folder).rglob("*")
        if p.is_file()
    )
    return Snapshot(counts, files)


@dataclass(frozen=True)
class Snapshot:
    counts: dict[str, int]
    files: list[str]


@pytest.fixture
async def world(
    app: Litestar, client: httpx.AsyncClient, staff: Staff, services: Services
) -> AsyncIterator[World]:
    for admin in ("admin.a", "admin.b"):
        await staff.post_created("/api/v1/procedures", PROCEDURE, as_=admin)
    team_a = await staff.post_created("/api/v1/teams", {"kind": "roaming", "name": "Tổ 1"})
    team_a2 = await staff.post_created("/api/v1/teams", {"kind": "roaming", "name": "Tổ 2"})
    team_b = await staff.post_created(
        "/api/v1/teams", {"kind": "roaming", "name": "Tổ B"}, as_="admin.b"
    )
    devices = {
        "a1": await enrol(client, staff, team_a["id"]),
        "a2": await enrol(client, staff, team_a2["id"]),
        "b": await enrol(client, staff, team_b["id"], as_="admin.b"),
        "revoked": await enrol(client, staff, team_a["id"]),
    }
    await client.post(
        f"/api/v1/devices/{devices['revoked'].id}/revoke", headers=staff["admin.a"].auth
    )
    page, card = scan(61), scan(62)
    dossier = new_dossier([page])
    dossier["documents"].append({"key": "cccd", "sha256": sha(card), "page": 1})
    body, _ = await push(client, devices["a1"], [dossier], [page, card])
    clerk = staff["clerk.a"].auth
    received = await client.post(
        f"/api/v1/dossiers/{dossier['id']}/receive", json={}, headers=clerk
    )
    held = received.json()
    counter = await staff.post_created(
        "/api/v1/dossiers",
        {"procedure_code": PROCEDURE["code"], "applicant": dossier["applicant"], "consent": True},
        as_="clerk.a",
    )
    open_upload = await client.post(
        "/api/v1/uploads",
        headers={
            **devices["a1"].tus,
            "Upload-Length": "1000",
            "Upload-Metadata": metadata(b"", digest="e" * 64),
        },
    )
    override = await client.post(
        "/api/v1/holidays/overrides",
        json={"day": "2026-03-20", "kind": "off", "note": "Nghỉ bù"},
        headers=staff["admin.a"].auth,
    )
    assert override.status_code == 201, override.text
    cookie = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
    )
    login = await cookie.post(
        "/api/v1/auth/login", json={"username": "clerk.a", "password": PASSWORD}
    )
    pages = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
    )
    browser = Browser(pages)
    assert (await browser.log_in("admin.a")).status_code == 303
    form = await pages.get("/quan-tri/to")
    browser.csrf = re.search(r'name="_csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    try:
        yield World(
            client=client,
            staff=staff,
            services=services,
            devices=devices,
            dossier_id=dossier["id"],
            dossier_code=held["code"],
            tracking_token=held["tracking_token"],
            counter_id=counter["id"],
            page=sha(page),
            card=sha(card),
            batch_id=body["batch_id"],
            upload_url=open_upload.headers["location"],
            team_a=team_a["id"],
            team_b=team_b["id"],
            override_id=override.json()["id"],
            cookie=cookie,
            csrf=login.json()["csrf_token"],
            browser=browser,
        )
    finally:
        await cookie.aclose()
        await pages.aclose()
