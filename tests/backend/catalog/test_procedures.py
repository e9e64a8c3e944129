"""The procedure catalog: validation, versions and revisions, ETag, import and export."""

from __future__ import annotations

import re

import httpx
import pytest

from backend.demo import load_demo_catalog
from tests.helpers import Staff, assert_problem

BIRTH = {
    "code": "1.001193",
    "name": "Đăng ký khai sinh",
    "field": "Hộ tịch",
    "processing_days": 0,
    "documents": [
        {"key": "to_khai", "name": "Tờ khai đăng ký khai sinh", "kind": "original"},
        {"key": "giay_chung_sinh", "name": "Giấy chứng sinh", "kind": "original"},
    ],
    "fee_vnd": 0,
    "online_level": "full",
}


async def test_create__stores_documents_and_starts_at_version_1(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    created = await staff.post_created("/api/v1/procedures", BIRTH)

    assert created["version"] == 1
    assert created["revision"] == 1
    assert created["commune_code"] == "07192"
    assert [d["key"] for d in created["documents"]] == ["to_khai", "giay_chung_sinh"]
    assert created["documents"][0]["required"] is True
    fetched = await client.get(f"/api/v1/procedures/{created['id']}", headers=staff["clerk.a"].auth)
    assert fetched.json() == created


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"code": "1.00119"}, "body.code"),
        ({"code": "1001193"}, "body.code"),
        ({"code": "1.001193.H22"}, "body.code"),
        ({"processing_days": -1}, "body.processing_days"),
        ({"fee_vnd": -5000}, "body.fee_vnd"),
        ({"name": ""}, "body.name"),
        ({"online_level": "toàn trình"}, "body.online_level"),
        ({"documents": [{"key": "Tờ khai", "name": "x", "kind": "original"}]}, "body.documents"),
    ],
)
async def test_create__invalid_values_are_422_and_change_nothing(
    client: httpx.AsyncClient, staff: Staff, patch: dict[str, object], field: str
) -> None:
    response = await client.post(
        "/api/v1/procedures", json={**BIRTH, **patch}, headers=staff["admin.a"].auth
    )

    problem = assert_problem(response, 422, "validation_failed")
    assert problem["errors"][0]["field"].startswith(field)
    listed = await client.get("/api/v1/procedures", headers=staff["admin.a"].auth)
    assert listed.json() == []
    assert listed.headers["x-catalog-revision"] == "0"


async def test_create__malformed_json_is_400(client: httpx.AsyncClient, staff: Staff) -> None:
    response = await client.post(
        "/api/v1/procedures",
        content=b'{"code": "1.001193", "name": ',
        headers={**staff["admin.a"].auth, "content-type": "application/json"},
    )

    assert_problem(response, 400, "malformed_json")


