"""The clerk's and the citizen's pages in a real browser (Debian's Chromium through Playwright).

The server and the field client run as real processes; the clerk works through the pages only.
Each main page is saved as a screenshot under ``test-artifacts/screenshots`` for people to look
at (not committed).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright, expect

import media
from backend.settings import Settings
from backend.web.admin import SECTIONS
from tests.field_sync.test_end_to_end import CCCD, PROCEDURE, field_sync, issue_code
from tests.helpers import PASSWORD, Staff, serve, server_env
from tests.media.imagery import document_photo, encode, qr_image

pytestmark = pytest.mark.slow
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "test-artifacts/screenshots"))


@pytest.fixture(scope="session", autouse=True)
def screenshot_folder() -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        await browser.close()


class Console:
    """Console errors and uncaught exceptions of every page a test opens."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page: Page) -> Page:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        return page

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.page.url if message.page else message.location.get("url", "")
            self.errors.append(f"{message.type} on {where}: {message.text}")


UNLABELLED = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button')].filter(el => {
  const named = (el.labels && el.labels.length > 0) || el.getAttribute('aria-label')
    || (el.tagName === 'BUTTON' && el.textContent.trim());
  return !named;
}).map(el => el.outerHTML.slice(0, 120))"""
"""Form controls and buttons without an accessible name, as a screen reader would miss them."""


async def shot(page: Page, name: str) -> None:
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def log_in(page: Page, base: str, username: str) -> None:
    await page.goto(f"{base}/ho-so")
    await expect(page).to_have_url(f"{base}/dang-nhap?next=/ho-so")
    await shot(page, "01-dang-nhap")
    await page.get_by_label("Tên đăng nhập").fill(username)
    await page.get_by_label("Mật khẩu").fill(PASSWORD)
    await page.get_by_role("button", name="Đăng nhập").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Hồ sơ của")


def capture_two(home: Path, files: Path) -> None:
    card = files / "cccd.png"
    card.write_bytes(encode(qr_image(CCCD, scale=6), "PNG"))
    for n in range(2):
        page = files / f"to_khai_{n}.jpg"
        page.write_bytes(document_photo(n, size=(1600, 1200), quality=85))
        field_sync(
            home, "capture", "--procedure", "1.004873", "--cccd-qr", str(card),
            "--scan", f"to_khai={page}", "--scan", f"cccd={card}", "--consent",
            "--place", "Thôn Bắc Vàn", "--note", f"hồ sơ {n + 1}",
        )  # fmt: skip


async def _clear_of_controls(page: Page) -> bool:
    """Whether the (turned) scan lies below every link and button of the viewer and inside the
    page's width."""
    return bool(
        await page.evaluate(
            """() => {
      const scan = document.getElementById('scan').getBoundingClientRect();
      const controls = [...document.querySelectorAll('main a, main button')];
      return scan.left >= -1 && scan.right <= document.documentElement.clientWidth + 1
        && controls.every(c => c.getBoundingClientRect().bottom <= scan.top + 1);
    }"""
        )
    )


