"""The JSON report laid out as tables with Vietnamese headings, one per breakdown.

CSV, XLSX and HTML all render these same tables, so the three carry the same numbers as the
JSON. `chart` names the column a bar chart is drawn from (None: no chart).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    chart: int | None = None


KIND_VI = {"weekly": "tuần", "monthly": "tháng", "quarterly": "quý"}

_SUMMARY: tuple[tuple[str, str, str], ...] = (
    ("tickets", "total", "Tổng số yêu cầu"),
    ("sla", "response_met_pct", "Tỷ lệ phản hồi đúng hạn (%)"),
    ("sla", "resolution_met_pct", "Tỷ lệ giải quyết đúng hạn (%)"),
    ("resolution", "resolved", "Số yêu cầu đã giải quyết"),
    ("resolution", "median_business_hours", "Thời gian giải quyết, trung vị (giờ làm việc)"),
    ("resolution", "p90_business_hours", "Thời gian giải quyết, phân vị 90 (giờ làm việc)"),
    ("resolution", "first_contact_pct", "Giải quyết ngay lần đầu (%)"),
    ("resolution", "reopened_pct", "Tỷ lệ mở lại (%)"),
    ("escalation", "resolved_at_province_pct", "Giải quyết tại tỉnh (%)"),
    ("backlog", "open_at_end", "Tồn đọng cuối kỳ"),
    ("incidents", "opened", "Sự cố do giám sát mở"),
    ("readiness", "working_days", "Số ngày làm việc"),
    ("readiness", "all_green_days", "Số ngày mọi hệ thống sẵn sàng"),
)

#: (key, title, headings, path to a {value: number} map in the report)
_PAIRS: tuple[tuple[str, str, tuple[str, str], tuple[str, ...]], ...] = (
    ("by_channel", "Yêu cầu theo kênh tiếp nhận", ("Kênh", "Số yêu cầu"), ("tickets", "by_channel")),
    ("by_group", "Yêu cầu theo nhóm xử lý", ("Nhóm", "Số yêu cầu"), ("tickets", "by_group")),
    ("by_application", "Yêu cầu theo ứng dụng", ("Ứng dụng", "Số yêu cầu"),
     ("tickets", "by_application")),
    ("by_province", "Yêu cầu theo tỉnh", ("Tỉnh", "Số yêu cầu"), ("tickets", "by_province")),
    ("by_type", "Yêu cầu theo loại", ("Loại", "Số yêu cầu"), ("tickets", "by_type")),
    ("by_cause", "Yêu cầu theo nguyên nhân", ("Nguyên nhân", "Số yêu cầu"), ("tickets", "by_cause")),
    ("backlog_ageing", "Tồn đọng cuối kỳ theo tuổi", ("Tuổi", "Số yêu cầu"), ("backlog", "ageing")),
    ("outage_minutes", "Thời gian gián đoạn theo ứng dụng", ("Ứng dụng", "Số phút"),
     ("incidents", "outage_minutes_by_application")),
    ("readiness_failures", "Lỗi kiểm tra sẵn sàng theo hệ thống", ("Hệ thống", "Số lần lỗi"),
     ("readiness", "failures_by_application")),
    ("user_errors", "Lỗi người dùng theo tỉnh", ("Tỉnh", "Số yêu cầu"),
     ("user_errors_by_province",)),
)  # fmt: skip

#: (key, title, headings, path to a {value: {field: number}} map, the fields in order)
_NESTED: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...] = (
    ("sla_by_group", "Tuân thủ SLA theo nhóm",
     ("Nhóm", "Phản hồi đúng hạn (%)", "Giải quyết đúng hạn (%)"), ("sla", "by_group"),
     ("response_met_pct", "resolution_met_pct")),
    ("escalation_by_province", "Giải quyết tại tỉnh (mục tiêu phân cấp)",
     ("Tỉnh", "Số yêu cầu", "Giải quyết tại tỉnh (%)"), ("escalation", "by_province"),
     ("tickets", "resolved_at_province_pct")),
)  # fmt: skip


def _at(report: dict[str, Any], path: tuple[str, ...]) -> Any:
    for name in path:
        report = report[name]
    return report


def report_tables(report: dict[str, Any]) -> list[Table]:
    """Every breakdown of the report as a table, the summary first."""
    summary = tuple((label, report[part][name]) for part, name, label in _SUMMARY)
    tables = [Table("summary", "Tổng quan", ("Chỉ tiêu", "Giá trị"), summary)]
    for key, title, headers, path in _PAIRS:
        tables.append(Table(key, title, headers, tuple(_at(report, path).items()), chart=1))
    for key, title, columns, path, fields in _NESTED:
        rows = tuple((k, *(v[f] for f in fields)) for k, v in _at(report, path).items())
        tables.append(Table(key, title, columns, rows, chart=2))
    problems = tuple((p["application"], p["summary"], p["tickets"]) for p in report["top_problems"])
    tables.append(
        Table(
            "top_problems",
            "Vấn đề lặp lại nhiều nhất",
            ("Ứng dụng", "Nội dung", "Số yêu cầu"),
            problems,
            chart=2,
        )
    )
    return tables


def report_title(report: dict[str, Any]) -> str:
    period = report["period"]
    return f"Báo cáo hỗ trợ CNTT {KIND_VI[period['kind']]} {period['label']}"
