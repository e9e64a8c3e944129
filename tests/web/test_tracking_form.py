"""A citizen without the QR: the tracking form takes the code and the short tracking code
printed on the receipt, and every error a citizen can meet is a Vietnamese page."""

from __future__ import annotations

import re
from typing import Any

import pytest

from backend.dossiers import rules
from backend.wiring import Services
from tests.helpers import CSRF, Staff
from tests.web.test_pages import pushed

__all__ = ["pushed"]


@pytest.fixture
async def tracked(open_browser: Any, pushed: dict[str, Any], services: Services) -> dict[str, str]:
    clerk = await open_browser("clerk.a")
    assert (await clerk.post(f"/ho-so/{pushed['id']}/receive", {})).status_code == 303
    dossier = await services.dossiers.view_for("07192", pushed["id"])
    assert dossier.code is not None
    assert dossier.tracking_token is not None
    receipt = await clerk.get(f"/ho-so/{pushed['id']}/in/mau-01")
    printed = re.search(r'id="lookup-code">([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{2})<', receipt.text)
    assert printed is not None, "the receipt prints the tracking code"
    assert "/tra-cuu và nhập mã hồ sơ" in receipt.text
    return {"id": pushed["id"], "code": dossier.code, "typed": printed[1]}


async def test_tracking_form__the_two_printed_codes_as_typed_on_a_phone_open_the_dossier(
    new_client: Any, tracked: dict[str, str]
) -> None:
    citizen = new_client()
    form = await citizen.get("/tra-cuu/")
    typed = tracked["typed"].replace("-", "").lower()  # no dashes, lower case
    sent = await citizen.get(f"/tra-cuu/?ma= {tracked['code'].lower()} &t={typed}")
    shown = await citizen.get(sent.headers["location"])
    token = CSRF.search(shown.text)
    assert token is not None
    rated = await citizen.post(
        f"/tra-cuu/{tracked['code']}/danh-gia",
        data={"_csrf": token.group(1), "t": typed, "level": "satisfied"},
    )

    assert form.status_code == 200
    assert 'name="ma"' in form.text
    assert 'name="t"' in form.text
    assert "<script" not in form.text
    assert sent.status_code == 303
    assert shown.status_code == 200
    assert "Được tiếp nhận" in shown.text
    assert rated.status_code == 303
    assert "Cảm ơn Ông/Bà đã đánh giá." in (await citizen.get(rated.headers["location"])).text


async def test_tracking_form__a_wrong_or_missing_code_says_so_in_vietnamese_without_an_error_code(
    new_client: Any, tracked: dict[str, str]
) -> None:
    citizen = new_client()
    wrong = await citizen.get(f"/tra-cuu/{tracked['code']}?t=ABCD-EFGH-JK")
    unknown = await citizen.get("/tra-cuu/KHONG-CO-260101-0001?t=ABCD-EFGH-JK")
    half = await citizen.get(f"/tra-cuu/?ma={tracked['code']}")
    nowhere = await citizen.get("/tra-cuu/a/b/c")

    assert wrong.status_code == unknown.status_code == 404
    for page in (wrong, unknown):
        assert "Không tìm thấy hồ sơ có mã và mã tra cứu này." in page.text
        assert f'value="{tracked["code"]}"' in wrong.text, "the code is kept to correct"
    assert wrong.text.replace(tracked["code"], "") == unknown.text.replace(
        "KHONG-CO-260101-0001", ""
    ), "a wrong tracking code looks exactly like an unknown dossier"
    assert half.status_code == 422
    assert "Hãy nhập cả mã hồ sơ và mã tra cứu" in half.text
    assert nowhere.status_code == 404
    assert "<h1>Không tìm thấy</h1>" in nowhere.text
    for page in (wrong, unknown, half, nowhere):
        assert "Mã lỗi" not in page.text
        assert "not_found" not in page.text
        assert "validation_failed" not in page.text


async def test_error_page__staff_read_vietnamese_titles_and_the_code_for_support(
    open_browser: Any, staff: Staff
) -> None:
    clerk = await open_browser("clerk.a")

    missing = await clerk.get("/ho-so/01JX0000000000000000000000")
    refused = await clerk.get("/quan-tri/to")

    assert missing.status_code == 404
    assert "<h1>Không tìm thấy</h1>" in missing.text
    assert refused.status_code == 403
    assert "<h1>Không có quyền</h1>" in refused.text
    assert "Mã lỗi để báo bộ phận kỹ thuật: <code>forbidden</code>" in refused.text


def test_tracking_code__is_ten_base32_letters_and_reads_as_a_person_types_it() -> None:
    token = "x" * 32
    code = rules.tracking_code(token)

    assert re.fullmatch(r"[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{2}", code)
    assert rules.tracking_code("y" * 32) != code
    assert rules.tracking_matches(token, token)
    assert rules.tracking_matches(token, code)
    assert rules.tracking_matches(token, f"  {code.lower().replace('-', ' ')} ")
    looks_alike = code.replace("O", "0").replace("I", "1").replace("B", "8")
    assert rules.tracking_matches(token, looks_alike)
    assert not rules.tracking_matches(token, code[:-1])
    assert not rules.tracking_matches(token, "")
    assert not rules.tracking_matches("", code)
