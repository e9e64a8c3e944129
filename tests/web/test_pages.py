"""The pages over HTTP: login, CSRF on forms, commune scoping, roles, the audit trail, admin."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from backend.wiring import Services
from tests.backend.sync.conftest import Device, new_dossier, scan, sha
from tests.backend.sync.test_batches import push
from tests.helpers import CSRF, PASSWORD, Browser, Staff


@pytest.fixture
async def pushed(client: httpx.AsyncClient, device: Device) -> dict[str, Any]:
    """A dossier of commune A that arrived by sync, with a form page and an ID card scan."""
    page, card = scan(21), scan(22)
    dossier = new_dossier([page])
    dossier["documents"].append({"key": "cccd", "sha256": sha(card), "page": 1})
    await push(client, device, [dossier], [page, card])
    return {"id": dossier["id"], "page": sha(page), "card": sha(card)}


async def test_login__wrong_password_is_a_401_page_and_a_right_one_goes_to_next(
    new_client: Any, staff: Staff
) -> None:
    browser = Browser(new_client())
    wrong = await browser.log_in("clerk.a", "not the password")
    right = await browser.log_in("clerk.a")

    assert wrong.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in wrong.text
    assert right.status_code == 303
    assert right.headers["location"] == "/ho-so"
    cookie = right.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


async def test_login__without_the_form_token_is_refused(new_client: Any, staff: Staff) -> None:
    response = await new_client().post(
        "/dang-nhap", data={"username": "clerk.a", "password": PASSWORD}
    )

    assert response.status_code == 403
    assert "<h1>Biểu mẫu đã hết hạn</h1>" in response.text
    assert "luudong_session" not in response.headers.get("set-cookie", "")


async def test_pages__logged_out_get_goes_to_the_login_form_and_back(new_client: Any) -> None:
    response = await new_client().get("/ho-so?nhom=qua-han")

    assert response.status_code == 303
    assert response.headers["location"] == "/dang-nhap?next=/ho-so%3Fnhom%3Dqua-han"


async def test_action_form__without_csrf_is_refused_and_changes_nothing(
    open_browser: Any, pushed: dict[str, Any]
) -> None:
    clerk = await open_browser("clerk.a")

    refused = await clerk.client.post(f"/ho-so/{pushed['id']}/receive", data={"version": "1"})
    wrong = await clerk.client.post(
        f"/ho-so/{pushed['id']}/receive", data={"_csrf": "x" * 43, "version": "1"}
    )
    page = await clerk.get(f"/ho-so/{pushed['id']}")

    assert refused.status_code == wrong.status_code == 403
    assert "csrf_failed" in refused.text
    assert 'id="status">Mới đăng ký' in page.text


async def test_receive_form__gives_the_code_and_the_receipt_carries_the_tracking_url(
    open_browser: Any, pushed: dict[str, Any]
) -> None:
    clerk = await open_browser("clerk.a")

    done = await clerk.post(f"/ho-so/{pushed['id']}/receive", {"version": "1"})
    page = await clerk.get(done.headers["location"])
    receipt = await clerk.get(f"/ho-so/{pushed['id']}/in/mau-01")

    assert done.status_code == 303
    assert 'id="status">Được tiếp nhận' in page.text
    assert "TEST.07192-260302-0001" in page.text
    assert re.search(
        r'/tra-cuu và nhập mã hồ sơ cùng mã tra cứu <b id="lookup-code">[A-Z2-7-]{12}<',
        receipt.text,
    )
    assert "<svg" in receipt.text
    assert 'href="/static/print.css"' in receipt.text


async def test_action_form__a_stale_version_or_an_illegal_move_shows_why(
    open_browser: Any, pushed: dict[str, Any]
) -> None:
    clerk = await open_browser("clerk.a")

    stale = await clerk.post(f"/ho-so/{pushed['id']}/receive", {"version": "7"})
    illegal = await clerk.post(f"/ho-so/{pushed['id']}/resolve", {"result_summary": "xong"})
    empty = await clerk.post(f"/ho-so/{pushed['id']}/request-supplement", {})

    assert stale.status_code == 409
    assert "hãy tải lại" in stale.text
    assert illegal.status_code == 409
    assert "Không thể chuyển hồ sơ" in illegal.text
    assert empty.status_code == 422
    assert "ít nhất một giấy tờ" in empty.text


async def test_dossier_page__of_another_commune_is_a_404_page(
    open_browser: Any, pushed: dict[str, Any]
) -> None:
    other = await open_browser("clerk.b")

    page = await other.get(f"/ho-so/{pushed['id']}")
    image = await other.get(f"/ho-so/{pushed['id']}/anh/{pushed['page']}")
    act = await other.post(f"/ho-so/{pushed['id']}/receive", {})

    assert page.status_code == image.status_code == act.status_code == 404
    assert "Không tìm thấy hồ sơ." in page.text
    assert "Trần Hữu Đạt" not in page.text


async def test_viewer__sees_the_dossier_but_no_action_and_cannot_post_one(
    open_browser: Any, pushed: dict[str, Any]
) -> None:
    viewer = await open_browser("viewer.a")

    page = await viewer.get(f"/ho-so/{pushed['id']}")
    act = await viewer.post(f"/ho-so/{pushed['id']}/receive", {})

    assert page.status_code == 200
    assert "Thao tác" not in page.text
    assert act.status_code == 403


async def test_scan__every_view_is_audited_and_served_without_caching(
    open_browser: Any, pushed: dict[str, Any], services: Services
) -> None:
    clerk = await open_browser("clerk.a")
    admin = await open_browser("admin.a")

    full = await clerk.get(f"/ho-so/{pushed['id']}/anh/{pushed['page']}")
    thumb = await clerk.get(f"/ho-so/{pushed['id']}/anh/{pushed['page']}/nho")
    stranger = await clerk.get(f"/ho-so/{pushed['id']}/anh/{'0' * 64}")
    log = await admin.get("/quan-tri/nhat-ky")

    assert full.status_code == thumb.status_code == 200
    assert full.headers["content-type"] == "image/jpeg"
    assert full.headers["cache-control"] == "private, no-store"
    assert b"Exif" not in full.content[:200]
    assert stranger.status_code == 404
    assert log.text.count("<td>Xem ảnh thu nhỏ</td>") == 1, "opened outside a dossier view"
    assert log.text.count("<td>Xem ảnh giấy tờ</td>") == 1
    assert "clerk.a" in log.text


async def test_dossier_page__shows_the_way_from_the_household_and_the_id_card_warning(
    open_browser: Any, pushed: dict[str, Any]
) -> None:
    clerk = await open_browser("clerk.a")

    page = await clerk.get(f"/ho-so/{pushed['id']}")

    timeline = page.text[page.text.index('class="timeline"') :]
    steps = ["Thu nhận tại hộ dân", "Bắt đầu tải lên", "Đồng bộ xong, vào hộp hồ sơ"]
    assert [timeline.index(step) for step in steps] == sorted(timeline.index(s) for s in steps)
    assert "Thôn Bắc Vàn" in timeline
    assert "Không đọc được mã QR trên ảnh căn cước" in page.text


async def test_tracking_page__shows_no_personal_data_and_takes_one_rating(
    new_client: Any, open_browser: Any, pushed: dict[str, Any], services: Services
) -> None:
    clerk = await open_browser("clerk.a")
    await clerk.post(f"/ho-so/{pushed['id']}/receive", {})
    dossier = await services.dossiers.view_for("07192", pushed["id"])
    url = f"/tra-cuu/{dossier.code}?t={dossier.tracking_token}"
    citizen = new_client()

    page = await citizen.get(url)
    token = CSRF.search(page.text)
    assert token is not None
    forged = await citizen.post(
        f"/tra-cuu/{dossier.code}/danh-gia",
        data={"_csrf": "forged", "t": dossier.tracking_token, "level": "satisfied"},
    )
    rated = await citizen.post(
        f"/tra-cuu/{dossier.code}/danh-gia",
        data={"_csrf": token.group(1), "t": dossier.tracking_token, "level": "satisfied"},
    )
    after = await citizen.get(rated.headers["location"])
    wrong = await citizen.get(f"/tra-cuu/{dossier.code}?t=wrong")

    assert page.status_code == 200
    assert "Được tiếp nhận" in page.text
    for private in ("Trần Hữu Đạt", "022095001234", "Thôn Bắc Vàn"):
        assert private not in page.text
    assert "<script" not in page.text
    assert forged.status_code == 403
    assert rated.status_code == 303
    assert "Cảm ơn Ông/Bà đã đánh giá." in after.text
    assert "đã được đánh giá" in after.text
    assert wrong.status_code == 404


async def test_admin_pages__team_holiday_user_and_procedure_forms_change_the_commune(
    open_browser: Any, staff: Staff, client: httpx.AsyncClient
) -> None:
    admin = await open_browser("admin.a")

    team = await admin.post("/quan-tri/to/them", {"name": "Tổ đảo Thanh Lân", "kind": "roaming"})
    day = await admin.post("/quan-tri/ngay-nghi/them", {"day": "2026-03-06", "kind": "off"})
    user = await admin.post(
        "/quan-tri/nguoi-dung/them",
        {"username": "clerk.moi", "role": "clerk", "password": "mat-khau-dai-12"},
    )
    procedure = await admin.post(
        "/quan-tri/thu-tuc/luu",
        {
            "code": "1.000001",
            "name": "Thủ tục thử",
            "processing_days": "5",
            "documents": "don | Đơn đề nghị | bản chính | bắt buộc\n"
            "cccd | Căn cước | bản sao | không",
        },
    )
    bad = await admin.post("/quan-tri/to/them", {"name": "", "kind": "roaming"})

    assert [r.status_code for r in (team, day, user, procedure)] == [303] * 4
    assert bad.status_code == 422
    teams = (await client.get("/api/v1/teams", headers=staff["admin.a"].auth)).json()
    assert "Tổ đảo Thanh Lân" in {t["name"] for t in teams}
    procedures = (await client.get("/api/v1/procedures", headers=staff["admin.a"].auth)).json()
    created = next(p for p in procedures if p["code"] == "1.000001")
    assert [(d["key"], d["kind"], d["required"]) for d in created["documents"]] == [
        ("don", "original", True),
        ("cccd", "copy", False),
    ]
    assert "06/03/2026" in (await admin.get("/quan-tri/ngay-nghi")).text
    assert "clerk.moi" in (await admin.get("/quan-tri/nguoi-dung")).text


async def test_admin_pages__catalog_import_is_all_or_nothing_and_clerks_are_kept_out(
    open_browser: Any, staff: Staff, client: httpx.AsyncClient
) -> None:
    admin = await open_browser("admin.a")
    clerk = await open_browser("clerk.a")
    good = {"procedures": [{"code": "1.000002", "name": "Nhập từ tệp", "processing_days": 2}]}
    broken = {"procedures": [{"code": "1.000003", "name": "Tốt"}, {"code": "sai", "name": "x"}]}

    imported = await admin.post(
        "/quan-tri/thu-tuc/nhap", {}, files={"file": ("dm.json", json.dumps(good).encode())}
    )
    refused = await admin.post(
        "/quan-tri/thu-tuc/nhap", {}, files={"file": ("dm.json", json.dumps(broken).encode())}
    )
    not_json = await admin.post(
        "/quan-tri/thu-tuc/nhap", {}, files={"file": ("dm.json", b"\x89PNG not json")}
    )
    kept_out = await clerk.get("/quan-tri/to")

    assert imported.status_code == 303
    assert refused.status_code == not_json.status_code == 422
    codes = {
        p["code"]
        for p in (await client.get("/api/v1/procedures", headers=staff["admin.a"].auth)).json()
    }
    assert "1.000002" in codes
    assert "1.000003" not in codes
    assert kept_out.status_code == 403


async def test_admin_devices__issue_an_enrolment_qr_and_revoke_a_device(
    open_browser: Any, device: Device, client: httpx.AsyncClient
) -> None:
    admin = await open_browser("admin.a")

    issued = await admin.post("/quan-tri/thiet-bi/ma-dang-ky", {"team_id": str(device.team_id)})
    revoked = await admin.post(f"/quan-tri/thiet-bi/{device.id}/thu-hoi", {})
    after = await client.get("/api/v1/sync/bootstrap", headers=device.auth)

    assert issued.status_code == 200
    assert 'id="enrolment-qr"' in issued.text
    assert re.search(r'id="enrolment-code">[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}<', issued.text)
    assert revoked.status_code == 303
    assert after.status_code == 401
    assert after.json()["code"] == "device_revoked"


async def test_report_page__shows_the_period_and_links_the_csv(
    open_browser: Any, staff: Staff
) -> None:
    viewer = await open_browser("viewer.a")

    page = await viewer.get("/bao-cao?tu=2026-02-01&den=2026-03-02&nhom=team")
    bad = await viewer.get("/bao-cao?tu=2026-03-05&den=2026-03-01")

    assert page.status_code == 200
    assert "Từ 01/02/2026 đến 02/03/2026" in page.text
    assert "/api/v1/reports/timeliness.csv?from=2026-02-01&amp;to=2026-03-02&amp;group_by=team" in (
        page.text
    )
    assert '<svg class="chart"' in page.text
    assert bad.status_code == 422
