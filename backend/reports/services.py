"""The timeliness report: received, resolved early / on time / late, in progress, and more.

Definitions (DOMAIN.md, "Timeliness and reports"), with dates in Vietnam time:
- received: receipt date in the period; carried over: received before it, open at its start;
- resolved: finished with a result (resolved, then perhaps returned) in the period, split by
  the timeliness fixed when it finished, against the date on the receipt as pauses moved it
  (an apology's new date never counts); percentages are of resolved; "before and on time"
  adds the first two;
- stopped: received and ended in the period without a result; withdrawn: received and
  withdrawn in the period; carried over + received = resolved + stopped + withdrawn + in
  progress;
- in progress: received by the end of the period, not finished and not withdrawn by then,
  within deadline, overdue or paused at the period's last day, as ``deadlines.standing``
  decides (against the due date as it stands; a pause that began after the period counts as
  the clock running);
- refused (at intake, Mẫu 03) and supplement requests: those actions taken in the period;
  repeated supplement requests are those that were not the dossier's first;
- field captured: the share of received dossiers captured by a team or a residential point;
- satisfaction: ratings given in the period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from piccolo.custom_types import Combinable

from backend.clock import VN_TZ
from backend.communes.tables import Commune, Team
from backend.context import Context
from backend.dossiers.deadlines import standing
from backend.dossiers.states import PAUSING, WITH_RESULT
from backend.dossiers.tables import Dossier, DossierEvent, Satisfaction
from backend.errors import AppError
from backend.params import check_days
from backend.reports.shares import percent, split_percent
from schemas import reports as wire
from schemas.dossiers import Action, Channel, SatisfactionLevel, Standing, Status, Timeliness
from schemas.errors import ErrorCode

__all__ = ["ReportService"]

_FIELD_CHANNELS = {Channel.field_team.value, Channel.residential_point.value}
_MAX_DAYS = 3700


@dataclass
class _Tally:
    label: str
    received: int = 0
    carried_over: int = 0
    field_captured: int = 0
    finished: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    late_with_apology: int = 0
    stopped: int = 0
    withdrawn: int = 0
    within: int = 0
    overdue: int = 0
    paused: int = 0
    refused: int = 0
    supplement_requests: int = 0
    repeat_supplement_requests: int = 0
    satisfaction: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def row(self, key: str) -> wire.TimelinessRow:
        counts = [self.finished[t] for t in ("early", "on_time", "late")]
        early, on_time, late = split_percent(counts, balance=1)
        return wire.TimelinessRow(
            key=key,
            label=self.label,
            received=self.received,
            carried_over=self.carried_over,
            resolved=wire.Resolved(
                total=sum(counts),
                early=wire.Share(counts[0], early),
                on_time=wire.Share(counts[1], on_time),
                late=wire.Share(counts[2], late),
                early_and_on_time=wire.Share(counts[0] + counts[1], early + on_time),
                late_with_apology=self.late_with_apology,
            ),
            stopped=self.stopped,
            withdrawn=self.withdrawn,
            in_progress=wire.InProgress(
                total=self.within + self.overdue + self.paused,
                within=self.within,
                overdue=self.overdue,
                paused=self.paused,
            ),
            refused=self.refused,
            supplement_requests=self.supplement_requests,
            repeat_supplement_requests=self.repeat_supplement_requests,
            field_captured=wire.Share(
                self.field_captured, percent(self.field_captured, self.received)
            ),
            satisfaction={
                level.value: self.satisfaction[level.value] for level in SatisfactionLevel
            },
        )


class ReportService:
    """Reports over one commune's dossiers."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def timeliness(
        self,
        commune_code: str,
        date_from: date,
        date_to: date,
        *,
        group_by: wire.GroupBy = wire.GroupBy.none,
        team_id: int | None = None,
        procedure_code: str | None = None,
    ) -> wire.TimelinessReport:
        """The report for ``date_from`` to ``date_to`` inclusive."""
        check_days(date_from, date_to)
        if date_to < date_from or (date_to - date_from).days > _MAX_DAYS:
            raise AppError(
                ErrorCode.validation_failed,
                "Khoảng thời gian báo cáo không hợp lệ (từ ngày trước đến ngày, tối đa 10 năm).",
            )
        commune = await Commune.select(Commune.name).where(Commune.code == commune_code).first()
        if commune is None:
            raise AppError(ErrorCode.not_found, f"Xã {commune_code} chưa được đăng ký.")
        start = datetime.combine(date_from, time(), VN_TZ)
        end = datetime.combine(date_to + timedelta(days=1), time(), VN_TZ)

        scope: Combinable = Dossier.commune == commune_code
        if team_id is not None:
            scope &= Dossier.team == team_id
        if procedure_code:
            scope &= Dossier.procedure_code == procedure_code

        key_of = await self._grouping(commune_code, group_by)
        tallies: dict[str, _Tally] = {}
        total = _Tally(label="Tổng cộng")

        def tally(row: dict[str, Any]) -> list[_Tally]:
            key, label = key_of(row)
            return [tallies.setdefault(key, _Tally(label=label)), total]

        dossiers = await Dossier.select(
            Dossier.id,
            Dossier.team,
            Dossier.procedure_code,
            Dossier.procedure.name.as_alias("procedure_name"),
            Dossier.channel,
            Dossier.received_at,
            Dossier.due_date,
            Dossier.finished_at,
            Dossier.timeliness,
            Dossier.status,
            Dossier.paused_since,
            Dossier.extended_due_date,
        ).where(
            scope
            & (Dossier.received_at < end)
            & (Dossier.finished_at.is_null() | (Dossier.finished_at >= start))
        )
        withdrawn = {
            row["dossier"]: row["at"]
            for row in await DossierEvent.select(DossierEvent.dossier, DossierEvent.at).where(
                (DossierEvent.commune == commune_code)
                & (DossierEvent.action == Action.withdraw.value)
                & (DossierEvent.at < end)
            )
        }
        for row in dossiers:
            withdrawn_at = withdrawn.get(row["id"])
            if withdrawn_at is not None and withdrawn_at < start:
                continue  # its story ended before the period
            groups = tally(row)
            received_in_period = row["received_at"] >= start
            finished = row["finished_at"]
            for t in groups:
                if received_in_period:
                    t.received += 1
                    t.field_captured += row["channel"] in _FIELD_CHANNELS
                else:
                    t.carried_over += 1
                if finished is not None and finished < end:
                    if Status(row["status"]) in WITH_RESULT:
                        t.finished[row["timeliness"]] += 1
                        late = row["timeliness"] == Timeliness.late.value
                        t.late_with_apology += late and row["extended_due_date"] is not None
                    else:
                        t.stopped += 1
                elif withdrawn_at is not None:
                    t.withdrawn += 1
                else:
                    at_end = _standing_at_end(row, end, date_to)
                    if at_end is Standing.paused:
                        t.paused += 1
                    elif at_end is Standing.overdue:
                        t.overdue += 1
                    else:
                        t.within += 1

        events = (
            await DossierEvent.select(
                DossierEvent.action,
                DossierEvent.payload,
                DossierEvent.dossier.team.as_alias("team"),
                DossierEvent.dossier.procedure_code.as_alias("procedure_code"),
                DossierEvent.dossier.procedure.name.as_alias("procedure_name"),  # type: ignore[union-attr]
            )
            .where(
                (DossierEvent.commune == commune_code)
                & DossierEvent.action.is_in([Action.refuse.value, Action.request_supplement.value])
                & (DossierEvent.at >= start)
                & (DossierEvent.at < end)
                & _through(DossierEvent.dossier, team_id, procedure_code)
            )
            .output(load_json=True)
        )
        for event in events:
            for t in tally(event):
                if event["action"] == Action.refuse.value:
                    t.refused += 1
                else:
                    t.supplement_requests += 1
                    t.repeat_supplement_requests += (event["payload"] or {}).get(
                        "supplement_round", 1
                    ) > 1

        ratings = await Satisfaction.select(
            Satisfaction.level,
            Satisfaction.dossier.team.as_alias("team"),
            Satisfaction.dossier.procedure_code.as_alias("procedure_code"),
            Satisfaction.dossier.procedure.name.as_alias("procedure_name"),  # type: ignore[union-attr]
        ).where(
            (Satisfaction.dossier.commune == commune_code)
            & (Satisfaction.at >= start)
            & (Satisfaction.at < end)
            & _through(Satisfaction.dossier, team_id, procedure_code)
        )
        for rating in ratings:
            for t in tally(rating):
                t.satisfaction[rating["level"]] += 1

        rows = [tallies[k].row(k) for k in sorted(tallies, key=lambda k: tallies[k].label)]
        return wire.TimelinessReport(
            commune_code=commune_code,
            commune_name=commune["name"],
            date_from=date_from,
            date_to=date_to,
            group_by=group_by,
            rows=rows if group_by is not wire.GroupBy.none else [],
            total=total.row("all"),
        )

    async def _grouping(
        self, commune_code: str, group_by: wire.GroupBy
    ) -> Callable[[dict[str, Any]], tuple[str, str]]:
        if group_by is wire.GroupBy.team:
            names = {
                r["id"]: r["name"]
                for r in await Team.select(Team.id, Team.name).where(Team.commune == commune_code)
            }

            def by_team(row: dict[str, Any]) -> tuple[str, str]:
                team = row["team"]
                if team is None:
                    return "counter", "Tại bộ phận một cửa"
                return str(team), names.get(team, f"Tổ {team}")

            return by_team
        if group_by is wire.GroupBy.procedure:
            return lambda row: (row["procedure_code"], row["procedure_name"])
        return lambda row: ("all", "Tổng cộng")


def _standing_at_end(row: dict[str, Any], end: datetime, last_day: date) -> Standing:
    """Where an open dossier stood on the period's last day.

    Its status now stands for its status then, except that a pause begun after the period
    did not stop the clock within it, and a dossier finished after it was still running.
    """
    status = Status(row["status"])
    paused = status in PAUSING and row["paused_since"] is not None and row["paused_since"] < end
    if not paused:
        status = Status.processing
    return standing(status, row["due_date"], last_day)


def _through(dossier: Any, team_id: int | None, procedure_code: str | None) -> Combinable:
    """The team and procedure filters, applied through a foreign key to the dossier."""
    scope: Combinable = dossier.is_not_null()
    if team_id is not None:
        scope &= dossier.team == team_id
    if procedure_code:
        scope &= dossier.procedure_code == procedure_code
    return scope