async def test_clerk__receives_a_synced_dossier_prints_the_receipt_and_the_citizen_tracks_it(
    client: httpx.AsyncClient,
    staff: Staff,
    settings: Settings,
    team_id: int,
    tmp_path: Path,
    browser: Browser,
) -> None:
    home, files = tmp_path / "device", tmp_path / "files"
    files.mkdir()
    console = Console()
    with serve(server_env(settings), tmp_path) as base:
        code = await issue_code(base, staff, team_id)
        await asyncio.to_thread(field_sync, home, "enroll", base, code, "--name", "Máy tổ 1")
        await asyncio.to_thread(capture_two, home, files)
        await asyncio.to_thread(field_sync, home, "push", "--json")

        page = console.watch(await browser.new_page(viewport={"width": 1280, "height": 900}))
        await log_in(page, base, "clerk.a")
        await expect(page.get_by_role("cell", name="Trần Hữu Đạt")).to_have_count(2)
        await expect(page.get_by_text("Máy tổ 1")).to_be_visible()
        unlabelled = {"inbox": await page.evaluate(UNLABELLED)}
        await shot(page, "02-hop-thu")

        # The first dossier: open it, look at a scan, receive it, print the receipt.
        await page.get_by_role("link", name="Chưa có mã").last.click()
        await expect(page.locator("#status")).to_have_text("Mới đăng ký")
        await expect(page.get_by_text("Tổ lưu động 1")).to_be_visible()
        await expect(page.get_by_text("Thu nhận tại hộ dân")).to_be_visible()
        unlabelled["dossier"] = await page.evaluate(UNLABELLED)
        await shot(page, "03-ho-so")
        await page.get_by_role("link", name="Tờ khai, trang 1").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Tờ khai, trang 1")
        scan = page.locator("#scan")
        await expect(scan).to_have_js_property("complete", True)
        assert await scan.evaluate("img => img.naturalWidth") > 0
        await page.get_by_role("button", name="Xoay 90°").click()
        await expect(scan).to_have_attribute("data-turn", "90")
        assert await _clear_of_controls(page), "the turned page covers no control"
        await shot(page, "04-xem-anh")
        await page.set_viewport_size({"width": 360, "height": 740})
        for _ in range(2):
            await page.get_by_role("button", name="Xoay 90°").click()
        await expect(scan).to_have_attribute("data-turn", "270")
        assert await _clear_of_controls(page), "nor on a phone"
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360
        await shot(page, "04b-xem-anh-dien-thoai")
        await page.set_viewport_size({"width": 1280, "height": 900})
        await page.go_back()
        await page.get_by_role("button", name="Tiếp nhận và cấp mã").click()
        await expect(page.locator("#status")).to_have_text("Được tiếp nhận")
        dossier_code = (await page.get_by_role("heading", level=1).inner_text()).split()[0]
        receipt_url = await page.get_by_role("link", name="In Giấy tiếp nhận").get_attribute("href")
        await page.goto(f"{base}{receipt_url}")
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Giấy tiếp nhận")
        await page.emulate_media(media="print")
        await shot(page, "05-mau-01")
        qr_png = await page.locator("#tracking-qr svg").screenshot()
        [decoded] = media.decode_qr(qr_png)
        assert urlsplit(decoded.text).path == f"/tra-cuu/{dossier_code}"

        # The citizen scans the receipt's QR: no login, no personal data, the new status.
        phone = {"width": 375, "height": 740}
        citizen = console.watch(
            await browser.new_page(java_script_enabled=False, viewport=phone, is_mobile=True)
        )
        await citizen.goto(decoded.text)
        await expect(citizen.locator("#track-status")).to_have_text("Được tiếp nhận")
        assert "Trần Hữu Đạt" not in await citizen.content()
        assert await citizen.evaluate("document.documentElement.scrollWidth") <= phone["width"]
        await shot(citizen, "06-tra-cuu")
        await citizen.get_by_label("Hài lòng", exact=True).check()
        await citizen.get_by_role("button", name="Gửi đánh giá").click()
        await expect(citizen.get_by_text("Cảm ơn Ông/Bà đã đánh giá.")).to_be_visible()

        # The second dossier: an itemised supplement request that reaches the device.
        await page.goto(f"{base}/ho-so")
        await page.get_by_role("link", name="Chưa có mã").click()
        await page.get_by_text("Yêu cầu bổ sung (Mẫu 02)").click()
        await page.get_by_label("Yêu cầu với Tờ khai").select_option("invalid")
        await page.get_by_label("Ghi chú cho Tờ khai").fill("Thiếu chữ ký của người khai")
        await page.get_by_role("button", name="Gửi yêu cầu bổ sung").click()
        await expect(page.locator("#status")).to_have_text("Yêu cầu bổ sung giấy tờ")
        await shot(page, "07-yeu-cau-bo-sung")
        dossier_url = page.url
        pulled = await asyncio.to_thread(field_sync, home, "pull", "--json")

        # Every staff page on a 360 px phone: wide tables scroll in their own box, the page never
        # scrolls sideways.
        narrow = console.watch(await browser.new_page(viewport={"width": 360, "height": 740}))
        await log_in(narrow, base, "admin.a")
        await narrow.goto(dossier_url)
        viewer = await narrow.get_by_role("link", name="Tờ khai, trang 1").get_attribute("href")
        sideways: dict[str, int] = {}
        for path in [
            "/ho-so", "/ho-so?nhom=tat-ca", urlsplit(dossier_url).path, viewer, "/bao-cao/",
            "/quan-tri/", *(f"/quan-tri/{key}" for key, _ in SECTIONS),
        ]:  # fmt: skip
            await narrow.goto(f"{base}{path}")
            width = await narrow.evaluate("document.documentElement.scrollWidth")
            if width > 360:
                sideways[path] = width
        await shot(narrow, "08-nhat-ky-360")

    changes = json.loads(pulled.stdout)["changes"]
    assert {c["dossier_code"] for c in changes if c["action"] == "receive"} == {dossier_code}
    [request] = [c for c in changes if c["action"] == "request-supplement"]
    assert request["payload"]["items"] == [
        {"document_key": "to_khai", "problem": "invalid", "note": "Thiếu chữ ký của người khai"}
    ]
    assert unlabelled == {"inbox": [], "dossier": []}
    assert sideways == {}
    assert console.errors == []


