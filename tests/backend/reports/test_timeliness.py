"""The timeliness report: published provincial figures, definitions, CSV and grouping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

from backend.clock import FrozenClock
from backend.dossiers.tables import Dossier
from backend.reports.render import CSV_HEADER, report_csv, report_text
from backend.reports.shares import split_percent, vi_number, vi_percent
from backend.wiring import Services
from schemas.reports import GroupBy
from tests.backend.dossiers.test_lifecycle import BODIES, catalog, ok, submit, walk
from tests.helpers import Staff, assert_problem

__all__ = ["catalog"]  # the fixture, imported for use here


# --- pure shares -------------------------------------------------------------------------------


def test_split_percent__reproduces_long_an_february_2020() -> None:
    assert split_percent([3975, 1716, 41], balance=1) == [
        Decimal("69.35"),
        Decimal("29.93"),
        Decimal("0.72"),
    ]


def test_split_percent__reproduces_ha_tinh_2017_2018() -> None:
    assert split_percent([67999, 280], balance=0) == [Decimal("99.59"), Decimal("0.41")]


@given(st.lists(st.integers(0, 100_000), min_size=3, max_size=3))
def test_split_percent__parts_add_to_the_whole_and_stay_close_to_exact(counts: list[int]) -> None:
    shares = split_percent(counts, balance=1)

    total = sum(counts)
    if total == 0:
        assert shares == [Decimal("0.00")] * 3
        return
    assert sum(shares) == Decimal("100.00")
    for count, share in zip(counts, shares, strict=True):
        assert abs(share - Decimal(count) * 100 / total) <= Decimal("0.02")
        assert share >= 0


def test_vietnamese_number_format() -> None:
    assert vi_number(9415) == "9.415"
    assert vi_number(68279) == "68.279"
    assert vi_percent(Decimal("69.35")) == "69,35"


# --- the published figure, through the database ------------------------------------------------


async def test_report__a_month_matching_long_an_february_2020(
    staff: Staff, services: Services, catalog: None
) -> None:
    procedure = (await services.catalog.procedures(_admin(staff)))[0]
    received = datetime(2020, 2, 3, 2, 0, tzinfo=UTC)  # 3 February 2020, 09:00 in Vietnam
    due = date(2020, 2, 20)
    finished = {"early": date(2020, 2, 17), "on_time": due, "late": date(2020, 2, 25)}
    kinds = ["early"] * 3975 + ["on_time"] * 1716 + ["late"] * 41 + [None] * (9415 - 5732)
    rows = [
        Dossier(
            id=f"01E0000000000000000{n:07d}",
            commune="07192",
            procedure=procedure.id,
            procedure_code=procedure.code,
            catalog_revision=1,
            channel="field_team" if n % 4 == 0 else "counter",
            applicant_name="A",
            applicant_id_number="022095001234",
            consent=True,
            status=9 if kind else 4,
            received_at=received,
            due_date=due,
            original_due_date=due,
            finished_at=(
                datetime.combine(finished[kind], datetime.min.time(), UTC) + timedelta(hours=3)
                if kind
                else None
            ),
            timeliness=kind,
            created_at=received,
            updated_at=received,
        )
        for n, kind in enumerate(kinds)
    ]
    for batch in range(0, len(rows), 200):
        await Dossier.insert(*rows[batch : batch + 200])

    report = await services.reports.timeliness("07192", date(2020, 2, 1), date(2020, 2, 29))

    total = report.total
    assert total.received == 9415
    assert total.resolved.total == 5732
    assert (total.resolved.early.count, total.resolved.early.percent) == (3975, Decimal("69.35"))
    assert (total.resolved.on_time.count, total.resolved.on_time.percent) == (
        1716,
        Decimal("29.93"),
    )
    assert (total.resolved.late.count, total.resolved.late.percent) == (41, Decimal("0.72"))
    assert total.in_progress.total == 3683
    assert total.in_progress.overdue == 3683  # due 20 February, still open on the 29th
    assert total.field_captured.count == 2354
    text = report_text(report)
    assert (
        "kỳ trước chuyển qua 0, tiếp nhận 9.415 hồ sơ; đã giải quyết 5.732 hồ sơ, trong đó "
        "trước hạn 3.975 (69,35%), "
        "đúng hạn 1.716 (29,93%), quá hạn 41 (0,72%); trước và đúng hạn 5.691 (99,28%)" in text
    )
    assert total.resolved.early_and_on_time.percent == Decimal("99.28")
    assert text.startswith("Đặc khu Cô Tô, từ 01/02/2020 đến 29/02/2020")


# --- definitions, over the API -----------------------------------------------------------------


async def test_report__counts_follow_the_dossiers_actions(
    client: httpx.AsyncClient, staff: Staff, catalog: None, clock: FrozenClock
) -> None:
    from schemas.dossiers import Action

    auth = staff["viewer.a"].auth
    early = await walk(client, staff, [Action.receive, Action.start_processing])
    late = await walk(client, staff, [Action.receive, Action.start_processing])
    apologised = await walk(client, staff, [Action.receive, Action.start_processing])
    asked_twice = await walk(
        client, staff, [Action.receive, Action.request_supplement, Action.supplement_arrived]
    )
    await ok(
        client,
        staff,
        asked_twice["id"],
        "request-supplement",
        {**BODIES[Action.request_supplement], "reason": "Bản sao mới nộp chưa chứng thực"},
    )
    await walk(client, staff, [Action.refuse])
    await walk(client, staff, [Action.receive, Action.withdraw])
    await walk(client, staff, [Action.receive, Action.stop])
    await walk(client, staff, [Action.receive])
    await ok(client, staff, early["id"], "resolve", BODIES[Action.resolve])
    clock.advance(timedelta(days=7))  # Monday 9 March, past every due date (5 March)
    await ok(client, staff, late["id"], "resolve", BODIES[Action.resolve])
    await ok(client, staff, apologised["id"], "extend", BODIES[Action.extend])
    await ok(client, staff, apologised["id"], "resolve", BODIES[Action.resolve])  # before 20th
    await client.post(
        f"/api/v1/dossiers/{early['id']}/satisfaction",
        json={"level": "satisfied"},
        headers=staff["clerk.a"].auth,
    )

    async def report(period: str) -> dict[str, Any]:
        answer = await client.get(f"/api/v1/reports/timeliness?{period}", headers=auth)
        total: dict[str, Any] = answer.json()["total"]
        return total

    total = await report("from=2026-03-01&to=2026-03-31")
    april = await report("from=2026-04-01&to=2026-04-30")

    assert total["received"] == 7
    assert total["carried_over"] == 0
    assert total["resolved"] == {
        "total": 3,
        "early": {"count": 1, "percent": "33.33"},
        "on_time": {"count": 0, "percent": "0.00"},
        "late": {"count": 2, "percent": "66.67"},
        "early_and_on_time": {"count": 1, "percent": "33.33"},
        "late_with_apology": 1,
    }, "an apology's new date never makes a late dossier on time"
    assert (total["stopped"], total["withdrawn"]) == (1, 1)
    # The dossier waiting for a supplement is paused, never overdue, although its first due
    # date has passed; the one only received is overdue.
    assert total["in_progress"] == {"total": 2, "within": 0, "overdue": 1, "paused": 1}
    in_progress = total["in_progress"]["total"]
    assert total["carried_over"] + total["received"] == (
        total["resolved"]["total"] + total["stopped"] + total["withdrawn"] + in_progress
    ), "the columns add up"
    assert total["refused"] == 1
    assert (total["supplement_requests"], total["repeat_supplement_requests"]) == (2, 1)
    assert total["satisfaction"]["satisfied"] == 1
    assert (april["carried_over"], april["received"], april["in_progress"]["total"]) == (2, 0, 2)
    february = await report("from=2026-02-01&to=2026-02-28")
    assert february["received"] == 0


async def test_report__group_by_procedure_and_csv_with_bom(
    client: httpx.AsyncClient, staff: Staff, catalog: None
) -> None:
    await ok(client, staff, (await submit(staff))["id"], "receive")
    await ok(
        client,
        staff,
        (await submit(staff, procedure_code="1.003583"))["id"],
        "receive",
        {"processing_days": 1},
    )
    query = "from=2026-03-01&to=2026-03-31&group_by=procedure"

    body = (
        await client.get(f"/api/v1/reports/timeliness?{query}", headers=staff["clerk.a"].auth)
    ).json()
    csv = await client.get(f"/api/v1/reports/timeliness.csv?{query}", headers=staff["clerk.a"].auth)

    assert [(r["key"], r["received"]) for r in body["rows"]] == [("1.004873", 1), ("1.003583", 1)]
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.content.startswith(b"\xef\xbb\xbf")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert lines[0].startswith("Nhóm,Kỳ trước chuyển qua,Tiếp nhận,Đã giải quyết,Trước hạn")
    assert "Trước và đúng hạn (%)" in lines[0]
    assert lines[-1].startswith("Tổng cộng,0,2,0")


async def test_report__another_communes_figures_are_forbidden(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    response = await client.get(
        "/api/v1/reports/timeliness?from=2026-03-01&to=2026-03-31&commune=18073",
        headers=staff["admin.a"].auth,
    )

    assert_problem(response, 403, "forbidden")


async def test_report__reversed_period_is_422(client: httpx.AsyncClient, staff: Staff) -> None:
    response = await client.get(
        "/api/v1/reports/timeliness?from=2026-03-31&to=2026-03-01", headers=staff["admin.a"].auth
    )

    assert_problem(response, 422, "validation_failed")


def test_report_csv__total_row_is_last() -> None:
    from schemas.reports import InProgress, Resolved, Share, TimelinessReport, TimelinessRow

    zero = Share(0, Decimal("0.00"))
    row = TimelinessRow(
        key="all",
        label="Tổng cộng",
        received=0,
        resolved=Resolved(0, zero, zero, zero, zero),
        in_progress=InProgress(0, 0, 0),
        refused=0,
        supplement_requests=0,
        field_captured=zero,
        satisfaction={},
    )
    report = TimelinessReport(
        commune_code="07192",
        commune_name="Đặc khu Cô Tô",
        date_from=date(2026, 3, 1),
        date_to=date(2026, 3, 31),
        group_by=GroupBy.none,
        rows=[],
        total=row,
    )

    assert report_csv(report).decode("utf-8-sig").splitlines()[1].startswith("Tổng cộng,0,0,0")
    assert len(report_csv(report).decode("utf-8-sig").splitlines()[1].split(",")) == len(CSV_HEADER)


def _admin(staff: Staff) -> object:
    from backend.auth.principal import Principal
    from schemas.accounts import Role

    return Principal(staff["admin.a"].user_id, "admin.a", Role.admin, "07192", "token")


@given(st.integers(0, 67999))
def test_early_and_on_time__reproduces_ha_tinh_99_59_however_the_two_split(early: int) -> None:
    shares = split_percent([early, 67999 - early, 280], balance=1)

    assert shares[0] + shares[1] == Decimal("99.59")
