"""Pure dossier rules: the transition table, working days, codes, timeliness."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.dossiers.deadlines import timeliness
from backend.dossiers.rules import CODE_PATTERN, dossier_code
from backend.dossiers.states import IllegalTransitionError, next_status
from backend.dossiers.workdays import ANNOUNCED_SWAPS, Swap, WorkCalendar
from schemas.dossiers import Action, Status, Timeliness

S, A = Status, Action
# The legal moves as the issue states them, written out independently of the module's table.
LEGAL = {
    (S.submitted, A.receive): S.received,
    (S.submitted, A.refuse): S.refused,
    (S.submitted, A.request_supplement): S.supplement_requested,
    (S.submitted, A.withdraw): S.withdrawn,
    (S.received, A.start_processing): S.processing,
    (S.received, A.request_supplement): S.supplement_requested,
    (S.received, A.request_fee): S.awaiting_fee,
    (S.received, A.stop): S.stopped,
    (S.received, A.withdraw): S.withdrawn,
    (S.received, A.extend): S.received,
    (S.processing, A.resolve): S.resolved,
    (S.processing, A.request_supplement): S.supplement_requested,
    (S.processing, A.request_fee): S.awaiting_fee,
    (S.processing, A.stop): S.stopped,
    (S.processing, A.withdraw): S.withdrawn,
    (S.processing, A.extend): S.processing,
    (S.supplement_requested, A.supplement_arrived): S.submitted,
    (S.supplement_requested, A.withdraw): S.withdrawn,
    (S.supplement_requested, A.stop): S.stopped,
    (S.awaiting_fee, A.record_payment): S.processing,
    (S.awaiting_fee, A.extend): S.awaiting_fee,
    (S.awaiting_fee, A.withdraw): S.withdrawn,
    (S.awaiting_fee, A.stop): S.stopped,
    (S.resolved, A.return_result): S.returned,
}


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_next_status__follows_the_table_and_refuses_everything_else(
    status: Status, action: Action
) -> None:
    if (status, action) in LEGAL:
        assert next_status(status, action) is LEGAL[(status, action)]
        if action is A.supplement_arrived:
            for asked in (S.submitted, S.received, S.processing):
                assert next_status(status, action, asked_from=asked) is asked
    else:
        with pytest.raises(IllegalTransitionError) as raised:
            next_status(status, action)
        assert raised.value.current is status
        assert status.label in str(raised.value)


def test_status__labels_are_the_portal_names() -> None:
    assert [s.value for s in Status] == list(range(1, 11))
    assert Status.received.label == "Được tiếp nhận"
    assert Status.returned.label == "Đã trả kết quả"


# --- working days ----------------------------------------------------------------------------

CAL = WorkCalendar()
VN = holidays.VN()
days_2025_2028 = st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31))
spans = st.integers(min_value=0, max_value=60)


@settings(max_examples=300, deadline=None)
@given(start=days_2025_2028, n=spans)
def test_add_working_days__always_lands_on_a_working_day(start: date, n: int) -> None:
    assert CAL.is_working_day(CAL.add_working_days(start, n))


@settings(max_examples=300, deadline=None)
@given(start=days_2025_2028, n=st.integers(1, 40), m=st.integers(0, 40))
def test_add_working_days__n_then_m_equals_n_plus_m(start: date, n: int, m: int) -> None:
    assert CAL.add_working_days(CAL.add_working_days(start, n), m) == CAL.add_working_days(
        start, n + m
    )


@settings(max_examples=300, deadline=None)
@given(start=days_2025_2028, n=st.integers(1, 40))
def test_add_working_days__agrees_with_the_holidays_calendar(start: date, n: int) -> None:
    due = CAL.add_working_days(start, n)
    swapped = {d for s in ANNOUNCED_SWAPS for d in (s.day_off, s.working_day)}
    if not any(start < d <= due + timedelta(days=14) for d in swapped):
        assert due == VN.get_nth_working_day(start, n)


KNOWN_ANNOUNCEMENTS = [
    # Công văn 12729/VPCP-KGVX of 25 December 2025: New Year 2026 off Thursday 1 and Friday
    # 2 January, Saturday 10 January worked instead.
    (date(2026, 1, 1), False),
    (date(2026, 1, 2), False),
    (date(2026, 1, 3), False),
    (date(2026, 1, 9), True),
    (date(2026, 1, 10), True),
    (date(2026, 1, 11), False),
]


@pytest.mark.parametrize(("day", "working"), KNOWN_ANNOUNCEMENTS)
def test_calendar__follows_every_known_announcement(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


@pytest.mark.parametrize("swap", ANNOUNCED_SWAPS, ids=lambda s: s.day_off.isoformat())
def test_announced_swaps__each_is_still_needed_on_top_of_the_pinned_package(swap: Swap) -> None:
    # Fails once a newer holidays release knows the swap: then drop it from the data.
    assert VN.is_working_day(swap.day_off) or not VN.is_working_day(swap.working_day)
    assert not CAL.is_working_day(swap.day_off)
    assert CAL.is_working_day(swap.working_day)
    assert swap.source


def test_announced_swaps__move_due_dates_and_overrides_still_win() -> None:
    overridden = WorkCalendar(extra_working_days=[date(2026, 1, 2)])

    assert CAL.add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 5)
    assert CAL.add_working_days(date(2026, 1, 9), 1) == date(2026, 1, 10)
    assert overridden.add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 2)


@settings(max_examples=200, deadline=None)
@given(due=days_2025_2028, paused_from=days_2025_2028, waited_days=st.integers(0, 90))
def test_pause__moves_the_due_date_by_exactly_the_waited_working_days(
    due: date, paused_from: date, waited_days: int
) -> None:
    resumed = paused_from + timedelta(days=waited_days)
    waited = CAL.working_days_between(paused_from, resumed)
    moved = CAL.add_working_days(CAL.next_working_day(due), waited)

    assert CAL.working_days_between(CAL.next_working_day(due), moved) == waited
    assert CAL.is_working_day(moved)


@pytest.mark.parametrize(
    ("received", "days", "due"),
    [
        (date(2026, 2, 13), 1, date(2026, 2, 23)),  # Tết 2026: 16-20 February off
        (date(2026, 2, 12), 3, date(2026, 2, 24)),
        (date(2027, 2, 5), 1, date(2027, 2, 11)),  # Tết 2027 (holidays.VN: 4-10 February off)
        (date(2026, 8, 21), 1, date(2026, 8, 22)),  # Saturday 22 August 2026 is worked
        (date(2026, 8, 28), 1, date(2026, 9, 3)),  # 31 August (swapped), 1-2 September off
        (date(2026, 3, 2), 0, date(2026, 3, 2)),  # same-day procedure on a working day
        (date(2026, 3, 7), 0, date(2026, 3, 9)),  # same-day procedure received on a Saturday
        (date(2026, 3, 6), 3, date(2026, 3, 11)),  # counting starts the day after receipt
    ],
)
def test_add_working_days__known_dates(received: date, days: int, due: date) -> None:
    assert CAL.add_working_days(received, days) == due


def test_tet_2027__is_off_as_the_holidays_calendar_says() -> None:
    tet = [d for d, name in holidays.VN(years=2027).items() if "Lunar" in name]

    assert tet
    assert not any(CAL.is_working_day(d) for d in tet)
    assert CAL.add_working_days(date(2027, 2, 5), 1) == date(2027, 2, 11)


def test_overrides__extra_day_off_and_extra_working_day_move_deadlines() -> None:
    calendar = WorkCalendar(
        extra_days_off=[date(2026, 3, 3)], extra_working_days=[date(2026, 3, 7)]
    )

    assert not calendar.is_working_day(date(2026, 3, 3))
    assert calendar.is_working_day(date(2026, 3, 7))
    assert calendar.add_working_days(date(2026, 3, 2), 1) == date(2026, 3, 4)
    assert calendar.add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 7)


def test_add_working_days__negative_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        CAL.add_working_days(date(2026, 3, 2), -1)


# --- codes and timeliness --------------------------------------------------------------------


def test_dossier_code__agency_date_and_four_digit_sequence() -> None:
    code = dossier_code("000.00.32.H42", date(2025, 7, 14), 7)

    assert code == "000.00.32.H42-250714-0007"
    match = CODE_PATTERN.match(code)
    assert match is not None
    assert match["agency"] == "000.00.32.H42"
    with pytest.raises(ValueError, match="starts at 1"):
        dossier_code("X", date(2025, 7, 14), 0)


@pytest.mark.parametrize(
    ("finished", "expected"),
    [
        (date(2026, 3, 9), Timeliness.early),
        (date(2026, 3, 10), Timeliness.on_time),
        (date(2026, 3, 11), Timeliness.late),
    ],
)
def test_timeliness__by_calendar_date(finished: date, expected: Timeliness) -> None:
    assert timeliness(date(2026, 3, 10), finished) is expected