async def test_admin__by_keyboard_enrols_a_device_by_qr_and_every_control_has_a_label(
    staff: Staff,
    settings: Settings,
    team_id: int,
    tmp_path: Path,
    browser: Browser,
) -> None:
    console = Console()
    pages = [
        ("07b-quan-tri-don-vi", "/quan-tri/don-vi"),
        ("08-quan-tri-to", "/quan-tri/to"),
        ("09-quan-tri-thu-tuc", "/quan-tri/thu-tuc"),
        ("10-quan-tri-ngay-nghi", "/quan-tri/ngay-nghi"),
        ("11-quan-tri-nguoi-dung", "/quan-tri/nguoi-dung"),
        ("12-bao-cao", "/bao-cao"),
        ("13-nhat-ky", "/quan-tri/nhat-ky"),
    ]
    with serve(server_env(settings), tmp_path) as base:
        page = console.watch(await browser.new_page(viewport={"width": 1280, "height": 900}))
        # Keyboard only: the username field has focus, Tab to the password, Enter to submit.
        await page.goto(f"{base}/dang-nhap")
        await expect(page.get_by_label("Tên đăng nhập")).to_be_focused()
        await page.keyboard.type("admin.a")
        await page.keyboard.press("Tab")
        await page.keyboard.type(PASSWORD)
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Hồ sơ của")

        unlabelled = {}
        for name, path in pages:
            await page.goto(f"{base}{path}")
            await expect(page.get_by_role("heading", level=1)).to_be_visible()
            unlabelled[path] = await page.evaluate(UNLABELLED)
            await shot(page, name)

        await page.goto(f"{base}/quan-tri/thiet-bi")
        await page.get_by_label("Tổ", exact=True).select_option(label="Tổ lưu động 1")
        await page.get_by_role("button", name="Cấp mã").focus()
        await page.keyboard.press("Enter")
        code = await page.locator("#enrolment-code").inner_text()
        qr_png = await page.locator("#enrolment-qr svg").screenshot()
        unlabelled["/quan-tri/thiet-bi"] = await page.evaluate(UNLABELLED)
        await shot(page, "14-quan-tri-thiet-bi")

        # Retiring a team asks first: "Hủy" leaves it working, "OK" retires it.
        await page.goto(f"{base}/quan-tri/to")
        retire = page.get_by_role("button", name="Ngừng hoạt động Tổ lưu động 1")
        questions: list[str] = []
        retired: list[str] = []
        page.on("request", lambda r: retired.append(r.url) if r.url.endswith("/ngung") else None)
        page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss())[1])
        await retire.click()
        await expect(page.get_by_role("cell", name="Hoạt động", exact=True)).to_be_visible()
        page.once("dialog", lambda dialog: dialog.accept())
        await retire.click()
        await expect(page.get_by_role("cell", name="Đã ngừng")).to_be_visible()

    assert questions == [
        "Ngừng hoạt động Tổ lưu động 1? Mã đăng ký và thiết bị của tổ sẽ thôi dùng được."
    ]
    assert len(retired) == 1, "the dismissed question sent nothing"
    [decoded] = media.decode_qr(qr_png)
    payload = json.loads(decoded.text)
    assert payload["code"] == code
    assert payload["server"] == base
    assert unlabelled == {path: [] for path in unlabelled}
    assert console.errors == []


