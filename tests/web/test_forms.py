"""The printed forms (Mẫu 01-04) as the law and the citizen read them: the commune's header, the
date of the step (a reprint does not take today's), two-digit days, the signer's full name, the
processing time as received, and one A5 page for a receipt of six documents."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import async_playwright

import media
from backend.clock import FrozenClock
from backend.settings import Settings
from backend.wiring import Services
from tests.helpers import COMMUNE_A, PASSWORD, Staff, serve, server_env

SIX = [f"giay_{n}" for n in range(1, 7)]
NAMES = [
    "Tờ khai đăng ký thường trú theo mẫu CT01 có xác nhận của chủ hộ",
    "Giấy tờ, tài liệu chứng minh chỗ ở hợp pháp (hợp đồng thuê, mượn, ở nhờ)",
    "Văn bản đồng ý của chủ sở hữu chỗ ở hợp pháp cho đăng ký thường trú",
    "Giấy tờ chứng minh quan hệ nhân thân với chủ hộ, thành viên hộ gia đình",
    "Thẻ căn cước hoặc căn cước công dân của người yêu cầu đăng ký",
    "Giấy tờ chứng minh đủ điều kiện diện tích nhà ở tối thiểu theo quy định",
]


async def _receipt_of_six(
    client: httpx.AsyncClient, staff: Staff, services: Services, days: int = 3
) -> dict[str, Any]:
    """A counter dossier of six documents, received by a clerk with a full name."""
    code = "1.004222" if days else "2.000815"
    await staff.post_created(
        "/api/v1/procedures",
        {
            "code": code,
            "name": "Đăng ký thường trú" if days else "Chứng thực bản sao từ bản chính",
            "processing_days": days,
            "documents": [
                {"key": k, "name": n, "kind": "original"} for k, n in zip(SIX, NAMES, strict=True)
            ],
        },
    )
    shas = [f"{n:x}" * 64 for n in range(1, 7)]
    for sha in shas:
        await services.custody.grant(COMMUNE_A, sha, "upload")
    await client.patch(
        f"/api/v1/users/{staff['clerk.a'].user_id}",
        json={"full_name": "Nguyễn Thị Lan"},
        headers=staff["admin.a"].auth,
    )
    dossier = await staff.post_created(
        "/api/v1/dossiers",
        {
            "procedure_code": code,
            "applicant": {"full_name": "Trần Hữu Đạt", "id_number": "022095001234"},
            "consent": True,
            "documents": [{"key": k, "sha256": s} for k, s in zip(SIX, shas, strict=True)],
        },
        as_="clerk.a",
    )
    received = await client.post(
        f"/api/v1/dossiers/{dossier['id']}/receive", json={}, headers=staff["clerk.a"].auth
    )
    assert received.status_code == 200, received.text
    result: dict[str, Any] = received.json()
    return result


async def test_receipt__header_date_of_receipt_signer_and_a_reprint_days_later(
    client: httpx.AsyncClient,
    staff: Staff,
    services: Services,
    open_browser: Any,
    clock: FrozenClock,
) -> None:
    dossier = await _receipt_of_six(client, staff, services)
    clock.advance(timedelta(days=9))  # the reprint, Wednesday 11 March
    admin = await open_browser("admin.a")

    reprint = (await admin.get(f"/ho-so/{dossier['id']}/in/mau-01")).text
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", reprint))

    assert "UBND ĐẶC KHU CÔ TÔ BỘ PHẬN MỘT CỬA" in text
    assert "ngày 02 tháng 3 năm 2026" in text, "the receipt's date, two-digit day"
    assert "11 tháng 3" not in text
    assert "Nguyễn Thị Lan" in text, "signed by the clerk who received it, by name"
    assert not {"admin.a", "clerk.a"} & set(text.split()), "no login names"
    assert "3 ngày làm việc" in text
    assert "ngày 05/03/2026" in text


async def test_receipt__a_same_day_procedure_says_trong_ngay_and_an_apology_shows_both_dates(
    client: httpx.AsyncClient,
    staff: Staff,
    services: Services,
    open_browser: Any,
) -> None:
    dossier = await _receipt_of_six(client, staff, services, days=0)
    await client.post(
        f"/api/v1/dossiers/{dossier['id']}/extend",
        json={"new_due_date": "2026-03-06", "reason": "Chờ xác minh"},
        headers=staff["clerk.a"].auth,
    )
    clerk = await open_browser("clerk.a")

    receipt = re.sub(r"\s+", " ", (await clerk.get(f"/ho-so/{dossier['id']}/in/mau-01")).text)
    apology = re.sub(r"\s+", " ", (await clerk.get(f"/ho-so/{dossier['id']}/in/mau-04")).text)

    assert "theo quy định: trong ngày." in receipt
    assert "0 ngày" not in receipt
    assert "hẹn lại ngày 06/03/2026" in receipt
    assert "hẹn trả kết quả ngày 02/03/2026" in apology
    assert "<b>ngày 06/03/2026</b>" in apology


@pytest.mark.slow
async def test_receipt__of_six_documents_prints_on_one_a5_page_and_its_qr_reads(
    client: httpx.AsyncClient,
    staff: Staff,
    services: Services,
    settings: Settings,
    tmp_path: Path,
) -> None:
    dossier = await _receipt_of_six(client, staff, services)
    public = "https://motcua.coto.example.vn"
    with serve({**server_env(settings), "PUBLIC_URL": public}, tmp_path) as base:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                args=["--no-sandbox"],
            )
            page = await browser.new_page()
            await page.goto(f"{base}/dang-nhap?next=/ho-so")
            await page.get_by_label("Tên đăng nhập").fill("clerk.a")
            await page.get_by_label("Mật khẩu").fill(PASSWORD)
            await page.get_by_role("button", name="Đăng nhập").click()
            await page.wait_for_url(f"{base}/ho-so")
            await page.goto(f"{base}/ho-so/{dossier['id']}/in/mau-01")
            await page.emulate_media(media="print")
            pdf = await page.pdf(prefer_css_page_size=True)
            if os.environ.get("SCREENSHOT_DIR"):
                shots = Path(os.environ["SCREENSHOT_DIR"])
                await page.screenshot(path=str(shots / "mau-01-sau-giay-to.png"), full_page=True)
            qr_png = await page.locator("#tracking-qr svg").screenshot()
            await browser.close()

    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    [box] = re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf)
    width, height = (float(v) for v in box.split()[2:])
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (148, 210), "A5 portrait"
    [decoded] = media.decode_qr(qr_png)
    # The clerk's browser reached the server at 127.0.0.1; the citizen's phone opens PUBLIC_URL.
    assert decoded.text.startswith(f"{public}/tra-cuu/{dossier['code']}?t=")
