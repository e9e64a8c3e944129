"""Tiếp nhận trực tiếp: a citizen entered, scanned and received at the counter from the pages,
and a supplement brought to the counter filed with its scans."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from backend.wiring import Services
from tests.field_sync.test_end_to_end import CCCD, PROCEDURE
from tests.helpers import Browser, Staff
from tests.media.imagery import document_photo, encode, is_grey, qr_image

FORM = "/ho-so/nhap-tai-quay/"
KEPT = re.compile(r'name="giu_(\w+)" value="([0-9a-f]{64}:image/\w+)"')


@pytest.fixture
async def clerk(staff: Staff, open_browser: Any) -> Browser:
    await staff.post_created("/api/v1/procedures", PROCEDURE)
    browser: Browser = await open_browser("clerk.a")
    return browser


def card() -> bytes:
    return encode(qr_image(CCCD, scale=6), "PNG")


def applicant(**extra: str) -> dict[str, str]:
    return {
        "procedure_code": PROCEDURE["code"],
        "full_name": "Trần Hữu Đạt",
        "id_number": "022095001234",
        "consent": "on",
        "buoc": "tiep-nhan",
        **extra,
    }


async def form_id(clerk: Browser) -> str:
    shown = await clerk.get(f"{FORM}?thu_tuc={PROCEDURE['code']}")
    assert shown.status_code == 200
    found = re.search(r'name="id" value="(\w+)"', shown.text)
    assert found is not None
    return found[1]


async def send(
    clerk: Browser, fields: dict[str, Any], files: list[tuple[str, tuple[str, bytes]]]
) -> httpx.Response:
    return await clerk.client.post(FORM, data={"_csrf": clerk.csrf, **fields}, files=files)


async def dossier(staff: Staff, dossier_id: str) -> dict[str, Any]:
    response = await staff.client.get(
        f"/api/v1/dossiers/{dossier_id}", headers=staff["clerk.a"].auth
    )
    assert response.status_code == 200
    found: dict[str, Any] = response.json()
    return found


async def test_counter__a_walk_in_dossier_with_scans_is_received_and_its_receipt_printed(
    clerk: Browser, staff: Staff, services: Services
) -> None:
    pages = [document_photo(n, size=(2400, 1800)) for n in range(2)]
    response = await send(
        clerk,
        applicant(id=await form_id(clerk), phone="0912345678"),
        [("scan_to_khai", (f"trang{n}.jpg", p)) for n, p in enumerate(pages)]
        + [("scan_cccd", ("the.png", card()))],
    )

    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.endswith("?xong=receive")
    dossier_id = location.split("/")[2].split("?")[0]
    found = await dossier(staff, dossier_id)
    assert found["status"]["code"] == 2
    assert found["channel"] == "counter"
    assert found["code"]
    assert found["due_date"]
    assert [(d["key"], d["page"]) for d in found["documents"]] == [
        ("to_khai", 1), ("to_khai", 2), ("cccd", 1),
    ]  # fmt: skip
    for ref, raw in zip(found["documents"], pages, strict=False):
        stored = await services.ctx.blobs.read(ref["sha256"])
        assert len(stored) < len(raw) / 3, "normalised as the field clients do"
        assert is_grey(stored)
    shown = await clerk.get(location)
    assert "In Giấy tiếp nhận" in shown.text
    receipt = await clerk.get(f"/ho-so/{dossier_id}/in/mau-01")
    assert receipt.status_code == 200
    assert found["code"] in receipt.text


async def test_counter__the_id_card_qr_fills_the_applicant_and_the_chosen_pages_are_kept(
    clerk: Browser, staff: Staff
) -> None:
    form = await form_id(clerk)
    page = document_photo(3, size=(1600, 1200))
    read = await send(
        clerk,
        {"procedure_code": PROCEDURE["code"], "id": form, "buoc": "doc-cccd"},
        [("scan_cccd", ("cccd.png", card())), ("scan_to_khai", ("to_khai.jpg", page))],
    )

    assert read.status_code == 200, read.text
    assert 'value="Trần Hữu Đạt"' in read.text
    assert 'value="022095001234"' in read.text
    assert 'value="1995-04-12"' in read.text
    kept = KEPT.findall(read.text)
    assert [key for key, _ in kept] == ["cccd", "to_khai"]
    # Sent again with the kept pages and no file: the dossier has both.
    fields = applicant(id=form)
    response = await clerk.client.post(
        FORM,
        data={"_csrf": clerk.csrf, **fields, **{f"giu_{k}": v for k, v in kept}},
        files=[("scan_to_khai", ("", b""))],
    )
    assert response.status_code == 303, response.text
    found = await dossier(staff, response.headers["location"].split("/")[2].split("?")[0])
    assert sorted(d["key"] for d in found["documents"]) == ["cccd", "to_khai"]


async def test_counter__a_bad_file_or_a_missing_document_is_a_vietnamese_422_that_keeps_the_rest(
    clerk: Browser, staff: Staff
) -> None:
    form = await form_id(clerk)
    bad = await send(
        clerk,
        applicant(id=form, address="Thôn Bắc Vàn"),
        [("scan_to_khai", ("hoa-don.pdf", b"%PDF-1.4 not an image")),
         ("scan_cccd", ("cccd.png", card()))],
    )  # fmt: skip
    missing = await send(
        clerk, applicant(id=form, **{f"giu_{k}": v for k, v in KEPT.findall(bad.text)}), []
    )

    assert bad.status_code == 422
    assert "Tệp «hoa-don.pdf»: không phải ảnh JPEG, PNG, WebP hay TIFF." in bad.text
    assert 'value="Thôn Bắc Vàn"' in bad.text, "the typed input is kept"
    assert [key for key, _ in KEPT.findall(bad.text)] == ["cccd"], "the good page is kept"
    assert missing.status_code == 422
    assert "Thiếu giấy tờ bắt buộc: Tờ khai (to_khai)." in missing.text
    listed = await staff.client.get("/api/v1/dossiers", headers=staff["clerk.a"].auth)
    assert listed.json()["total"] == 0, "nothing registered"


async def test_counter__the_same_form_sent_twice_is_one_dossier(
    clerk: Browser, staff: Staff
) -> None:
    form = await form_id(clerk)
    files = [("scan_to_khai", ("p.jpg", document_photo(5, size=(1200, 900))))]
    first = await send(clerk, applicant(id=form), files)
    again = await send(clerk, applicant(id=form), files)

    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    listed = await staff.client.get("/api/v1/dossiers", headers=staff["clerk.a"].auth)
    assert listed.json()["total"] == 1


async def test_counter__a_page_kept_by_hash_must_be_the_communes_own(
    clerk: Browser, staff: Staff, open_browser: Any
) -> None:
    other = await open_browser("clerk.b")
    await staff.post_created("/api/v1/procedures", PROCEDURE, as_="admin.b")
    shown = await other.get(f"{FORM}?thu_tuc={PROCEDURE['code']}")
    found = re.search(r'name="id" value="(\w+)"', shown.text)
    assert found is not None
    theirs = await send(
        other,
        {"procedure_code": PROCEDURE["code"], "id": found[1], "buoc": "doc-cccd"},
        [("scan_cccd", ("cccd.png", card()))],
    )
    [(_, their_card)] = KEPT.findall(theirs.text)

    read = await send(
        clerk,
        {"procedure_code": PROCEDURE["code"], "id": await form_id(clerk), "buoc": "doc-cccd",
         "giu_cccd": their_card},
        [],
    )  # fmt: skip

    assert read.status_code == 422
    assert "Trần Hữu Đạt" not in read.text
    assert "giu_cccd" not in read.text


async def test_counter__a_supplement_brought_to_the_counter_is_filed_with_its_scans(
    clerk: Browser, staff: Staff
) -> None:
    response = await send(
        clerk,
        applicant(id=await form_id(clerk)),
        [("scan_to_khai", ("p.jpg", document_photo(6, size=(1200, 900))))],
    )
    dossier_id = response.headers["location"].split("/")[2].split("?")[0]
    version = (await dossier(staff, dossier_id))["version"]
    asked = await clerk.post(
        f"/ho-so/{dossier_id}/request-supplement",
        {"version": version, "item_key": "to_khai", "item_problem": "invalid",
         "item_note": "Thiếu chữ ký"},
    )  # fmt: skip
    assert asked.status_code == 303
    shown = await clerk.get(f"/ho-so/{dossier_id}")
    assert 'id="arrived-scan_to_khai"' in shown.text
    assert 'enctype="multipart/form-data"' in shown.text
    version = (await dossier(staff, dossier_id))["version"]

    arrived = await clerk.client.post(
        f"/ho-so/{dossier_id}/supplement-arrived",
        data={"_csrf": clerk.csrf, "version": version, "note": "Nộp tại quầy"},
        files=[("scan_to_khai", (f"ky-{n}.jpg", document_photo(7 + n, size=(1200, 900))))
               for n in range(2)],
    )  # fmt: skip

    assert arrived.status_code == 303, arrived.text
    found = await dossier(staff, dossier_id)
    assert found["status"]["code"] == 2, "back to received, where it was asked from"
    pages = await clerk.get(f"/ho-so/{dossier_id}")
    assert "Bổ sung lần 1" in pages.text
    assert [(d["key"], d["page"]) for d in found["documents"]][-2:] == [
        ("to_khai", 1), ("to_khai", 2),
    ]  # fmt: skip
    assert len(found["documents"]) == 3


async def test_counter__a_viewer_cannot_open_the_page(staff: Staff, open_browser: Any) -> None:
    viewer = await open_browser("viewer.a")
    response = await viewer.get(FORM)

    assert response.status_code == 403
