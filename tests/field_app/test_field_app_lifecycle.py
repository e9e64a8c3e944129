"""The field app over time: a new deployment reaches an open app, and a revoked device is told
so, enrols again and still sends what it held."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from backend.field_app.controllers import DIST
from backend.settings import Settings
from tests.field_app.test_field_app import browser, capture, files, phone
from tests.field_sync.test_end_to_end import issue_code
from tests.helpers import Staff, serve, server_env

__all__ = ["browser"]
pytestmark = pytest.mark.slow


def deploy(folder: Path, label: str) -> None:
    """Build the app into ``folder`` as a deployment labelled ``label`` would."""
    subprocess.run(
        [shutil.which("node") or "node", "build.mjs"],
        cwd=DIST.parent,
        env={**os.environ, "OUT_DIR": str(folder), "BUILD_LABEL": label},
        check=True,
        capture_output=True,
        timeout=120,
    )


async def test_field_app__a_new_deployment_updates_an_app_already_installed(
    staff: Staff, settings: Settings, team_id: int, tmp_path: Path, browser: Browser
) -> None:
    app = tmp_path / "app"
    deploy(app, "1.0-thu")
    env = {**server_env(settings), "FIELD_APP_DIR": str(app)}
    with serve(env, tmp_path) as base:
        context = await phone(browser)
        page = await context.new_page()
        await page.goto(f"{base}/thiet-bi/")
        await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        await page.reload()  # now under the worker's control
        await expect(page.locator("#build")).to_have_text("Phiên bản 1.0-thu")
        assert await page.evaluate("Boolean(navigator.serviceWorker.controller)")

        deploy(app, "2.0-thu")
        await page.reload()  # the browser checks the worker on navigation

        await expect(page.locator("#build")).to_have_text("Phiên bản 2.0-thu", timeout=30_000)
        await context.close()


async def test_field_app__a_revoked_device_is_told_enrols_again_and_keeps_its_dossiers(
    client: httpx.AsyncClient,
    staff: Staff,
    settings: Settings,
    team_id: int,
    tmp_path: Path,
    browser: Browser,
) -> None:
    photos = files(tmp_path)
    admin = staff["admin.a"].auth
    with serve(server_env(settings), tmp_path) as base:
        context = await phone(browser)
        page = await context.new_page()
        await page.goto(f"{base}/thiet-bi/")
        await page.get_by_label("Mã đăng ký").fill(await issue_code(base, staff, team_id))
        await page.get_by_role("button", name="Đăng ký", exact=True).click()
        await expect(page.get_by_role("heading", name="Tổ lưu động 1")).to_be_visible()
        [device] = (await client.get("/api/v1/devices", headers=admin)).json()
        revoked = await client.post(f"/api/v1/devices/{device['id']}/revoke", headers=admin)
        assert revoked.status_code == 200, revoked.text

        await capture(page, photos, "page0")
        await expect(page.get_by_text("Thiết bị đã bị thu hồi")).to_be_visible(timeout=30_000)
        await page.get_by_role("link", name="đăng ký lại").click()
        await page.get_by_label("Mã đăng ký").fill(await issue_code(base, staff, team_id))
        await page.get_by_role("button", name="Đăng ký", exact=True).click()
        await expect(page.locator(".dossiers .state.committed")).to_have_count(1, timeout=30_000)
        await context.close()
    inbox = (await client.get("/api/v1/dossiers", headers=staff["clerk.a"].auth)).json()

    assert inbox["total"] == 1