async def test_create__duplicate_document_keys_is_422(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    documents = [{"key": "to_khai", "name": "a", "kind": "original"}] * 2

    response = await client.post(
        "/api/v1/procedures", json={**BIRTH, "documents": documents}, headers=staff["admin.a"].auth
    )

    assert_problem(response, 422, "validation_failed")


async def test_create__same_code_twice_in_a_commune_is_409_but_fine_in_another(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    await staff.post_created("/api/v1/procedures", BIRTH)

    again = await client.post("/api/v1/procedures", json=BIRTH, headers=staff["admin.a"].auth)
    other = await client.post("/api/v1/procedures", json=BIRTH, headers=staff["admin.b"].auth)

    assert_problem(again, 409, "procedure_code_taken")
    assert other.status_code == 201


async def test_update__bumps_version_and_revision_and_stale_version_is_409(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    created = await staff.post_created("/api/v1/procedures", BIRTH)
    url = f"/api/v1/procedures/{created['id']}"
    auth = staff["admin.a"].auth

    updated = await client.patch(url, json={"processing_days": 1, "version": 1}, headers=auth)
    stale = await client.patch(url, json={"processing_days": 2, "version": 1}, headers=auth)
    same = await client.patch(url, json={"processing_days": 1}, headers=auth)

    assert updated.json()["version"] == 2
    assert updated.json()["revision"] == 2
    assert_problem(stale, 409, "stale_version")
    assert same.json()["version"] == 2, "an edit that changes nothing is not a new version"


async def test_list__since_revision_returns_only_changes_including_retired(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    auth = staff["admin.a"].auth
    birth = await staff.post_created("/api/v1/procedures", BIRTH)
    await staff.post_created(
        "/api/v1/procedures", {**BIRTH, "code": "1.000656", "name": "Đăng ký khai tử"}
    )
    revision = int(
        (await client.get("/api/v1/procedures", headers=auth)).headers["x-catalog-revision"]
    )

    await client.delete(f"/api/v1/procedures/{birth['id']}", headers=auth)
    await staff.post_created(
        "/api/v1/procedures", {**BIRTH, "code": "1.000894", "name": "Đăng ký kết hôn"}
    )

    changes = (
        await client.get(f"/api/v1/procedures?since_revision={revision}", headers=auth)
    ).json()
    active = (await client.get("/api/v1/procedures", headers=auth)).json()
    assert [(p["code"], p["active"]) for p in changes] == [("1.000894", True), ("1.001193", False)]
    assert [p["code"] for p in active] == ["1.000656", "1.000894"]


async def test_list__etag_answers_304_until_the_catalog_changes(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    auth = staff["clerk.a"].auth
    await staff.post_created("/api/v1/procedures", BIRTH)
    first = await client.get("/api/v1/procedures", headers=auth)
    etag = first.headers["etag"]

    unchanged = await client.get("/api/v1/procedures", headers={**auth, "If-None-Match": etag})
    await staff.post_created(
        "/api/v1/procedures", {**BIRTH, "code": "1.000656", "name": "Đăng ký khai tử"}
    )
    changed = await client.get("/api/v1/procedures", headers={**auth, "If-None-Match": etag})

    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


async def test_other_commune__cannot_read_or_edit_procedures(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    created = await staff.post_created("/api/v1/procedures", BIRTH)
    url = f"/api/v1/procedures/{created['id']}"

    assert_problem(await client.get(url, headers=staff["clerk.b"].auth), 404, "not_found")
    assert_problem(
        await client.patch(url, json={"name": "x"}, headers=staff["admin.b"].auth), 404, "not_found"
    )
    assert (await client.get("/api/v1/procedures", headers=staff["clerk.b"].auth)).json() == []


async def test_export_then_import__recreates_the_catalog_in_another_commune(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    await staff.post_created("/api/v1/procedures", BIRTH)
    await staff.post_created(
        "/api/v1/procedures", {**BIRTH, "code": "1.000656", "name": "Đăng ký khai tử"}
    )
    exported = await client.get("/api/v1/procedures/export", headers=staff["viewer.a"].auth)
    assert "attachment" in exported.headers["content-disposition"]

    imported = await client.post(
        "/api/v1/procedures/import", json=exported.json(), headers=staff["admin.b"].auth
    )
    again = await client.post(
        "/api/v1/procedures/import", json=exported.json(), headers=staff["admin.b"].auth
    )

    assert imported.json()["created"] == ["1.000656", "1.001193"]
    assert again.json() == {
        "created": [],
        "updated": [],
        "unchanged": ["1.000656", "1.001193"],
        "revision": imported.json()["revision"],
    }
    b_export = (await client.get("/api/v1/procedures/export", headers=staff["admin.b"].auth)).json()
    assert b_export["procedures"] == exported.json()["procedures"]


async def test_import__one_invalid_procedure_rejects_the_whole_document(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    document = {"procedures": [BIRTH, {**BIRTH, "code": "1.000656", "processing_days": -3}]}

    response = await client.post(
        "/api/v1/procedures/import", json=document, headers=staff["admin.a"].auth
    )

    assert_problem(response, 422, "validation_failed")
    assert (await client.get("/api/v1/procedures", headers=staff["admin.a"].auth)).json() == []


async def test_import__duplicate_codes_in_document_is_422(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    response = await client.post(
        "/api/v1/procedures/import",
        json={"procedures": [BIRTH, BIRTH]},
        headers=staff["admin.a"].auth,
    )

    assert_problem(response, 422, "validation_failed")


def test_demo_catalog__has_at_least_15_distinct_real_procedure_codes() -> None:
    catalog = load_demo_catalog()

    codes = [p.code for p in catalog.procedures]
    assert len(set(codes)) == len(codes) >= 15
    assert all(re.fullmatch(r"\d\.\d{6}", c) for c in codes)
    assert all(p.legal_basis for p in catalog.procedures), "every figure cites its source"
    assert all(p.documents for p in catalog.procedures)
