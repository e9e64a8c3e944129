"""The field app in a real browser (Debian's Chromium through Playwright) at a phone's size.

The server runs as a real process; the app enrols, captures offline into IndexedDB, survives a
reload with the network off (its service worker serves the shell), syncs when the link returns,
shows the clerk's supplement request and sends the missing pages.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, Route, async_playwright, expect

from backend.settings import Settings
from media.store import LocalBlobStore
from tests.field_sync.test_end_to_end import CCCD, issue_code
from tests.helpers import Staff, serve, server_env
from tests.media.imagery import document_photo, encode, qr_image
from tests.web.test_browser import CHROMIUM, UNLABELLED, Console, shot

pytestmark = pytest.mark.slow
PHONE = {"width": 360, "height": 780}


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
        )
        yield browser
        await browser.close()


CARD_ADDRESS = CCCD.split("|")[5]


async def phone(browser: Browser) -> BrowserContext:
    return await browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, locale="vi-VN")


def files(folder: Path) -> dict[str, Path]:
    card = folder / "cccd.png"
    card.write_bytes(encode(qr_image(CCCD, scale=6), "PNG"))
    pages = {"card": card}
    for n in range(4):
        page = folder / f"page{n}.jpg"
        page.write_bytes(document_photo(n, size=(2400, 1800), quality=90))
        pages[f"page{n}"] = page
    return pages


async def capture(
    page: Page, photos: dict[str, Path], page_key: str, by_post: bool = False
) -> None:
    await page.get_by_role("link", name="Thu hồ sơ mới").click()
    await page.get_by_label("Tìm thủ tục").fill("tinh trang hon nhan")
    await expect(page.get_by_label("Thủ tục", exact=True)).to_have_value("1.004873")
    await page.get_by_label("Chụp mã QR trên căn cước").set_input_files(photos["card"])
    await expect(page.get_by_label("Họ và tên")).to_have_value("Trần Hữu Đạt")
    await page.locator("#doc-to_khai").set_input_files(photos[page_key])
    await page.get_by_label("Nơi thu hồ sơ").fill("Thôn Bắc Vàn")
    if by_post:  # to the applicant's address, read from the card
        await page.get_by_label("Nhận kết quả").select_option("post")
    await page.get_by_label("Người nộp đồng ý").check()
    await page.get_by_role("button", name="Lưu hồ sơ vào máy").click()
    await expect(page.get_by_role("heading", name="Hồ sơ trên máy")).to_be_visible(timeout=30_000)


async def states(page: Page) -> list[str]:
    return await page.locator(".dossiers .state").all_inner_texts()


async def test_field_app__enrol_capture_offline_reopen_sync_and_send_a_supplement(
    client: httpx.AsyncClient,
    staff: Staff,
    settings: Settings,
    team_id: int,
    tmp_path: Path,
    browser: Browser,
) -> None:
    photos = files(tmp_path)
    console = Console()
    clerk = staff["clerk.a"].auth
    with serve(server_env(settings), tmp_path) as base:
        context = await phone(browser)
        page = console.watch(await context.new_page())
        await page.goto(f"{base}/thiet-bi/")
        await expect(page.get_by_role("heading", name="Đăng ký thiết bị")).to_be_visible()
        unlabelled = {"enrol": await page.evaluate(UNLABELLED)}
        code = await issue_code(base, staff, team_id)
        await page.get_by_label("Mã đăng ký").fill(code.lower().replace("-", ""))
        await page.get_by_role("button", name="Đăng ký", exact=True).click()
        await expect(page.get_by_role("heading", name="Tổ lưu động 1")).to_be_visible()
        assert await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        await shot(page, "app-01-trang-chu")

        # Offline: three dossiers into the outbox.
        await context.set_offline(True)
        for n in range(3):
            await capture(page, photos, f"page{n}", by_post=n == 2)
        assert await states(page) == ["Chờ gửi"] * 3
        await page.get_by_role("link", name="Thu hồ sơ mới").click()
        unlabelled["capture"] = await page.evaluate(UNLABELLED)
        await shot(page, "app-02-thu-ho-so")
        widths = await page.evaluate("[document.documentElement.scrollWidth, innerWidth]")

        # Close the page and open the app again with the network still off.
        await page.close()
        page = console.watch(await context.new_page())
        await page.goto(f"{base}/thiet-bi/")
        await expect(page.get_by_role("heading", name="Tổ lưu động 1")).to_be_visible()
        assert await states(page) == ["Chờ gửi"] * 3
        assert await page.locator("#net").inner_text() == "Không có mạng"

        # The link returns: the app sends by itself, each scan in its creation request.
        sent: list[str] = []
        context.on("request", lambda r: sent.append(f"{r.method} {r.url.removeprefix(base)}"))
        await context.set_offline(False)
        await page.evaluate("window.dispatchEvent(new Event('online'))")
        await expect(page.locator(".dossiers .state.committed")).to_have_count(3, timeout=60_000)
        first_push = len(sent)
        inbox = (await client.get("/api/v1/dossiers", headers=clerk)).json()
        documents = [
            document
            for item in inbox["items"]
            for document in (
                await client.get(f"/api/v1/dossiers/{item['id']}", headers=clerk)
            ).json()["documents"]
        ]
        first_scans = {document["sha256"] for document in documents}
        # Pages go as WebP from a browser that encodes it (schemas/media.py).
        assert {document["media_type"] for document in documents} == {"image/webp"}
        await shot(page, "app-03-da-gui")

        # The clerk receives one and asks for a supplement; the app shows it and sends the page.
        for target in inbox["items"]:  # one the household will receive at the counter
            held = (await client.get(f"/api/v1/dossiers/{target['id']}", headers=clerk)).json()
            if held["delivery"]["method"] == "counter":
                break
        await client.post(f"/api/v1/dossiers/{target['id']}/receive", json={}, headers=clerk)
        await client.post(
            f"/api/v1/dossiers/{target['id']}/request-supplement",
            json={
                "items": [{"document_key": "to_khai", "problem": "invalid", "note": "thiếu chữ ký"}]
            },
            headers=clerk,
        )
        await page.get_by_role("button", name="Gửi và nhận tin").click()
        await expect(page.locator("#message")).to_contain_text("tin mới")
        await page.locator(f"a[href='#/ho-so/{target['id']}']").click()
        await expect(page.get_by_role("heading", name="Bổ sung theo yêu cầu")).to_be_visible()
        await expect(page.get_by_text("Tờ khai: chưa hợp lệ — thiếu chữ ký")).to_be_visible()
        await shot(page, "app-04-yeu-cau-bo-sung")
        unlabelled["dossier"] = await page.evaluate(UNLABELLED)
        await page.locator("#doc-to_khai").set_input_files(photos["page3"])
        await page.get_by_role("button", name="Lưu phần bổ sung").click()
        await expect(page.get_by_role("heading", name="Hồ sơ trên máy")).to_be_visible()
        # The household's rating, given later, from the dossier's page.
        await page.locator(f"a[href='#/ho-so/{target['id']}']").click()
        await page.get_by_label("Người dân đánh giá").select_option("satisfied")
        # The rating goes at once, over a slow link: its push is still running while the next
        # form is tried, and ending it must not wipe what that form says.
        slow_link = asyncio.Event()

        async def hold(route: Route) -> None:
            await slow_link.wait()
            await route.continue_()

        await page.route("**/api/v1/sync/batches", hold)
        await page.get_by_role("button", name="Lưu đánh giá").click()
        await expect(page.get_by_role("heading", name="Hồ sơ trên máy")).to_be_visible()
        await expect(page.locator("#net")).to_have_text("Có mạng · đang gửi…")
        # Later still, the household asks for the result by post.
        await page.locator(f"a[href='#/ho-so/{target['id']}']").click()
        address = page.get_by_label("nhận kết quả qua bưu chính tại địa chỉ")
        await expect(address).to_have_value(CARD_ADDRESS)
        await address.fill("")
        await page.get_by_role("button", name="Lưu yêu cầu gửi bưu chính").click()
        await expect(page.locator("#message")).to_contain_text("cần địa chỉ nhận")
        slow_link.set()  # the held request goes on, and any later one at once
        await expect(page.locator("#net")).to_have_text("Có mạng", timeout=30_000)
        await expect(page.locator("#message")).to_contain_text("cần địa chỉ nhận")
        await expect(address).to_have_value("")
        await address.fill("Số 5, thôn Nam, xã Cô Tô")
        await page.get_by_role("button", name="Lưu yêu cầu gửi bưu chính").click()
        await expect(page.get_by_role("heading", name="Hồ sơ trên máy")).to_be_visible()
        for _ in range(60):  # each saved item is sent by itself, even while a push runs
            after = (await client.get(f"/api/v1/dossiers/{target['id']}", headers=clerk)).json()
            if after["status"]["code"] == 1 and after["delivery"]["address"]:
                break
            await asyncio.sleep(0.5)
        url = f"/api/v1/track/{after['code']}?t={after['tracking_token']}"
        tracked = (await client.get(url)).json()
        await page.get_by_role("button", name="Gửi và nhận tin").click()
        await page.locator(f"a[href='#/ho-so/{target['id']}']").click()
        await expect(
            page.get_by_text("Qua bưu chính: Số 5, thôn Nam, xã Cô Tô").first
        ).to_be_visible()
        await expect(page.get_by_text("Đổi nơi nhận kết quả")).to_be_visible()
        await shot(page, "app-05-buu-chinh")
        manifest = await (await page.request.get(f"{base}/thiet-bi/manifest.webmanifest")).json()
        await context.close()

    assert inbox["total"] == 3
    assert len({d["id"] for d in inbox["items"]}) == 3
    assert {d["applicant_name"] for d in inbox["items"]} == {"Trần Hữu Đạt"}
    deliveries = []
    for dossier in inbox["items"]:
        full = (await client.get(f"/api/v1/dossiers/{dossier['id']}", headers=clerk)).json()
        for document in full["documents"]:
            assert await LocalBlobStore(settings.media_root).exists(document["sha256"])
        deliveries.append(full["delivery"])
    assert {"method": "post", "address": CARD_ADDRESS} in deliveries, "chosen at capture"
    assert tracked["rated"]
    assert after["delivery"] == {"method": "post", "address": "Số 5, thôn Nam, xã Cô Tô"}
    assert after["status"]["code"] == 2, (
        "the supplement arrived: received again, with its code, no second receipt"
    )
    assert [d["key"] for d in after["documents"]].count("to_khai") == 2
    # Every scan is one tus creation; a scan no bigger than one the link already carried whole
    # rides in it (creation-with-upload), any other goes in one PATCH after it. Nothing is
    # asked of the server first (no HEAD).
    store = LocalBlobStore(settings.media_root)
    tus = [r.split(" ")[0] for r in sent if " /api/v1/uploads" in r]
    assert set(tus) <= {"POST", "PATCH"}, sent
    first = tus[: len([r for r in sent[:first_push] if " /api/v1/uploads" in r])]
    assert first.count("POST") == 3, sent
    assert first.count("PATCH") <= 3, sent
    carried = max([await store.size(sha) for sha in first_scans])
    [supplement] = {d["sha256"] for d in after["documents"]} - first_scans
    later = tus[len(first) :]
    expected = ["POST"] if await store.size(supplement) <= carried else ["POST", "PATCH"]
    assert later == expected, (later, await store.size(supplement), carried)
    assert widths[0] <= widths[1], "no sideways scrolling at 360 px"
    assert unlabelled == {"enrol": [], "capture": [], "dossier": []}
    assert console.errors == []
    assert_manifest(manifest)


def assert_manifest(manifest: dict[str, Any]) -> None:
    assert manifest["lang"] == "vi"
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "./"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    assert json.dumps(manifest, ensure_ascii=False)
