"""The desk's read-only pages in a real browser: outages with their children (routing's links),
known errors (escalation), monitoring's incidents and checks (monitoring), each what the API
shows the person — another province's outage is a 403 page."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser.conftest import RecordedPage, operator_token
from tests.browser.steps import (
    api_get,
    api_post,
    reload_until,
    screenshot,
    sign_in_staff,
    wait_for,
)
from tests.support.tickets import submit, web_ticket
from tools.suite import Suite

pytestmark = pytest.mark.e2e


def _view(suite: Suite, number: str) -> dict[str, Any]:
    return dict(api_get(suite, f"/tickets/{number}"))


def _settled(suite: Suite, subject: str, **extra: Any) -> str:
    answer = submit(suite, web_ticket(subject, **extra))
    assert answer.status_code == 201, answer.text
    number = str(answer.json()["number"])
    wait_for(lambda: _view(suite, number).get("handler"), what="the ticket on the ladder")
    return number


@pytest.fixture(scope="module")
def outage(suite: Suite) -> tuple[str, str]:
    """A Hà Nội outage's first report and a second report linked to it."""
    parent = _settled(suite, "Mất kết nối mạng diện rộng tới KBNN Hà Nội")
    child = _settled(suite, "Không truy cập được mạng WAN, phòng kế toán")
    linked = api_post(suite, f"/tickets/{child}/parent", {"parent": parent, "reason": "cùng sự cố"})
    assert linked.status_code == 200, linked.text
    parent_id = _view(suite, parent)["id"]
    wait_for(lambda: _view(suite, child)["parent"] == parent_id, what="the child linked")
    return parent, child


def _officer(suite: Suite, province: str) -> str:
    return operator_token(
        suite.url("intake"), suite.admin_token, name=f"CNTT {province} (sự cố)",
        role="province_it", province=province,
    )  # fmt: skip


def test_an_outage_is_listed_with_its_children(
    suite: Suite, recorded_page: RecordedPage, outage: tuple[str, str]
) -> None:
    parent, child = outage
    page = recorded_page.page
    sign_in_staff(page, suite, _officer(suite, "HNI"))
    page.click("header a[href='/workspace/outages']")
    reload_until(page, f"#outages tr[data-number='{parent}']", 30, "the outage in the list")
    assert page.locator(f"#outages tr[data-number='{parent}'] .children").inner_text() == "1"
    page.locator(f"#outages tr[data-number='{parent}'] a").click()
    page.wait_for_url(f"**/workspace/outages/{parent}")
    assert page.locator("#number").inner_text() == parent
    assert "phòng kế toán" in page.locator(f"#children tr[data-number='{child}']").inner_text()
    screenshot(page, "outage")
    page.goto(f"{suite.url('intake')}/workspace/outages")
    page.fill("#outage-number", parent)
    page.click("#outage-lookup button[type=submit]")
    page.wait_for_url(f"**/workspace/outages/{parent}")
    assert recorded_page.foreign == []


def test_another_provinces_outage_is_refused(
    suite: Suite, recorded_page: RecordedPage, outage: tuple[str, str]
) -> None:
    parent, _ = outage
    page = recorded_page.page
    sign_in_staff(page, suite, _officer(suite, "HCM"))
    page.goto(f"{suite.url('intake')}/workspace/outages")
    assert page.locator(f"#outages tr[data-number='{parent}']").count() == 0
    response = page.goto(f"{suite.url('intake')}/workspace/outages/{parent}")
    assert response is not None and response.status == 403
    assert "thuộc hàng đợi của tỉnh khác" in page.locator("#error").inner_text()


def test_a_software_bug_shows_as_a_known_error(suite: Suite, recorded_page: RecordedPage) -> None:
    number = _settled(suite, "TABMIS treo khi kết xuất báo cáo B02", application_code="TABMIS")
    resolved = api_post(
        suite, f"/tickets/{number}/resolve", {"cause": "software_bug", "reason": "Lỗi phần mềm."}
    )
    assert resolved.status_code == 200, resolved.text
    ticket_id = _view(suite, number)["id"]

    def listed() -> bool:
        answer = httpx.get(
            f"{suite.url('intake')}/api/v1/known-errors",
            headers={"Authorization": f"Bearer {suite.admin_token}"},
            timeout=10,
        )
        return any(ticket_id in (k.get("tickets") or []) for k in answer.json()["data"])

    wait_for(listed, 60, "the known error")
    page = recorded_page.page
    sign_in_staff(page, suite, suite.admin_token)
    page.click("header a[href='/workspace/known-errors']")
    link = f"a[href='/workspace/tickets/{ticket_id}']"
    assert page.locator(f"#known-errors {link}").count() == 1
    row = page.locator("#known-errors tbody tr").filter(has=page.locator(link))
    assert "TABMIS" in row.inner_text() and "Mới ghi nhận" in row.inner_text()


def _alert(status: str) -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": '{}:{alertname="TtspGatewayDown"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "hotro",
        "groupLabels": {"alertname": "TtspGatewayDown"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.kbnn.vn",
        "alerts": [
            {
                "status": status,
                "labels": {
                    "alertname": "TtspGatewayDown",
                    "severity": "critical",
                    "service": "ttsp",
                },
                "annotations": {"summary": "Cổng kết nối ngân hàng TTSP không phản hồi"},
                "startsAt": "2026-12-01T01:05:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.kbnn.vn/graph",
                "fingerprint": "c0ffee0123456789",
            }
        ],
    }


def test_the_monitoring_page_lists_the_checks_and_its_incidents(
    suite: Suite, recorded_page: RecordedPage
) -> None:
    integration = operator_token(
        suite.url("intake"), suite.admin_token, name="alertmanager", role="integration"
    )
    fired = api_post(suite, "/alerts/alertmanager", _alert("firing"), token=integration)
    assert fired.status_code == 200, fired.text
    incident = wait_for(
        lambda: api_get(suite, "/tickets", channel="monitoring")["data"], 60, "the incident"
    )[0]
    checks = api_get(suite, "/checks")["data"]
    assert checks, "the shipped estate has checks"

    page = recorded_page.page
    sign_in_staff(page, suite, suite.admin_token)
    page.click("header a[href='/workspace/monitoring']")
    assert page.locator("h1").inner_text() == "Giám sát hệ thống"
    reload_until(page, f"#incidents tr[data-number='{incident['number']}']", 30, "the incident")
    assert page.locator("#checks tr[data-check]").count() == len(checks)
    first = page.locator(f"#checks tr[data-check='{checks[0]['id']}'] .state")
    assert first.inner_text() in ("Hoạt động", "Gián đoạn", "Chưa rõ", "Bảo trì")
    page.goto(f"{suite.url('intake')}/workspace/queues/monitoring")
    assert page.locator(f"tr[data-number='{incident['number']}']").count() == 1
