"""The analysts' report pages in a real browser: a period picked, reporting's own HTML report
(with its SVG charts) embedded, CSV and XLSX downloads through the console, a bad period
refused beside its field, and a role without reports refused."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import RecordedPage, operator_token
from tests.browser.steps import screenshot, sign_in_staff
from tools.suite import Suite

pytestmark = pytest.mark.e2e


def _this_month() -> str:
    return f"{datetime.now(ZoneInfo('Asia/Ho_Chi_Minh')):%Y-%m}"


def test_an_analyst_reads_a_report_with_charts_and_downloads_it(
    suite: Suite, recorded_page: RecordedPage
) -> None:
    token = operator_token(
        suite.url("intake"), suite.admin_token, name="Phân tích viên", role="analyst"
    )
    page = recorded_page.page
    sign_in_staff(page, suite, token)
    page.click("header a[href='/analyst/reports']")
    page.select_option("#kind", "monthly")
    page.fill("#period", _this_month())
    page.click("#report-picker button[type=submit]")
    assert page.locator("#report-period").inner_text().startswith("Báo cáo tháng")

    frame = page.frame_locator("#report-frame")
    frame.locator("body").wait_for()
    assert frame.locator("html").get_attribute("lang") == "vi"
    assert frame.locator("svg").count() >= 1, "reporting's charts, drawn as inline SVG"
    screenshot(page, "reports")

    base = suite.url("intake")
    csv = page.request.get(base + (page.locator("#download-csv").get_attribute("href") or ""))
    assert csv.ok and csv.headers["content-type"].startswith("text/csv")
    assert csv.body().startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, for Excel"
    xlsx = page.request.get(base + (page.locator("#download-xlsx").get_attribute("href") or ""))
    assert xlsx.ok and xlsx.body()[:2] == b"PK"
    assert "attachment" in xlsx.headers.get("content-disposition", "")

    page.fill("#period", "2026-13")
    page.click("#report-picker button[type=submit]")
    assert page.locator("#period-error").is_visible()
    assert page.locator("#report-frame").count() == 0
    assert recorded_page.foreign == []


def test_a_role_without_reports_is_told_so(suite: Suite, recorded_page: RecordedPage) -> None:
    token = operator_token(
        suite.url("intake"), suite.admin_token, name="Nhóm TT (báo cáo)", role="group_agent",
        group="PAYMENT",
    )  # fmt: skip
    page = recorded_page.page
    sign_in_staff(page, suite, token)
    response = page.goto(f"{suite.url('intake')}/analyst/reports?kind=weekly")
    assert response is not None and response.status == 403
    assert page.locator("#report-error").is_visible()
    direct = page.request.get(f"{suite.url('intake')}/analyst/reports/weekly/csv")
    assert direct.status == 403
