"""The admin's pages as a new admin uses them: the office's own details, a procedure's
document lines, users' roles and passwords, the input kept after a refusal, and a question
before every change that cannot be taken back."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.helpers import COMMUNE_B, PASSWORD, Browser, Staff


async def test_office__agency_code_and_printed_name_are_set_from_the_page(
    open_browser: Any, staff: Staff, client: httpx.AsyncClient
) -> None:
    admin = await open_browser("admin.a")

    saved = await admin.post(
        "/quan-tri/don-vi/luu", {"agency_code": "000.00.32.H42", "printed_name": "đặc khu Cô Tô"}
    )
    malformed = await admin.post("/quan-tri/don-vi/luu", {"agency_code": "mã có dấu"})
    taken = await admin.post("/quan-tri/don-vi/luu", {"agency_code": f"TEST.{COMMUNE_B}"})
    shown = await admin.get("/quan-tri/don-vi")
    commune = (await client.get("/api/v1/commune", headers=staff["admin.a"].auth)).json()
    cleared = await admin.post("/quan-tri/don-vi/luu", {"agency_code": "000.00.32.H42"})
    after = (await client.get("/api/v1/commune", headers=staff["admin.a"].auth)).json()

    assert saved.status_code == 303
    assert commune["agency_code"] == "000.00.32.H42"
    assert commune["printed_name"] == "đặc khu Cô Tô"
    assert "UBND ĐẶC KHU CÔ TÔ" in shown.text
    assert malformed.status_code == 422
    assert "Mã cơ quan: sai định dạng." in malformed.text
    assert 'value="mã có dấu"' in malformed.text, "the input is kept"
    assert taken.status_code == 409
    assert "đã được xã khác sử dụng" in taken.text
    assert cleared.status_code == 303
    assert after["printed_name"] == after["name"], "an empty name prints the registry's again"


async def test_catalog__a_document_line_short_of_four_parts_is_refused_by_its_number(
    open_browser: Any, staff: Staff, client: httpx.AsyncClient
) -> None:
    admin = await open_browser("admin.a")
    lines = "don | Đơn đề nghị | bản chính | bắt buộc\ncccd | Căn cước | bản sao"

    refused = await admin.post(
        "/quan-tri/thu-tuc/luu",
        {"code": "1.000009", "name": "Thủ tục thử", "processing_days": "5", "documents": lines},
    )
    odd_kind = await admin.post(
        "/quan-tri/thu-tuc/luu",
        {"code": "1.000009", "name": "Thủ tục thử", "documents": "don | Đơn | bản in | bắt buộc"},
    )
    procedures = (await client.get("/api/v1/procedures", headers=staff["admin.a"].auth)).json()

    assert refused.status_code == odd_kind.status_code == 422
    assert "Thành phần hồ sơ, dòng 2 («cccd | Căn cước | bản sao»)" in refused.text
    assert "dòng 1" in odd_kind.text
    assert 'value="Thủ tục thử"' in refused.text
    assert 'value="1.000009"' in refused.text
    assert "cccd | Căn cước | bản sao</textarea>" in refused.text, "the lines are kept"
    assert "1.000009" not in {p["code"] for p in procedures}


async def test_catalog__a_failed_edit_stays_on_the_procedure_with_what_was_typed(
    open_browser: Any, staff: Staff
) -> None:
    created = await staff.post_created(
        "/api/v1/procedures", {"code": "1.000010", "name": "Cũ", "processing_days": 3}
    )
    admin = await open_browser("admin.a")

    failed = await admin.post(
        "/quan-tri/thu-tuc/luu",
        {"id": str(created["id"]), "version": str(created["version"]), "name": "Tên mới",
         "processing_days": "999"},
    )  # fmt: skip

    assert failed.status_code == 422
    assert "Thời hạn giải quyết: không được quá 365." in failed.text
    assert "Sửa thủ tục 1.000010" in failed.text
    assert 'value="Tên mới"' in failed.text
    assert 'value="999"' in failed.text


async def test_users__role_change_and_password_reset_end_the_users_sessions(
    open_browser: Any, new_client: Any, staff: Staff, client: httpx.AsyncClient
) -> None:
    admin = await open_browser("admin.a")
    clerk = await open_browser("clerk.a")
    user_id = staff["clerk.a"].user_id

    form = await admin.get(f"/quan-tri/nguoi-dung?sua={user_id}")
    short = await admin.post(
        f"/quan-tri/nguoi-dung/{user_id}/sua", {"role": "viewer", "password": "Zq7short"}
    )
    changed = await admin.post(
        f"/quan-tri/nguoi-dung/{user_id}/sua",
        {"full_name": "Nguyễn Thị Lan", "role": "viewer", "password": "mat-khau-moi-2026"},
    )
    logged_out = await clerk.get("/ho-so")
    old = await Browser(new_client()).log_in("clerk.a", PASSWORD)
    new = await Browser(new_client()).log_in("clerk.a", "mat-khau-moi-2026")
    users = (await client.get("/api/v1/users", headers=staff["admin.a"].auth)).json()

    assert "Sửa người dùng clerk.a" in form.text
    assert re.search(r'minlength="10"', form.text)
    assert "ít nhất 10 ký tự" in form.text
    assert short.status_code == 422
    assert "Mật khẩu: cần ít nhất 10 ký tự." in short.text
    assert "Zq7short" not in short.text, "a password is never echoed"
    assert changed.status_code == 303
    assert logged_out.status_code == 303, "the old session ended"
    assert (old.status_code, new.status_code) == (401, 303)
    user = next(u for u in users if u["id"] == user_id)
    assert (user["role"], user["full_name"]) == ("viewer", "Nguyễn Thị Lan")


async def test_users__a_refused_new_user_keeps_the_name_but_never_the_password(
    open_browser: Any, staff: Staff
) -> None:
    admin = await open_browser("admin.a")

    refused = await admin.post(
        "/quan-tri/nguoi-dung/them",
        {"username": "clerk.a", "full_name": "Lê Văn Tâm", "role": "viewer",
         "password": "mat-khau-dai-12"},
    )  # fmt: skip

    assert refused.status_code == 409
    assert 'value="Lê Văn Tâm"' in refused.text
    assert "mat-khau-dai-12" not in refused.text
    assert re.search(r'<option value="viewer" selected>', refused.text)


async def test_admin__every_change_that_cannot_be_taken_back_asks_first(
    open_browser: Any, staff: Staff, device: Any
) -> None:
    await staff.post_created("/api/v1/holidays/overrides", {"day": "2026-03-06", "kind": "off"})
    admin = await open_browser("admin.a")
    pages = {
        section: (await admin.get(f"/quan-tri/{section}")).text
        for section in ("to", "thiet-bi", "thu-tuc", "ngay-nghi", "nguoi-dung")
    }

    confirmed = {
        section: re.findall(r'action="/quan-tri/[^"]+/([a-z-]+)"[^>]*data-confirm="', text)
        for section, text in pages.items()
    }
    assert confirmed == {
        "to": ["ngung"],
        "thiet-bi": ["thu-hoi"],
        "thu-tuc": ["ngung"],
        "ngay-nghi": ["xoa"],
        "nguoi-dung": ["khoa", "khoa", "khoa"],
    }
