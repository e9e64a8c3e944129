"""The field app's on-device normalisation in a real browser (Debian's Chromium).

A page goes as WebP with the server's figures; a browser whose canvas cannot encode WebP (as
Safari's hands back a PNG) sends the JPEG of the same figures; the ID card goes as JPEG. Every
result is what the server's check accepts, and the page's QR code still reads.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest
from playwright.async_api import Page, async_playwright

from media import decode_qr, validate_image
from schemas.media import NORMALISE
from tests.field_app.normalise_page import served
from tests.media.imagery import document_photo, is_grey
from tests.web.test_browser import CHROMIUM

QR = "https://luudong.example/tra-cuu/000.00.12.H40-261207-0042?t=Zk3q9c"
NO_WEBP_ENCODER = """
const toBlob = HTMLCanvasElement.prototype.toBlob;
HTMLCanvasElement.prototype.toBlob = function (callback, type, quality) {
  return toBlob.call(this, callback, type === "image/webp" ? "image/png" : type, quality);
};
"""


@pytest.fixture(scope="module")
def photo() -> bytes:
    return document_photo(4, size=(3200, 2400), qr_text=QR, quality=90)


@pytest.fixture
async def pages(tmp_path: Path) -> AsyncIterator[dict[str, Page]]:
    with served(tmp_path) as url:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking"]
            )
            opened = {}
            for name, script in (("chromium", ""), ("no_webp_encoder", NO_WEBP_ENCODER)):
                context = await browser.new_context()
                if script:
                    await context.add_init_script(script)
                page = await context.new_page()
                await page.goto(url)
                await page.wait_for_function("window.ready === true")
                opened[name] = page
            yield opened
            await browser.close()


async def normalised(page: Page, photo: bytes, mode: str) -> tuple[str, bytes]:
    answer = await page.evaluate(
        "([b64, mode, rules]) => window.run(b64, mode, rules, true)",
        [base64.b64encode(photo).decode(), mode, msgspec.to_builtins(NORMALISE)],
    )
    return answer["media_type"], base64.b64decode(answer["data"])


@pytest.mark.parametrize(
    ("browser", "mode", "media_type", "fmt"),
    [
        ("chromium", "document", "image/webp", "WEBP"),
        ("no_webp_encoder", "document", "image/jpeg", "JPEG"),
        ("chromium", "id_card", "image/jpeg", "JPEG"),
    ],
)
async def test_normalise__sends_the_servers_format_or_the_jpeg_fallback(
    pages: dict[str, Page], photo: bytes, browser: str, mode: str, media_type: str, fmt: str
) -> None:
    sent_type, data = await normalised(pages[browser], photo, mode)

    assert sent_type == media_type
    facts = validate_image(data, sent_type)
    assert facts.format == fmt
    assert max(facts.width, facts.height) == NORMALISE.long_side[mode]
    assert is_grey(data, tolerance=4)  # the canvas rounds its YUV a little more
    assert [r.text for r in decode_qr(data)] == [QR]
