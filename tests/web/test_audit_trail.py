"""The audit trail at real volume: one row per dossier view with the scans seen in it, named by
dossier code and applicant, filtered by person, code, kind and date, paged, and exported."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest

from backend.audit.services import AuditAction
from backend.auth.principal import Principal
from backend.clock import FrozenClock
from backend.wiring import Services
from tests.backend.sync.conftest import Device, new_dossier, scan, sha
from tests.backend.sync.test_batches import push
from tests.helpers import Staff

ROWS = re.compile(r"<tr><td>\d\d:\d\d \d\d/\d\d/\d{4}</td>")


@pytest.fixture
async def received(client: httpx.AsyncClient, device: Device, staff: Staff) -> dict[str, Any]:
    """A field dossier of commune A with two pages, received (so it has a code)."""
    pages = [scan(31), scan(32)]
    dossier = new_dossier(pages)
    await push(client, device, [dossier], pages)
    got = await client.post(
        f"/api/v1/dossiers/{dossier['id']}/receive", json={}, headers=staff["clerk.a"].auth
    )
    assert got.status_code == 200, got.text
    return {"id": dossier["id"], "code": got.json()["code"], "pages": [sha(p) for p in pages]}


async def look(clerk: Any, dossier: dict[str, Any], *, full: int) -> None:
    """Open the dossier page as a browser does: the page, every thumbnail, ``full`` scans."""
    assert (await clerk.get(f"/ho-so/{dossier['id']}")).status_code == 200
    for page in dossier["pages"]:
        assert (await clerk.get(f"/ho-so/{dossier['id']}/anh/{page}/nho")).status_code == 200
    for page in dossier["pages"][:full]:
        assert (await clerk.get(f"/ho-so/{dossier['id']}/anh/{page}")).status_code == 200


async def test_audit__a_dossier_view_is_one_row_naming_the_dossier_and_what_was_seen(
    open_browser: Any, received: dict[str, Any], clock: FrozenClock
) -> None:
    clerk = await open_browser("clerk.a")
    admin = await open_browser("admin.a")
    await look(clerk, received, full=1)
    clock.advance(timedelta(minutes=5))
    await look(clerk, received, full=0)
    printed = await clerk.get(f"/ho-so/{received['id']}/in/mau-01")
    assert printed.status_code == 200

    trail = await admin.get("/quan-tri/nhat-ky?nguoi=clerk.a")

    assert trail.status_code == 200
    rows = ROWS.split(trail.text)[1:]
    # Printing reads the dossier too: print, its read, the second view, the first view.
    assert len(rows) == 4
    assert "In phiếu" in rows[0]
    assert "Phiếu mau-01" in rows[0]
    assert "2 ảnh thu nhỏ</td>" in rows[2], "the second view: thumbnails only"
    assert "2 ảnh thu nhỏ; mở 1 ảnh" in rows[3], "the first view, with the scan opened"
    assert all(received["code"] in row for row in rows)
    assert all("Trần Hữu Đạt" in row for row in rows)


async def test_audit__filters_by_person_code_kind_and_date(
    open_browser: Any, received: dict[str, Any], clock: FrozenClock
) -> None:
    clerk = await open_browser("clerk.a")
    await look(clerk, received, full=1)
    clock.advance(timedelta(days=1))
    admin = await open_browser("admin.a")
    await look(admin, received, full=0)

    def count(page: httpx.Response) -> int:
        assert page.status_code == 200, page.text
        return len(ROWS.findall(page.text))

    base = "/quan-tri/nhat-ky"
    assert count(await admin.get(f"{base}?nguoi=admin.a")) == 1
    assert count(await admin.get(f"{base}?nguoi=clerk.a")) == 1
    assert count(await admin.get(f"{base}?ma={received['code'][:10].lower()}")) == 2
    assert count(await admin.get(f"{base}?ma=KHONG-CO")) == 0
    assert count(await admin.get(f"{base}?ma=%25")) == 0, "no LIKE wildcard"
    assert count(await admin.get(f"{base}?viec=view_scan")) == 1, "the view with a scan opened"
    assert count(await admin.get(f"{base}?viec=view_dossier")) == 2
    assert count(await admin.get(f"{base}?tu=2026-03-03&den=2026-03-03")) == 1
    assert count(await admin.get(f"{base}?den=2026-03-02")) == 1
    wrong = await admin.get(f"{base}?tu=2026-03-05&den=2026-03-01")
    assert wrong.status_code == 422
    assert "Ngày bắt đầu phải trước ngày kết thúc." in wrong.text


async def test_audit__pages_of_fifty_and_a_csv_of_everything_matching(
    open_browser: Any, received: dict[str, Any], services: Services, staff: Staff
) -> None:
    account = staff["clerk.a"]
    principal = Principal(
        user_id=account.user_id, username=account.username, role=account.role,
        commune_code=account.commune, via="token",
    )  # fmt: skip
    for _ in range(120):
        await services.audit.record(principal, AuditAction.view_dossier, received["id"])
    admin = await open_browser("admin.a")
    other = await open_browser("admin.b")

    first = await admin.get("/quan-tri/nhat-ky")
    last = await admin.get("/quan-tri/nhat-ky?trang=3")
    exported = await admin.get("/quan-tri/nhat-ky.csv?nguoi=clerk.a")
    elsewhere = await other.get("/quan-tri/nhat-ky.csv")

    assert len(ROWS.findall(first.text)) == 50
    assert "120 lượt, trang 1" in first.text
    assert "trang=2" in first.text
    assert len(ROWS.findall(last.text)) == 20
    assert "Trang sau" not in last.text
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert exported.headers["cache-control"] == "private, no-store"
    assert exported.content.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert table[0][:5] == ["Lúc", "Người xem", "Việc", "Mã hồ sơ", "Người nộp"]
    assert len(table) == 1 + 120
    assert {tuple(r[1:5]) for r in table[1:]} == {
        ("clerk.a", "Xem hồ sơ", received["code"], "Trần Hữu Đạt")
    }
    assert len(list(csv.reader(io.StringIO(elsewhere.content.decode("utf-8-sig"))))) == 1
