"""The API docs open on a commune's LAN with no Internet: every file they need is this server's."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from playwright.async_api import async_playwright

from backend.settings import Settings
from tests.helpers import serve, server_env


async def test_api_docs__render_from_this_servers_files_alone(
    settings: Settings, tmp_path: Path
) -> None:
    elsewhere: list[str] = []
    with serve(server_env(settings), tmp_path) as base:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                args=["--no-sandbox"],
            )
            page = await browser.new_page()
            own = urlsplit(base).netloc

            async def offline(route: object) -> None:
                request = route.request  # type: ignore[attr-defined]
                if urlsplit(request.url).netloc != own and not request.url.startswith("data:"):
                    elsewhere.append(request.url)
                    await route.abort()  # type: ignore[attr-defined]
                else:
                    await route.continue_()  # type: ignore[attr-defined]

            await page.route("**/*", offline)
            await page.goto(f"{base}/schema")
            operation = page.get_by_text("/api/v1/procedures", exact=True).first
            await operation.wait_for(timeout=15000)
            title = await page.locator(".info .title").inner_text()
            await browser.close()

    assert "Lưu Động API" in title
    assert elsewhere == [], "the docs asked the Internet for files"
