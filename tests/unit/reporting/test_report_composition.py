"""The §6 JSON report composed from fixed rows: its keys, counts, shares and ageing."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, datetime, timedelta

from openpyxl import load_workbook

from services.reporting.adapters.report_files import report_csv, report_xlsx
from services.reporting.adapters.report_html import report_html
from services.reporting.domain.periods import LOCAL_TZ, parse_period
from services.reporting.domain.report import (
    OutageRow,
    ReadinessCheck,
    ReportInputs,
    TicketRow,
    compose_report,
)

NOVEMBER = parse_period("monthly", "2026-11")
KEYS = {"period", "tickets", "sla", "resolution", "escalation", "backlog", "incidents",
        "readiness", "top_problems", "user_errors_by_province"}  # fmt: skip


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=LOCAL_TZ)


BASE = TicketRow(
    number="YC-2026-1", channel="web", group="TABMIS", application="TABMIS", province="HNI",
    unit_code="KBNN-HNI", type="incident", cause=None, status="in_progress",
    subject="Không đăng nhập được TABMIS", received_at=at(2), resolved_at=None, reopened=0,
    first_contact=False, at_province=False, response_met=None, resolution_met=None,
)  # fmt: skip

ROWS = [
    replace(BASE, status="resolved", cause="user_error", resolved_at=at(2, 13),
            first_contact=True, at_province=True, response_met=True, resolution_met=True),
    replace(BASE, number="YC-2026-2", subject="không đăng nhập  được TABMIS", status="closed",
            resolved_at=at(3, 9), reopened=1, response_met=True, resolution_met=False),
    replace(BASE, number="YC-2026-3", channel="email", group="PAYMENT", application="TTSP",
            province="HCM", subject="Lỗi chứng từ TTSP", response_met=False),
    replace(BASE, number="YC-2026-4", channel="monitoring", group="PAYMENT", application="TTSP",
            province=None, unit_code=None, subject="TTSP không phản hồi", status="resolved",
            resolved_at=at(4, 10, ), cause="infrastructure"),
]  # fmt: skip


def compose(rows: list[TicketRow] = ROWS) -> dict:
    return compose_report(
        ReportInputs(
            period=NOVEMBER,
            tickets=rows,
            backlog=[at(30, 12), at(25), datetime(2026, 10, 1, tzinfo=LOCAL_TZ)],
            # a fixed 8-hour day stands in for the treasury calendar
            business_hours=lambda a, b: (b - a) / timedelta(hours=1) / 3,
            is_working_day=lambda d: d.weekday() < 5 and d != date(2026, 11, 20),
            outages=OUTAGES,
            readiness=READINESS,
            now=at(30, 12),
        )
    )


OUTAGES = [
    OutageRow(application="TTSP", down_since=at(4, 8), recovered_at=at(4, 9),
              outage_minutes=61.5),
    OutageRow(application="TTSP", down_since=at(5, 8), recovered_at=at(5, 8, ),
              outage_minutes=3.0),
    # still down: counted up to "now" (30 November, 12:00)
    OutageRow(application="TABMIS", down_since=at(30, 11), recovered_at=None,
              outage_minutes=None),
    OutageRow(application=None, down_since=at(6), recovered_at=None, outage_minutes=None),
]  # fmt: skip

READINESS = [
    ReadinessCheck(day=date(2026, 11, 2), check_id="tabmis-web", application="TABMIS", ok=True),
    ReadinessCheck(day=date(2026, 11, 2), check_id="ttsp-web", application="TTSP", ok=True),
    ReadinessCheck(day=date(2026, 11, 3), check_id="tabmis-web", application="TABMIS", ok=False),
    ReadinessCheck(day=date(2026, 11, 3), check_id="ttsp-web", application="TTSP", ok=True),
    ReadinessCheck(day=date(2026, 11, 4), check_id="tabmis-web", application="TABMIS", ok=False),
    ReadinessCheck(day=date(2026, 11, 4), check_id="mail-imap", application=None, ok=False),
]  # fmt: skip


def test_the_report_has_exactly_the_keys_of_spec_section_6() -> None:
    report = compose()
    assert set(report) == KEYS
    assert report["period"] == {"kind": "monthly", "label": "2026-11",
                                "start": "2026-11-01T00:00:00+07:00",
                                "end": "2026-12-01T00:00:00+07:00"}  # fmt: skip


def test_breakdowns_have_a_key_only_for_values_seen() -> None:
    tickets = compose()["tickets"]
    assert tickets["total"] == 4
    assert tickets["by_channel"] == {"web": 2, "email": 1, "monitoring": 1}
    assert tickets["by_province"] == {"HNI": 2, "HCM": 1}
    assert tickets["by_cause"] == {"infrastructure": 1, "user_error": 1}


def test_shares_are_percentages_with_one_decimal_over_what_was_measured() -> None:
    report = compose()
    assert report["sla"]["response_met_pct"] == 66.7  # 2 of 3 known
    assert report["sla"]["resolution_met_pct"] == 50.0
    assert report["sla"]["by_group"]["PAYMENT"] == {"response_met_pct": 0.0,
                                                    "resolution_met_pct": None}  # fmt: skip
    resolution = report["resolution"]
    assert resolution["resolved"] == 3
    assert (resolution["first_contact_pct"], resolution["reopened_pct"]) == (33.3, 33.3)
    assert resolution["median_business_hours"] == round(24 / 3, 1)
    assert report["escalation"]["resolved_at_province_pct"] == 33.3
    assert report["escalation"]["by_province"]["HNI"] == {"tickets": 2,
                                                         "resolved_at_province_pct": 50.0}  # fmt: skip


def test_backlog_ageing_is_measured_at_the_end_of_the_period() -> None:
    backlog = compose()["backlog"]
    assert backlog["open_at_end"] == 3
    assert backlog["ageing"] == {"0-1d": 1, "1-3d": 0, "3-7d": 1, "7-30d": 0, ">30d": 1}


def test_incidents_problems_user_errors_and_working_days() -> None:
    report = compose()
    assert report["incidents"] == {
        "opened": 4,
        "outage_minutes_by_application": {"TABMIS": 60.0, "TTSP": 64.5},
    }
    assert report["top_problems"] == [
        {"application": "TABMIS", "summary": "Không đăng nhập được TABMIS", "tickets": 2}
    ]
    assert report["user_errors_by_province"] == {"HNI": 1}
    assert report["readiness"]["working_days"] == 20  # 21 weekdays less one day off
    assert report["readiness"]["all_green_days"] == 1  # only 2 November: every check ok
    assert report["readiness"]["failures_by_application"] == {"TABMIS": 2, "mail-imap": 1}


def test_no_morning_round_recorded_is_no_all_green_count_rather_than_zero() -> None:
    report = compose_report(
        ReportInputs(
            period=NOVEMBER,
            tickets=[],
            backlog=[],
            business_hours=lambda a, b: 0.0,
            is_working_day=lambda d: True,
        )
    )
    assert report["readiness"] == {
        "working_days": 30,
        "all_green_days": None,
        "failures_by_application": {},
    }
    assert report["incidents"] == {"opened": 0, "outage_minutes_by_application": {}}


def test_time_waiting_for_the_requester_is_not_counted_in_the_time_to_resolve() -> None:
    waited = replace(
        ROWS[0],
        pauses=(
            (at(2, 10), at(2, 11)),
            (
                at(
                    2,
                    10,
                ),
                at(
                    2,
                    11,
                ),
            ),
        ),
    )  # the same hour twice: subtracted once
    report = compose([waited])
    # 4 wall-clock hours less 1 waiting, on the stand-in calendar (a third of wall time)
    assert report["resolution"]["median_business_hours"] == round(3 / 3, 1)


def test_an_empty_period_has_no_shares_and_no_keys() -> None:
    report = compose([])
    assert report["tickets"]["by_group"] == {}
    assert report["resolution"]["median_business_hours"] is None
    assert report["sla"]["response_met_pct"] is None


def test_csv_xlsx_and_html_carry_the_same_numbers() -> None:
    report = compose()
    text = report_csv(report)
    assert text.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert ["Kênh", "Số yêu cầu"] in lines and ["web", "2"] in lines
    book = load_workbook(io.BytesIO(report_xlsx(report)))
    sheet = book["Yêu cầu theo kênh tiếp nhận"]
    assert [c.value for c in sheet["B"]] == ["Số yêu cầu", 2, 1, 1]
    assert len(sheet._charts) == 1
    html = report_html(report)
    assert html.count("<svg") >= 5 and "Yêu cầu theo tỉnh" in html
