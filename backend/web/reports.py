"""The timeliness report page: a period and a unit, the table, a chart and the CSV download."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from backend.auth.principal import principal_of, require
from backend.auth.roles import Permission
from backend.clock import Clock, local_date
from backend.errors import AppError
from backend.reports.render import LABELS
from backend.reports.services import ReportService
from backend.web.forms import period
from backend.web.render import page
from schemas.dossiers import SatisfactionLevel
from schemas.errors import ErrorCode
from schemas.reports import GroupBy, TimelinessReport

__all__ = ["ReportPages", "month_bars"]

GROUPS = {"none": "Toàn xã", "team": "Theo tổ", "procedure": "Theo thủ tục"}
TREND_MONTHS = 6
BAR_COLOURS = {"early": "#1c7c3a", "on_time": "#0b5cad", "late": "#b3261e"}


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


def month_bars(months: list[tuple[date, TimelinessReport]]) -> list[dict[str, Any]]:
    """Stacked bar geometry (SVG units, 0-100 high) of resolved dossiers per month."""
    peak = max((r.total.resolved.total for _, r in months), default=0) or 1
    bars = []
    for n, (first, report) in enumerate(months):
        resolved = report.total.resolved
        y = 100.0
        parts = []
        for key in ("early", "on_time", "late"):
            count = getattr(resolved, key).count
            height = 100.0 * count / peak
            y -= height
            parts.append({"key": key, "y": round(y, 2), "height": round(height, 2), "n": count})
        bars.append(
            {"x": 10 + n * 60, "label": f"{first:%m/%Y}", "total": resolved.total, "parts": parts}
        )
    return bars


class ReportPages(Controller):
    """Reports of the caller's commune (every role)."""

    path = "/bao-cao"
    include_in_schema = False
    guards = [require(Permission.reports)]

    @get("/")
    async def report(
        self,
        request: Request[Any, Any, Any],
        clock: NamedDependency[Clock],
        reports: NamedDependency[ReportService],
        tu: FromQuery[str] = "",
        den: FromQuery[str] = "",
        nhom: FromQuery[str] = "none",
    ) -> Template:
        principal = principal_of(request)
        today = local_date(clock.now())
        start, end = period(tu, den)
        date_to = end or today
        date_from = start or _month_start(date_to)
        if date_from > date_to:
            raise AppError(ErrorCode.validation_failed, "Ngày bắt đầu phải trước ngày kết thúc.")
        group = GroupBy(nhom) if nhom in GROUPS else GroupBy.none
        commune = principal.commune_code
        report = await reports.timeliness(commune, date_from, date_to, group_by=group)
        months = []
        first = _month_start(date_to)
        for _ in range(TREND_MONTHS):
            last = min((first + timedelta(days=32)).replace(day=1) - timedelta(days=1), date_to)
            months.append((first, await reports.timeliness(commune, first, last)))
            first = _previous_month(first)
        query = {"from": date_from.isoformat(), "to": date_to.isoformat(), "group_by": group.value}
        return page(
            request,
            "report.html",
            report=report,
            date_from=date_from,
            date_to=date_to,
            group=group.value,
            groups=list(GROUPS.items()),
            bars=month_bars(list(reversed(months))),
            colours=BAR_COLOURS,
            labels=LABELS,
            levels=[(level.value, level.label) for level in SatisfactionLevel],
            csv_url="/api/v1/reports/timeliness.csv?" + urlencode(query),
        )
