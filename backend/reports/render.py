"""The timeliness report as a commune report reads it, and as CSV. Pure: no I/O."""

from __future__ import annotations

import csv
import io

from backend.reports.shares import vi_number, vi_percent
from schemas import reports as wire
from schemas.dossiers import SatisfactionLevel

__all__ = ["CSV_HEADER", "report_csv", "report_text", "row_text"]

_LEVEL_LABELS = {level: level.label for level in SatisfactionLevel}

CSV_HEADER = [
    "Nhóm",
    "Tiếp nhận",
    "Đã giải quyết",
    "Trước hạn",
    "Trước hạn (%)",
    "Đúng hạn",
    "Đúng hạn (%)",
    "Quá hạn",
    "Quá hạn (%)",
    "Đang giải quyết",
    "Đang giải quyết trong hạn",
    "Đang giải quyết quá hạn",
    "Từ chối tiếp nhận",
    "Yêu cầu bổ sung",
    "Thu nhận tại cơ sở",
    "Thu nhận tại cơ sở (%)",
    *_LEVEL_LABELS.values(),
]


def row_text(row: wire.TimelinessRow) -> str:
    """One group's figures in the words provinces publish them with."""
    r = row.resolved
    p = row.in_progress
    return (
        f"tiếp nhận {vi_number(row.received)} hồ sơ; "
        f"đã giải quyết {vi_number(r.total)} hồ sơ, trong đó "
        f"trước hạn {vi_number(r.early.count)} ({vi_percent(r.early.percent)}%), "
        f"đúng hạn {vi_number(r.on_time.count)} ({vi_percent(r.on_time.percent)}%), "
        f"quá hạn {vi_number(r.late.count)} ({vi_percent(r.late.percent)}%); "
        f"đang giải quyết {vi_number(p.total)} hồ sơ "
        f"(trong hạn {vi_number(p.within)}, quá hạn {vi_number(p.overdue)}); "
        f"từ chối tiếp nhận {vi_number(row.refused)}; "
        f"yêu cầu bổ sung {vi_number(row.supplement_requests)}; "
        f"thu nhận tại cơ sở {vi_number(row.field_captured.count)} "
        f"({vi_percent(row.field_captured.percent)}%)."
    )


def report_text(report: wire.TimelinessReport) -> str:
    """The whole report as text for the terminal or a written report."""
    head = f"{report.commune_name}, từ {report.date_from:%d/%m/%Y} đến {report.date_to:%d/%m/%Y}: "
    lines = [head + row_text(report.total)]
    lines += [f"  - {row.label}: {row_text(row)}" for row in report.rows]
    rated = sum(report.total.satisfaction.values())
    if rated:
        parts = ", ".join(
            f"{label} {vi_number(report.total.satisfaction.get(level.value, 0))}"
            for level, label in _LEVEL_LABELS.items()
        )
        lines.append(f"Mức độ hài lòng ({vi_number(rated)} đánh giá): {parts}.")
    return "\n".join(lines)


def report_csv(report: wire.TimelinessReport) -> bytes:
    """CSV in UTF-8 with a byte-order mark, so spreadsheet programs show Vietnamese correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in [*report.rows, report.total]:
        r = row.resolved
        writer.writerow(
            [
                row.label,
                row.received,
                r.total,
                r.early.count,
                r.early.percent,
                r.on_time.count,
                r.on_time.percent,
                r.late.count,
                r.late.percent,
                row.in_progress.total,
                row.in_progress.within,
                row.in_progress.overdue,
                row.refused,
                row.supplement_requests,
                row.field_captured.count,
                row.field_captured.percent,
                *(row.satisfaction.get(level.value, 0) for level in _LEVEL_LABELS),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
