"""The field app through a weak link: a browser closed mid-upload resumes from the server's
offset when it is opened again, and cut connections cost no byte before that offset twice."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from playwright.async_api import BrowserContext, Playwright, async_playwright, expect

from backend.settings import Settings
from backend.sync.tables import Upload
from media.store import LocalBlobStore
from tests.field_app.test_field_app import PHONE, capture, files
from tests.field_sync.test_end_to_end import issue_code
from tests.field_sync.test_server_faults import wait_for_partial_upload
from tests.field_sync.weaklink import WeakLink
from tests.helpers import ServerProcess, Staff, server_env
from tests.web.test_browser import CHROMIUM

pytestmark = pytest.mark.slow


async def open_app(playwright: Playwright, profile: Path) -> BrowserContext:
    """Chromium with a profile kept on disk, as a phone keeps its browser's storage."""
    return await playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
        viewport=PHONE,
        has_touch=True,
        is_mobile=True,
    )


async def test_field_app__closed_mid_upload_resumes_and_sends_each_dossier_once(
    client: httpx.AsyncClient, staff: Staff, settings: Settings, team_id: int, tmp_path: Path
) -> None:
    photos = files(tmp_path)
    profile = tmp_path / "profile"
    server = ServerProcess(server_env(settings), tmp_path)
    server.start()
    try:
        # Cut every 40 KiB: each page (a WebP of about 70 KB) is cut at least once.
        with WeakLink(server.port, bytes_per_s=24 * 1024, cut_every=40 * 1024) as link:
            async with async_playwright() as playwright:
                context = await open_app(playwright, profile)
                page = context.pages[0] if context.pages else await context.new_page()
                await page.goto(f"{link.base}/thiet-bi/")
                await page.get_by_label("Mã đăng ký").fill(
                    await issue_code(server.base, staff, team_id)
                )
                await page.get_by_role("button", name="Đăng ký", exact=True).click()
                await expect(page.get_by_role("heading", name="Tổ lưu động 1")).to_be_visible()
                await context.set_offline(True)
                for n in range(3):
                    await capture(page, photos, f"page{n}")
                await context.set_offline(False)
                await page.evaluate("window.dispatchEvent(new Event('online'))")
                partial = await asyncio.to_thread(wait_for_partial_upload, settings.media_root)
                await context.close()  # the browser is gone mid-upload

                context = await open_app(playwright, profile)
                page = context.pages[0] if context.pages else await context.new_page()
                await page.goto(f"{link.base}/thiet-bi/")
                await expect(page.locator(".dossiers .state.committed")).to_have_count(
                    3, timeout=120_000
                )
                await context.close()
            carried = link.stats.upstream_bytes
            cuts = link.stats.cuts
    finally:
        server.stop()
    inbox = (await client.get("/api/v1/dossiers", headers=staff["clerk.a"].auth)).json()
    payload = 0
    uploads: dict[str, list[bool]] = {}
    for dossier in inbox["items"]:
        full = (
            await client.get(f"/api/v1/dossiers/{dossier['id']}", headers=staff["clerk.a"].auth)
        ).json()
        for document in full["documents"]:
            payload += await LocalBlobStore(settings.media_root).size(document["sha256"])
            rows = await Upload.select(Upload.offset, Upload.length).where(
                Upload.sha256 == document["sha256"]
            )
            uploads[document["sha256"]] = sorted(r["offset"] == r["length"] for r in rows)

    assert partial > 0
    assert cuts > 0
    assert inbox["total"] == 3
    assert len({d["id"] for d in inbox["items"]}) == 3
    # The reopened app went on with the upload the closed one began (one tus upload per scan
    # completed, resumed from the server's offset), it did not start the scans again. A
    # creation cut mid-body (the scan rides in it) leaves one more that never completes: the
    # app had no address to resume it by, created the upload again empty, and creates the
    # next ones empty too (one such cut per upload running at the time: two).
    assert all(done in ([True], [False, True]) for done in uploads.values()), uploads
    assert sum(len(done) - 1 for done in uploads.values()) <= 2, uploads
    # What the link carried: the scans, the requests' headers and JSON, and the tail of each
    # cut request that the server did not keep (see docs/field-app.md for the figures).
    assert carried < payload * 2, (carried, payload)
