"""HTTP endpoints for reports."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from backend.auth.principal import Principal, require
from backend.auth.roles import Permission
from backend.errors import AppError
from backend.params import INT4_MAX
from backend.reports.render import report_csv
from backend.reports.services import ReportService
from schemas import reports as wire
from schemas.errors import ErrorCode

__all__ = ["ReportController"]

From = Annotated[date, QueryParameter(name="from", description="First day (inclusive).")]
To = Annotated[date, QueryParameter(name="to", description="Last day (inclusive).")]
CommuneParam = Annotated[str | None, QueryParameter(name="commune", pattern=r"^\d{5}$")]
TeamParam = Annotated[int | None, QueryParameter(name="team", ge=1, le=INT4_MAX)]
ProcedureParam = Annotated[str | None, QueryParameter(name="procedure", max_length=40)]
GroupParam = Annotated[wire.GroupBy, QueryParameter(name="group_by")]


async def provide_report(
    reports: NamedDependency[ReportService],
    principal: NamedDependency[Principal],
    date_from: From,
    date_to: To,
    commune: CommuneParam = None,
    team: TeamParam = None,
    procedure: ProcedureParam = None,
    group_by: GroupParam = wire.GroupBy.none,
) -> wire.TimelinessReport:
    """The report the query asks for, of the caller's own commune only."""
    if commune is not None and commune != principal.commune_code:
        raise AppError(ErrorCode.forbidden, "Chỉ xem được báo cáo của xã mình.")
    return await reports.timeliness(
        principal.commune_code,
        date_from,
        date_to,
        group_by=group_by,
        team_id=team,
        procedure_code=procedure,
    )


class ReportController(Controller):
    """Timeliness reports of the caller's commune (every role may read them)."""

    path = "/api/v1/reports"
    tags = ["reports"]
    guards = [require(Permission.reports)]
    dependencies = {"report": Provide(provide_report)}

    @get("/timeliness", summary="Timeliness report for a period (JSON)")
    async def timeliness(
        self, report: NamedDependency[wire.TimelinessReport]
    ) -> wire.TimelinessReport:
        return report

    @get(
        "/timeliness.csv",
        summary="Timeliness report for a period (CSV, UTF-8 with BOM)",
        media_type="text/csv",
    )
    async def timeliness_csv(
        self, report: NamedDependency[wire.TimelinessReport]
    ) -> Response[bytes]:
        name = (
            f"bao-cao-{report.commune_code}-{report.date_from:%Y%m%d}-{report.date_to:%Y%m%d}.csv"
        )
        return Response(
            report_csv(report),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