async def open_action(page: Page, heading: str) -> None:
    """Open one action of the dossier page (the first is open already)."""
    await page.locator("details.action", has_text=heading).evaluate("d => { d.open = true; }")


def _webcam_video(path: Path, image: Image.Image) -> Path:
    """A Y4M clip of ``image``, for Chromium's fake webcam."""
    frame = image.convert("RGB").resize((1280, 720))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (frame.width // 2, frame.height // 2)
    planes = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    header = f"YUV4MPEG2 W{frame.width} H{frame.height} F10:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + b"".join(b"FRAME\n" + planes for _ in range(5)))
    return path


async def test_clerk__enters_a_walk_in_citizen_from_a_webcam_frame_of_the_card_and_prints_one_page(
    staff: Staff, settings: Settings, tmp_path: Path
) -> None:
    await staff.post_created("/api/v1/procedures", PROCEDURE)
    card = Image.new("RGB", (1280, 720), "white")
    card.paste(qr_image(CCCD, scale=6), (400, 120))
    video = _webcam_video(tmp_path / "the.y4m", card)
    pages = []
    for n in range(2):
        pages.append(tmp_path / f"to_khai_{n}.jpg")
        pages[-1].write_bytes(document_photo(n, size=(2000, 1500), quality=85))
    console = Console()
    with serve(server_env(settings), tmp_path) as base:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--use-fake-ui-for-media-stream",
                      "--use-fake-device-for-media-stream",
                      f"--use-file-for-fake-video-capture={video}"],
            )  # fmt: skip
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            await context.grant_permissions(["camera"], origin=base)
            page = console.watch(await context.new_page())
            await log_in(page, base, "clerk.a")
            await page.get_by_role("link", name="Tiếp nhận hồ sơ trực tiếp").click()
            await page.get_by_label("Thủ tục hành chính").select_option(PROCEDURE["code"])
            await page.get_by_role("button", name="Tiếp tục").click()
            await page.get_by_role("button", name="Chụp bằng webcam").click()
            await expect(page.get_by_label("Hình từ webcam")).to_be_visible()
            await page.get_by_role("button", name="Chụp", exact=True).click()
            await expect(page.get_by_text("Đã chụp một ảnh")).to_be_visible()
            await page.get_by_role("button", name="Đọc mã QR trên căn cước").click()
            await expect(page.get_by_label("Họ và tên")).to_have_value("Trần Hữu Đạt")
            await expect(page.get_by_label("Số định danh cá nhân (12 số)")).to_have_value(
                "022095001234"
            )
            await page.get_by_label("Tờ khai").set_input_files(pages)
            await page.get_by_label("Người nộp đồng ý").check()
            unlabelled = await page.evaluate(UNLABELLED)
            await shot(page, "15-tiep-nhan-truc-tiep")
            await page.get_by_role("button", name="Tiếp nhận và cấp mã").click()
            await expect(page.locator("#status")).to_have_text("Được tiếp nhận")
            await expect(page.get_by_text("Tờ khai — tr. 2")).to_be_visible()
            await expect(page.get_by_text("Căn cước — tr. 1")).to_be_visible()
            dossier_url = page.url.split("?")[0]
            receipt_url = await page.get_by_role("link", name="In Giấy tiếp nhận").get_attribute(
                "href"
            )
            dossier_code = (await page.get_by_role("heading", level=1).inner_text()).split()[0]

            receipt = await context.new_page()
            await receipt.goto(f"{base}{receipt_url}")
            await receipt.emulate_media(media="print")
            pdf = await receipt.pdf(prefer_css_page_size=True)
            qr_png = await receipt.locator("#tracking-qr svg").screenshot()

            # The citizen comes back with the signed form: filed at the counter with its scan.
            await page.goto(dossier_url)
            await open_action(page, "Yêu cầu bổ sung (Mẫu 02)")
            await page.get_by_label("Yêu cầu với Tờ khai").select_option("invalid")
            await page.get_by_role("button", name="Gửi yêu cầu bổ sung").click()
            await expect(page.locator("#status")).to_have_text("Yêu cầu bổ sung giấy tờ")
            await open_action(page, "Đã nhận bổ sung")
            await page.locator("#arrived-scan_to_khai").set_input_files(pages[1])
            await page.get_by_role("button", name="Xác nhận đã bổ sung").click()
            await expect(page.locator("#status")).to_have_text("Được tiếp nhận")
            await expect(page.get_by_text("Bổ sung lần 1")).to_be_visible()
            await shot(page, "16-bo-sung-tai-quay")

            # Resolved and sent by post: the tracking page shows the postal number, never the
            # address; the citizen without the QR types the two codes the receipt prints.
            await open_action(page, "Chuyển xử lý")
            await page.get_by_role("button", name="Chuyển xử lý").click()
            await expect(page.locator("#status")).to_have_text("Đang xử lý")
            await open_action(page, "Giải quyết xong")
            await page.get_by_label("Kết quả giải quyết").fill("Đã cấp giấy xác nhận")
            await page.get_by_role("button", name="Ghi kết quả").click()
            await open_action(page, "Trả kết quả")
            await page.get_by_label("Qua bưu chính công ích").check()
            await page.get_by_label("Số hiệu bưu gửi").fill("EL123456789VN")
            await page.get_by_label("Địa chỉ nhận").fill("Thôn Bắc Vàn, đặc khu Cô Tô")
            await page.get_by_role("button", name="Đã trả kết quả").click()
            await expect(page.get_by_text("số hiệu bưu gửi EL123456789VN")).to_be_visible()
            lookup = await receipt.locator("#lookup-code").inner_text()
            citizen = console.watch(
                await browser.new_page(
                    java_script_enabled=False, viewport={"width": 360, "height": 740}
                )
            )
            await citizen.goto(f"{base}/tra-cuu/")
            await citizen.get_by_label("Mã hồ sơ").fill(dossier_code.lower())
            await citizen.get_by_label("Mã tra cứu").fill(lookup.replace("-", " ").lower())
            await citizen.get_by_role("button", name="Tra cứu").click()
            await expect(citizen.locator("#postal-tracking")).to_have_text("EL123456789VN")
            tracking_text = await citizen.content()
            await shot(citizen, "18-tra-cuu-buu-chinh")

            await page.set_viewport_size({"width": 360, "height": 740})
            await page.goto(f"{base}/ho-so/nhap-tai-quay?thu_tuc={PROCEDURE['code']}")
            width = await page.evaluate("document.documentElement.scrollWidth")
            await shot(page, "17-tiep-nhan-360")
            await browser.close()

    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1, "Mẫu 01 is one page"
    [decoded] = media.decode_qr(qr_png)
    assert urlsplit(decoded.text).path == f"/tra-cuu/{dossier_code}"
    assert unlabelled == []
    assert width <= 360
    assert "Thôn Bắc Vàn" not in tracking_text, "the address is never public"
    assert console.errors == []
