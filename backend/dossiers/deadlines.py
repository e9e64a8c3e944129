"""Deadlines: the due date, the pause while the citizen owes something, timeliness, standing.

Pure: no I/O. This is the one place that decides where a dossier stands against its deadline;
the inbox, the dossier page, the API's filters, the tracking page, the change feed and the
reports all call :func:`standing` (the inbox's SQL filters are built from the same sets and
thresholds, and a test checks that they agree with it on both engines).

The rules (DOMAIN.md, "Deadlines" and "Timeliness and reports"):
- due date: the receipt date plus the procedure's working days, counted from the next day; a
  same-day procedure received after its cut-off (15:00 unless the catalog says otherwise) is
  due the next working day (Decree 23/2015/NĐ-CP for chứng thực; the civil-status rules);
- an apology (Mẫu 04) promises the citizen a later date but never moves the due date that
  timeliness and standing count against: a dossier late against its receipt stays late;
- the clock stops while the citizen owes a supplement or a fee, and the due date moves by the
  working days waited when it runs again;
- a finished dossier's timeliness compares the finishing date with the due date, by date;
- an open dossier is paused while its clock stands still: never overdue meanwhile.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from backend.dossiers.states import CLOSED, PAUSING
from backend.dossiers.workdays import WorkCalendar
from schemas.dossiers import Standing, Status, Timeliness

__all__ = [
    "CLOCK_RUNNING",
    "DUE_SOON_DAYS",
    "SAME_DAY_CUTOFF",
    "due_date",
    "due_soon_until",
    "moved",
    "resume",
    "standing",
    "timeliness",
]

DUE_SOON_DAYS = 2
"""A running dossier is "due soon" when its due date is at most this many days away."""

CLOCK_RUNNING = frozenset(Status) - PAUSING - CLOSED
"""Statuses in which a received dossier's deadline clock runs."""


SAME_DAY_CUTOFF = time(15, 0)
"""After this time a same-day dossier is due the next working day, unless its procedure in the
catalog names another cut-off."""


def due_date(
    calendar: WorkCalendar,
    received_at: datetime,
    processing_days: int,
    cutoff: time | None = None,
) -> date:
    """The return date of a dossier received at ``received_at`` (Vietnam local time)."""
    received_on = received_at.date()
    if processing_days == 0 and received_at.time() > (cutoff or SAME_DAY_CUTOFF):
        # Past the cut-off the next working day is the same day's answer: start tomorrow.
        received_on += timedelta(days=1)
    return calendar.add_working_days(received_on, processing_days)


def resume(calendar: WorkCalendar, due: date, paused_on: date, today: date) -> tuple[date, int]:
    """The due date once the clock runs again, and the working days it stood still.

    The days waited are the working days in (``paused_on``, ``today``]: a pause started and
    ended on the same day costs the citizen nothing.
    """
    waited = calendar.working_days_between(paused_on, today)
    return moved(calendar, due, waited), waited


def moved(calendar: WorkCalendar, day: date, waited: int) -> date:
    """``day`` moved by ``waited`` working days (itself when nothing was waited)."""
    return calendar.add_working_days(day, waited) if waited else day


def timeliness(due: date, finished_on: date) -> Timeliness:
    """Early, on time or late, by calendar date against the date on the receipt."""
    if finished_on < due:
        return Timeliness.early
    if finished_on == due:
        return Timeliness.on_time
    return Timeliness.late


def due_soon_until(today: date) -> date:
    """The last due date that counts as "due soon" on ``today``."""
    return today + timedelta(days=DUE_SOON_DAYS)


def standing(status: Status, due: date | None, today: date, *, finished: bool = False) -> Standing:
    """Where a dossier stands on ``today``.

    ``finished`` is true once the dossier finished for timeliness (its ``finished_at``), which
    matters for a dossier resolved and not yet returned.
    """
    if finished or status in CLOSED:
        return Standing.finished
    if due is None:
        return Standing.not_received
    if status in PAUSING:
        return Standing.paused
    if due < today:
        return Standing.overdue
    if due <= due_soon_until(today):
        return Standing.due_soon
    return Standing.within
