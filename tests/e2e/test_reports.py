"""Reports through the gateway (SPEC §6, §7): a few tickets walked through the suite, then the
month's and the week's report in each format, and province IT staff limited to their province."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from services.intake.adapters.tokens import Principal
from services.reporting.domain.periods import LOCAL_TZ, period_containing
from tests.support.tickets import assigned, submit, wait_until, web_ticket
from tests.support.tokens import issue_token
from tools.suite import Suite

KEYS = {"period", "tickets", "sla", "resolution", "escalation", "backlog", "incidents",
        "readiness", "top_problems", "user_errors_by_province"}  # fmt: skip


def _today() -> Any:
    return datetime.now(UTC).astimezone(LOCAL_TZ).date()


def _get(suite: Suite, token: str, kind: str, **params: str) -> httpx.Response:
    return httpx.get(
        f"{suite.url('intake')}/api/v1/reports/{kind}",
        params=params,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


@pytest.fixture(scope="module")
def month(suite: Suite) -> Iterator[str]:
    """Three tickets this month: two in Hà Nội (one resolved as a user error), one in HCM."""
    admin = {"Authorization": f"Bearer {suite.admin_token}"}
    bodies = [
        # service requests, not incidents: the same two are not one outage's reports
        web_ticket("Xin cấp lại mật khẩu TABMIS", application_code="TABMIS"),
        web_ticket("Xin cấp lại mật khẩu TABMIS", application_code="TABMIS"),
        web_ticket("Lỗi chứng từ TTSP", unit_code="KBNN-HCM", application_code="TTSP"),
    ]
    ids = []
    for body in bodies:
        response = submit(suite, body, **admin)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    for ticket_id in ids:
        view = wait_until(lambda t=ticket_id: assigned(suite, t), 90, f"{ticket_id} on the ladder")
        assert view.get("parent") is None, view  # a child would be resolved with its parent
    resolved = httpx.post(
        f"{suite.url('intake')}/api/v1/tickets/{ids[0]}/resolve",
        json={"cause": "user_error", "reason": "Người dùng nhập sai mật khẩu"},
        headers=admin,
        timeout=30,
    )
    assert resolved.status_code == 200, resolved.text
    label = period_containing("monthly", _today()).label

    def settled() -> dict[str, Any] | None:
        report: dict[str, Any] = _get(suite, suite.admin_token, "monthly", period=label).json()
        return report if report["resolution"]["resolved"] == 1 else None

    wait_until(settled, 90, "the resolution in the report")
    yield label


def test_the_json_report_has_the_keys_and_counts(suite: Suite, month: str) -> None:
    report = _get(suite, suite.admin_token, "monthly", period=month).json()
    assert set(report) == KEYS
    assert report["period"]["label"] == month
    tickets = report["tickets"]
    assert tickets["total"] == 3
    assert tickets["by_province"] == {"HNI": 2, "HCM": 1}
    assert tickets["by_channel"] == {"web": 3}
    assert report["user_errors_by_province"] == {"HNI": 1}
    assert report["backlog"]["open_at_end"] == 2
    assert report["top_problems"][0]["tickets"] == 2
    week = period_containing("weekly", _today()).label
    weekly = _get(suite, suite.admin_token, "weekly", period=week).json()
    assert weekly["tickets"]["total"] == 3 and weekly["period"]["kind"] == "weekly"


def test_the_csv_has_a_bom_and_vietnamese_headings(suite: Suite, month: str) -> None:
    response = _get(suite, suite.admin_token, "monthly", period=month, format="csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert ["Tỉnh", "Số yêu cầu"] in rows and ["HNI", "2"] in rows
    assert ["Tổng số yêu cầu", "3"] in rows


def test_the_xlsx_opens_with_numbers_and_a_chart(suite: Suite, month: str) -> None:
    response = _get(suite, suite.admin_token, "monthly", period=month, format="xlsx")
    assert response.status_code == 200, response.text
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["Yêu cầu theo tỉnh"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["Tỉnh", "Số yêu cầu"], ["HNI", 2], ["HCM", 1]
    ]  # fmt: skip
    assert sheet._charts, "a native Excel chart beside the breakdown"


def test_the_html_report_is_vietnamese_with_svg_charts(suite: Suite, month: str) -> None:
    response = _get(suite, suite.admin_token, "monthly", period=month, format="html")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<svg" in response.text and "Báo cáo hỗ trợ CNTT tháng" in response.text
    assert "http://" not in response.text.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_province_it_staff_see_their_province_only(suite: Suite, month: str) -> None:
    hni = issue_token(suite, Principal("Phòng Tin học Hà Nội", "province_it", province="HNI"))
    report = _get(suite, hni, "monthly", period=month).json()
    assert report["tickets"]["total"] == 2
    assert report["tickets"]["by_province"] == {"HNI": 2}
    other = _get(suite, hni, "monthly", period=month, province="HCM")
    assert other.status_code == 403 and other.json()["detail"][0]["field"] == "province"
    analyst = issue_token(suite, Principal("Phân tích viên", "analyst"))
    assert (
        _get(suite, analyst, "monthly", period=month, province="HCM").json()["tickets"]["total"]
        == 1
    )


def test_requesters_are_refused_and_bad_input_names_the_field(suite: Suite, month: str) -> None:
    lan = issue_token(suite, Principal("Nguyễn Thị Lan", "requester", email="lan@kbnn.gov.vn"))
    assert _get(suite, lan, "monthly", period=month).status_code == 403
    token = suite.admin_token
    for kind, params, field in [
        ("weekly", {"period": "2025-W53"}, "period"),
        ("monthly", {"period": "2026-13"}, "period"),
        ("quarterly", {"period": month}, "period"),
        ("monthly", {"period": month, "format": "pdf"}, "format"),
    ]:
        response = _get(suite, token, kind, **params)
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["field"] == field
