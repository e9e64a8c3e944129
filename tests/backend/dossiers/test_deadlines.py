"""The one deadline rule: ``standing()`` and its SQL form agree on every case, on both engines."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.dossiers.deadlines import CLOCK_RUNNING, DUE_SOON_DAYS, resume, standing
from backend.dossiers.queries import standing_where
from backend.dossiers.states import CLOSED, PAUSING
from backend.dossiers.tables import Dossier
from backend.dossiers.workdays import WorkCalendar
from schemas.dossiers import Standing, Status
from tests.backend.dossiers.test_lifecycle import catalog, submit
from tests.helpers import Staff

__all__ = ["catalog"]

TODAY = date(2026, 3, 9)
OFFSETS = (None, -30, -1, 0, 1, DUE_SOON_DAYS, DUE_SOON_DAYS + 1, 30)
"""Due dates around today: none yet, long past, yesterday, today, the due-soon edge, after."""

S = Standing
# Written out by hand from DOMAIN.md, independently of the module: the status decides first
# (closed -> finished, waiting for the citizen -> paused), then the date.
BY_DATE = {None: S.not_received, -30: S.overdue, -1: S.overdue, 0: S.due_soon, 1: S.due_soon,
           DUE_SOON_DAYS: S.due_soon, DUE_SOON_DAYS + 1: S.within, 30: S.within}  # fmt: skip
CLOSED_BY_HAND = {Status.refused, Status.withdrawn, Status.stopped, Status.resolved,
                  Status.returned}  # fmt: skip
WAITING_BY_HAND = {Status.supplement_requested, Status.awaiting_fee}


def expected(status: Status, offset: int | None, finished: bool) -> Standing:
    if finished or status in CLOSED_BY_HAND:
        return S.finished
    if offset is None:
        return S.not_received
    if status in WAITING_BY_HAND:
        return S.paused
    return BY_DATE[offset]


def due(offset: int | None) -> date | None:
    return None if offset is None else TODAY + timedelta(days=offset)


@pytest.mark.parametrize(
    ("status", "offset", "finished"), list(itertools.product(Status, OFFSETS, (False, True)))
)
def test_standing__every_status_and_due_date(
    status: Status, offset: int | None, finished: bool
) -> None:
    assert standing(status, due(offset), TODAY, finished=finished) is expected(
        status, offset, finished
    )


@given(
    status=st.sampled_from(Status),
    due_on=st.one_of(st.none(), st.dates(date(2000, 1, 1), date(2100, 1, 1))),
    today=st.dates(date(2000, 1, 1), date(2100, 1, 1)),
    finished=st.booleans(),
)
def test_standing__a_waiting_dossier_is_never_overdue(
    status: Status, due_on: date | None, today: date, finished: bool
) -> None:
    result = standing(status, due_on, today, finished=finished)

    if status in PAUSING:
        assert result is not Standing.overdue
    if result is Standing.overdue:
        assert status in CLOCK_RUNNING
        assert due_on is not None
        assert due_on < today
    assert (result is Standing.finished) == (finished or status in CLOSED)


@given(
    paused_on=st.dates(date(2025, 1, 1), date(2027, 12, 31)),
    waited=st.integers(0, 40),
    days=st.integers(0, 30),
)
def test_resume__moves_the_due_date_by_exactly_the_working_days_waited(
    paused_on: date, waited: int, days: int
) -> None:
    calendar = WorkCalendar()
    first_due = calendar.add_working_days(paused_on, days)
    today = calendar.add_working_days(paused_on, waited) if waited else paused_on

    new_due, counted = resume(calendar, first_due, paused_on, today)

    assert counted == calendar.working_days_between(paused_on, today)
    assert new_due == (calendar.add_working_days(first_due, counted) if counted else first_due)
    assert new_due >= first_due


async def test_standing_where__selects_exactly_what_standing_decides(
    staff: Staff, catalog: None
) -> None:
    cases = list(itertools.product(Status, OFFSETS, (False, True)))
    ids = {}
    for case in cases:
        dossier = await submit(staff)
        status, offset, finished = case
        await Dossier.update(
            {
                Dossier.status: status.value,
                Dossier.due_date: due(offset),
                Dossier.finished_at: datetime(2026, 3, 1, tzinfo=UTC) if finished else None,
            }
        ).where(Dossier.id == dossier["id"])
        ids[dossier["id"]] = case

    for wanted in Standing:
        rows = await Dossier.select(Dossier.id).where(
            (Dossier.commune == "07192") & standing_where(wanted, TODAY)
        )
        selected = {r["id"] for r in rows}
        assert selected == {i for i, c in ids.items() if expected(*c) is wanted}, wanted
