"""The scheduled report as a Vietnamese mail: a short summary in the body, the report as XLSX
and HTML attachments, and for a province's IT staff the list of their province's user errors
(SPEC §6: "the list of user errors per province (sent to provincial IT staff)")."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from libs.platform.letters import SIGNATURE
from libs.platform.outgoing_mail import new_message
from services.reporting.adapters.report_files import report_xlsx
from services.reporting.adapters.report_html import report_html
from services.reporting.adapters.report_recipients import Recipient
from services.reporting.domain.periods import LOCAL_TZ
from services.reporting.domain.report_tables import report_title

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _day(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(LOCAL_TZ).strftime("%d/%m/%Y")


def _value(value: Any, unit: str = "") -> str:
    return "chưa có số liệu" if value is None else f"{value}{unit}"


def _summary(report: dict[str, Any]) -> list[str]:
    period = report["period"]
    last_day = (datetime.fromisoformat(period["end"]) - timedelta(days=1)).isoformat()
    return [
        f"Kỳ báo cáo: từ {_day(period['start'])} đến {_day(last_day)}.",
        "",
        f"- Tổng số yêu cầu: {report['tickets']['total']}",
        f"- Đã giải quyết: {report['resolution']['resolved']}",
        f"- Phản hồi đúng hạn: {_value(report['sla']['response_met_pct'], ' %')}",
        f"- Giải quyết đúng hạn: {_value(report['sla']['resolution_met_pct'], ' %')}",
        "- Thời gian giải quyết (trung vị, giờ làm việc):"
        f" {_value(report['resolution']['median_business_hours'])}",
        f"- Giải quyết tại tỉnh: {_value(report['escalation']['resolved_at_province_pct'], ' %')}",
        f"- Tồn đọng cuối kỳ: {report['backlog']['open_at_end']}",
        f"- Sự cố do giám sát phát hiện: {report['incidents']['opened']}",
    ]


def _user_error_lines(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return ["Không có yêu cầu nào được giải quyết với nguyên nhân lỗi do người dùng."]
    lines = [f"Danh sách lỗi do người dùng thao tác ({len(rows)} yêu cầu):"]
    for r in rows:
        received = r["received_at"].astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")
        lines.append(
            f"- {r['number']} ({received}, {r['unit_code'] or 'đơn vị chưa rõ'},"
            f" {r['application'] or 'chưa rõ ứng dụng'}): {r['subject']}"
        )
    return lines


def user_errors_csv(rows: list[dict[str, Any]]) -> str:
    """With a BOM, so Excel reads the Vietnamese correctly (like the report's CSV)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["Số yêu cầu", "Tỉnh", "Đơn vị", "Ứng dụng", "Tiêu đề", "Tiếp nhận", "Giải quyết"]
    )
    for r in rows:
        writer.writerow(
            [
                r["number"],
                r["province"],
                r["unit_code"],
                r["application"],
                r["subject"],
                r["received_at"].astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M"),
                r["resolved_at"].astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")
                if r["resolved_at"]
                else "",
            ]
        )
    return "\ufeff" + out.getvalue()


def report_message(
    recipient: Recipient, report: dict[str, Any], user_errors: list[dict[str, Any]] | None
) -> EmailMessage:
    """The mail of one report for one recipient; `user_errors` for a province's IT staff."""
    title = report_title(report)
    scope = f" - tỉnh {recipient.province}" if recipient.province else ""
    lines = [
        f"Kính gửi {recipient.name},",
        "",
        f"Hệ thống Hotro gửi {title[0].lower()}{title[1:]}{scope}.",
        *_summary(report),
    ]
    if user_errors is not None:
        lines += ["", *_user_error_lines(user_errors)]
    lines += [
        "",
        "Báo cáo đầy đủ (bảng, biểu đồ) ở tệp đính kèm: .xlsx (Excel) và .html (mở bằng trình"
        " duyệt). Số liệu lấy từ các bảng phân tích reporting.v1_* của Hotro.",
        "",
        "Thư này được gửi tự động, xin không trả lời.",
        "",
        *SIGNATURE,
    ]
    message = new_message(recipient.header, f"{title}{scope}", "\n".join(lines))
    name = f"bao-cao-{report['period']['label']}{'-' + recipient.province if recipient.province else ''}"
    message.add_attachment(
        report_xlsx(report), maintype=XLSX[0], subtype=XLSX[1], filename=f"{name}.xlsx"
    )
    message.add_attachment(
        report_html(report, recipient.province),
        subtype="html",
        charset="utf-8",
        disposition="attachment",
        filename=f"{name}.html",
    )
    if user_errors is not None:
        message.add_attachment(
            user_errors_csv(user_errors),
            subtype="csv",
            charset="utf-8",
            disposition="attachment",
            filename=f"loi-nguoi-dung-{report['period']['label']}-{recipient.province}.csv",
        )
    return message
