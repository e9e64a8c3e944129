"""``field-sync watch``: scanner output at a residential-group point becomes dossiers."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import msgspec
import pytest

import media
from backend.settings import Settings
from field_sync.outbox import Outbox
from field_sync.watch import DONE_DIR, HELD_DIR, CoverSheet, Watcher, render_cover_sheet
from schemas.catalog import Procedure
from tests.field_sync.test_end_to_end import CCCD, FIELD_SYNC, PROCEDURE, field_sync, issue_code
from tests.helpers import ServerProcess, Staff, server_env
from tests.media.imagery import document_photo, encode, qr_image

CATALOG = [
    {
        "id": 1,
        "commune_code": "07192",
        "version": 1,
        "revision": 1,
        "created_at": "2026-03-01T00:00:00Z",
        "updated_at": "2026-03-01T00:00:00Z",
        **PROCEDURE,
        "documents": [
            {"key": "to_khai", "name": "Tờ khai", "kind": "original", "required": True},
            {"key": "cccd", "name": "Căn cước", "kind": "copy", "required": False},
        ],
    },
    {
        "id": 2,
        "commune_code": "07192",
        "version": 1,
        "revision": 1,
        "created_at": "2026-03-01T00:00:00Z",
        "updated_at": "2026-03-01T00:00:00Z",
        "code": "1.000894",
        "name": "Đăng ký kết hôn",
        "processing_days": 3,
        "documents": [{"key": "to_khai", "name": "Tờ khai", "kind": "original", "required": True}],
    },
]
LATER = 3600.0


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "device")
    box.set(catalog=json.dumps(CATALOG, ensure_ascii=False), catalog_revision="1")
    yield box
    box.close()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "scanner"
    path.mkdir()
    return path


def card_scan() -> bytes:
    return encode(qr_image(CCCD, scale=6), "PNG")


def page_scan(seed: int) -> bytes:
    return document_photo(seed, size=(1200, 900), quality=85)


def procedure() -> Procedure:
    return msgspec.convert(CATALOG[0], Procedure)


def cover(keys: tuple[str, ...], consent: bool = True) -> bytes:
    return render_cover_sheet(CoverSheet("1.004873", keys, consent), procedure())


def watcher(outbox: Outbox, folder: Path, **options: object) -> Watcher:
    return Watcher(outbox, folder, clock=lambda: time.time() + LATER, **options)  # type: ignore[arg-type]


def bodies(outbox: Outbox) -> list[dict[str, object]]:
    return [json.loads(row["body"]) for row in outbox.dossiers()]


def test_cover_sheet__its_qr_reads_back_as_the_sheet() -> None:
    sheet = CoverSheet("1.004873", ("cccd", "to_khai", "to_khai"), True, "Hộ ông Đạt")

    texts = [code.text for code in media.decode_qr(render_cover_sheet(sheet, procedure()))]

    assert [CoverSheet.parse(t) for t in texts] == [sheet]


def test_watch__naming_rule_groups_files_into_one_dossier(outbox: Outbox, folder: Path) -> None:
    (folder / "1.004873_ho-dat_to_khai_2.jpg").write_bytes(page_scan(2))
    (folder / "1.004873_ho-dat_to_khai_1.jpg").write_bytes(page_scan(1))
    (folder / "1.004873_ho-dat_cccd.png").write_bytes(card_scan())

    outcomes = watcher(outbox, folder, consent_on_paper=True).scan()

    assert [(o.label, o.state) for o in outcomes] == [("1.004873_ho-dat", "captured")]
    [body] = bodies(outbox)
    assert body["applicant"]["full_name"] == "Trần Hữu Đạt"  # type: ignore[index]
    assert [(d["key"], d["page"]) for d in body["documents"]] == [  # type: ignore[attr-defined]
        ("cccd", 1),
        ("to_khai", 1),
        ("to_khai", 2),
    ]
    assert sorted(p.name for p in (folder / DONE_DIR / str(outcomes[0].dossier_id)).iterdir()) == [
        "1.004873_ho-dat_cccd.png",
        "1.004873_ho-dat_to_khai_1.jpg",
        "1.004873_ho-dat_to_khai_2.jpg",
    ]
    assert not list(folder.glob("*.jpg"))


def test_watch__the_id_card_page_is_the_card_wherever_it_was_scanned(
    outbox: Outbox, folder: Path
) -> None:
    no_card_document = msgspec.convert(CATALOG[1], Procedure)
    pages = [
        cover(("to_khai", "cccd")), page_scan(4), card_scan(),
        render_cover_sheet(CoverSheet("1.000894", ("to_khai",), True), no_card_document),
        card_scan(), page_scan(5),
    ]  # fmt: skip
    for n, data in enumerate(pages, start=1):
        (folder / f"scan_{n}.png").write_bytes(data)

    outcomes = watcher(outbox, folder).scan()

    assert [o.state for o in outcomes] == ["captured", "captured"]
    filed, unfiled = bodies(outbox)
    assert [d["key"] for d in filed["documents"]] == ["to_khai", "cccd"]  # type: ignore[attr-defined]
    # A procedure that asks for no ID card: the card fills the applicant and is not filed.
    assert [d["key"] for d in unfiled["documents"]] == ["to_khai"]  # type: ignore[attr-defined]
    assert unfiled["applicant"]["id_number"] == "022095001234"  # type: ignore[index]


def test_watch__cover_sheets_split_a_scanner_sequence(outbox: Outbox, folder: Path) -> None:
    pages = [
        cover(("cccd", "to_khai")), card_scan(), page_scan(1),
        cover(("to_khai", "to_khai", "cccd")), page_scan(2), page_scan(3), card_scan(),
    ]  # fmt: skip
    for n, data in enumerate(pages, start=1):
        (folder / f"scan_{n}.png").write_bytes(data)

    outcomes = watcher(outbox, folder).scan()

    assert [(o.label, o.state) for o in outcomes] == [
        ("scan_1", "captured"),
        ("scan_4", "captured"),
    ]
    first, second = bodies(outbox)
    assert [d["key"] for d in first["documents"]] == ["cccd", "to_khai"]  # type: ignore[attr-defined]
    assert [d["key"] for d in second["documents"]] == ["to_khai", "to_khai", "cccd"]  # type: ignore[attr-defined]
    assert first["consent"] is True


def test_watch__groups_that_cannot_be_taken_are_held_with_the_reason(
    outbox: Outbox, folder: Path
) -> None:
    (folder / "loose_1.jpg").write_bytes(page_scan(9))  # before any cover sheet
    (folder / "scan_1.png").write_bytes(cover(("cccd", "to_khai")))
    (folder / "scan_2.png").write_bytes(card_scan())  # one page where the sheet says two
    (folder / "scan_3.png").write_bytes(cover(("to_khai",), consent=False))
    (folder / "scan_4.png").write_bytes(page_scan(4))
    (folder / "scan_5.png").write_bytes(cover(("to_khai",)))
    (folder / "scan_6.png").write_bytes(page_scan(6))  # no ID card QR anywhere
    (folder / "1.004873_ho-x_to_khai.jpg").write_bytes(page_scan(7))  # naming rule, no consent

    outcomes = watcher(outbox, folder).scan()

    held = {o.label: o.reason for o in outcomes if o.state == "held"}
    assert set(held) == {"loose_1", "scan_1", "scan_3", "scan_5", "1.004873_ho-x"}
    assert "2 trang nhưng có 1" in held["scan_1"]
    assert "đồng ý" in held["scan_3"]
    assert "căn cước" in held["scan_5"]
    assert "--consent-on-paper" in held["1.004873_ho-x"]
    assert outbox.dossiers() == []
    assert (
        (folder / HELD_DIR / "scan_1" / "LY-DO.txt")
        .read_text(encoding="utf-8")
        .startswith("phiếu bìa ghi 2 trang")
    )
    assert sorted(p.name for p in (folder / HELD_DIR / "scan_1").iterdir()) == [
        "LY-DO.txt",
        "scan_1.png",
        "scan_2.png",
    ]


def test_watch__files_still_being_written_are_left_alone(outbox: Outbox, folder: Path) -> None:
    (folder / "scan_1.png").write_bytes(cover(("cccd",)))
    (folder / "scan_2.png").write_bytes(card_scan())

    outcomes = Watcher(outbox, folder, settle_s=30).scan()

    assert outcomes == []
    assert sorted(p.name for p in folder.iterdir()) == ["scan_1.png", "scan_2.png"]


def test_watch__files_captured_but_not_moved_are_not_captured_again(
    outbox: Outbox, folder: Path
) -> None:
    """As after a kill between the outbox transaction and the move."""
    (folder / "scan_1.png").write_bytes(cover(("cccd", "to_khai")))
    (folder / "scan_2.png").write_bytes(card_scan())
    (folder / "scan_3.png").write_bytes(page_scan(1))
    [first] = watcher(outbox, folder).scan()
    for path in (folder / DONE_DIR / str(first.dossier_id)).iterdir():
        shutil.copy(path, folder / path.name)

    [again] = watcher(outbox, folder).scan()

    assert again.dossier_id == first.dossier_id
    assert len(outbox.dossiers()) == 1
    assert not list(folder.glob("*.png"))


@pytest.mark.slow
async def test_watch__pushes_when_the_link_comes_up(
    client: httpx.AsyncClient,
    staff: Staff,
    settings: Settings,
    team_id: int,
    tmp_path: Path,
) -> None:
    home, folder = tmp_path / "device", tmp_path / "scanner"
    folder.mkdir()
    server = ServerProcess(server_env(settings), tmp_path)
    server.start()
    code = await issue_code(server.base, staff, team_id)
    await asyncio.to_thread(field_sync, home, "enroll", server.base, code)
    for n, keys in enumerate((("cccd", "to_khai"), ("to_khai", "cccd"))):
        await asyncio.to_thread(
            field_sync, home, "cover-sheet", "--procedure", "1.004873", "--consent",
            *(f"--doc={k}" for k in keys), "--out", str(tmp_path / f"cover{n}.png"),
        )  # fmt: skip
    server.stop()  # the link goes down

    watch = subprocess.Popen(  # noqa: ASYNC220 (starting it does not block)
        [FIELD_SYNC, "--home", str(home), "watch", str(folder), "--settle", "0.3",
         "--interval", "0.3"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        sequence = [
            (tmp_path / "cover0.png").read_bytes(), card_scan(), page_scan(1),
            (tmp_path / "cover1.png").read_bytes(), page_scan(2), card_scan(),
        ]  # fmt: skip
        for n, data in enumerate(sequence, start=1):
            (folder / f"scan_{n:04}.png").write_bytes(data)
        await wait_for(lambda: len(list((folder / DONE_DIR).glob("*"))) == 2)
        server.start()  # the link is back
        inbox = await wait_for_inbox(client, staff, 2)
    finally:
        watch.send_signal(signal.SIGKILL)
        output = watch.communicate()[0]
        server.stop()

    assert len({d["id"] for d in inbox["items"]}) == 2
    assert {d["applicant_name"] for d in inbox["items"]} == {"Trần Hữu Đạt"}
    assert "Chưa có kết nối" in output
    assert "Đã gửi 2 hồ sơ" in output


async def wait_for(condition: Callable[[], bool], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.2)


async def wait_for_inbox(client: httpx.AsyncClient, staff: Staff, count: int) -> dict[str, object]:
    deadline = time.monotonic() + 60
    while True:
        inbox: dict[str, object] = (
            await client.get("/api/v1/dossiers", headers=staff["clerk.a"].auth)
        ).json()
        if inbox["total"] == count or time.monotonic() > deadline:
            return inbox
        await asyncio.sleep(0.3)
