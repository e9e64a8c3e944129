"""The timeliness report as a commune report reads it, and as CSV. Pure: no I/O."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Any

from backend.reports.shares import vi_number, vi_percent
from schemas import reports as wire
from schemas.dossiers import SatisfactionLevel

__all__ = ["CSV_HEADER", "LABELS", "csv_bytes", "report_csv", "report_text", "row_text"]


def _share_columns(
    label: str, share: Callable[[wire.TimelinessRow], wire.Share]
) -> list[tuple[str, Callable[[wire.TimelinessRow], object]]]:
    """A share's two CSV columns: its count and its percentage."""
    return [(label, lambda r: share(r).count), (f"{label} (%)", lambda r: share(r).percent)]


_LEVEL_LABELS = {level: level.label for level in SatisfactionLevel}

LABELS = {
    "carried_over": "Kỳ trước chuyển qua",
    "received": "Tiếp nhận",
    "resolved": "Đã giải quyết",
    "early": "Trước hạn",
    "on_time": "Đúng hạn",
    "late": "Quá hạn",
    "early_and_on_time": "Trước và đúng hạn",
    "late_with_apology": "Quá hạn có phiếu xin lỗi",
    "stopped": "Dừng xử lý",
    "withdrawn": "Rút hồ sơ",
    "in_progress": "Đang giải quyết",
    "within": "Đang giải quyết trong hạn",
    "overdue": "Đang giải quyết quá hạn",
    "paused": "Tạm dừng tính hạn",
    "refused": "Từ chối tiếp nhận",
    "supplement_requests": "Yêu cầu bổ sung",
    "repeat_supplement_requests": "Yêu cầu bổ sung lần hai trở lên",
    "field_captured": "Thu nhận tại cơ sở",
}
"""Every figure's one label: the report page, its text and its CSV."""

_COLUMNS: list[tuple[str, Callable[[wire.TimelinessRow], object]]] = [
    (LABELS["carried_over"], lambda r: r.carried_over),
    (LABELS["received"], lambda r: r.received),
    (LABELS["resolved"], lambda r: r.resolved.total),
    *(
        column
        for part in ("early", "on_time", "late", "early_and_on_time")
        for column in _share_columns(LABELS[part], attrgetter(f"resolved.{part}"))
    ),
    (LABELS["late_with_apology"], lambda r: r.resolved.late_with_apology),
    (LABELS["stopped"], lambda r: r.stopped),
    (LABELS["withdrawn"], lambda r: r.withdrawn),
    (LABELS["in_progress"], lambda r: r.in_progress.total),
    (LABELS["within"], lambda r: r.in_progress.within),
    (LABELS["overdue"], lambda r: r.in_progress.overdue),
    (LABELS["paused"], lambda r: r.in_progress.paused),
    (LABELS["refused"], lambda r: r.refused),
    (LABELS["supplement_requests"], lambda r: r.supplement_requests),
    (LABELS["repeat_supplement_requests"], lambda r: r.repeat_supplement_requests),
    *_share_columns(LABELS["field_captured"], lambda r: r.field_captured),
    *(
        (label, lambda r, v=level.value: r.satisfaction.get(v, 0))
        for level, label in _LEVEL_LABELS.items()
    ),
]
CSV_HEADER = ["Nhóm", *(label for label, _ in _COLUMNS)]


def row_text(row: wire.TimelinessRow) -> str:
    """One group's figures in the words provinces publish them with."""
    r = row.resolved
    p = row.in_progress
    apologised = (
        f" ({vi_number(r.late_with_apology)} có phiếu xin lỗi)" if r.late_with_apology else ""
    )
    repeated = row.repeat_supplement_requests
    again = f" (lần hai trở lên {vi_number(repeated)})" if repeated else ""

    def share(key: str, s: wire.Share) -> str:
        return f"{LABELS[key].lower()} {vi_number(s.count)} ({vi_percent(s.percent)}%)"

    return (
        f"kỳ trước chuyển qua {vi_number(row.carried_over)}, "
        f"tiếp nhận {vi_number(row.received)} hồ sơ; "
        f"đã giải quyết {vi_number(r.total)} hồ sơ, trong đó "
        f"{share('early', r.early)}, {share('on_time', r.on_time)}, {share('late', r.late)}"
        f"{apologised}; {share('early_and_on_time', r.early_and_on_time)}; "
        f"dừng xử lý {vi_number(row.stopped)}; rút hồ sơ {vi_number(row.withdrawn)}; "
        f"đang giải quyết {vi_number(p.total)} hồ sơ "
        f"(trong hạn {vi_number(p.within)}, quá hạn {vi_number(p.overdue)}, "
        f"tạm dừng tính hạn {vi_number(p.paused)}); "
        f"từ chối tiếp nhận {vi_number(row.refused)}; "
        f"yêu cầu bổ sung {vi_number(row.supplement_requests)}"
        f"{again}; "
        f"{share('field_captured', row.field_captured)}."
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


def csv_bytes(header: list[str], rows: Iterable[list[Any]]) -> bytes:
    """CSV in UTF-8 with a byte-order mark, so spreadsheet programs show Vietnamese correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def report_csv(report: wire.TimelinessReport) -> bytes:
    """The report's rows and total, one column per figure."""
    return csv_bytes(
        CSV_HEADER,
        (
            [row.label, *(value(row) for _, value in _COLUMNS)]
            for row in [*report.rows, report.total]
        ),
    )
