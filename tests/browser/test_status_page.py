"""The public status page in a real browser (headless Chromium): a system taken down shows
as an outage in Vietnamese, with the operators' announcement, and the page asks for nothing
from any host but the gateway on 127.0.0.1 (no CDN, no web fonts: the closed network)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.browser.conftest import RecordedPage, operator_token
from tests.support.switchable_site import Site, site_fixture, status_suite_env  # noqa: F401
from tools.suite import Suite

pytestmark = pytest.mark.e2e


def wait_for(check: Callable[[], Any], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if result:
                return result
        except (AssertionError, httpx.HTTPError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout}s: {check}")
        time.sleep(0.3)


def state(suite: Suite, code: str, headers: dict[str, str]) -> str:
    """Polled with a token: the gateway's per-address limits apply to anonymous callers."""
    doc = httpx.get(f"{suite.url('intake')}/api/v1/status", headers=headers, timeout=10).json()
    return next(s["state"] for s in doc["systems"] if s["application"] == code)


def test_the_page_shows_an_outage_and_its_announcement_in_vietnamese(
    suite: Suite, site: Site, recorded_page: RecordedPage
) -> None:
    token = operator_token(
        suite.url("intake"), suite.admin_token, name="kt-lead", role="group_lead", group="TECHNICAL"
    )
    headers = {"Authorization": f"Bearer {token}"}
    wait_for(lambda: state(suite, "TABMIS", headers) == "operational")
    site.take_down("tabmis")
    wait_for(lambda: state(suite, "TABMIS", headers) == "major_outage", timeout=30)
    published = httpx.post(
        f"{suite.url('intake')}/api/v1/announcements",
        json={
            "applications": ["TABMIS"],
            "title": "Gián đoạn truy cập TABMIS",
            "description": "Người dùng không truy cập được TABMIS; đang khôi phục máy chủ.",
            "guidance": "Vui lòng tạm dừng nhập chứng từ và thử lại sau 30 phút.",
        },
        headers=headers,
        timeout=30,
    )
    assert published.status_code == 201, published.text

    page = recorded_page.page
    page.goto(f"{suite.url('intake')}/status", wait_until="networkidle")
    assert page.locator("html").get_attribute("lang") == "vi"
    tabmis = page.locator("#system-TABMIS")
    assert tabmis.get_attribute("data-state") == "major_outage"
    assert tabmis.locator(".badge").inner_text() == "Gián đoạn nghiêm trọng"
    colour = tabmis.locator(".badge").evaluate("e => getComputedStyle(e).color")
    assert colour == "rgb(214, 40, 40)", "an outage is shown in red"
    assert page.locator("#system-TTSP .badge").inner_text() == "Hoạt động bình thường"
    assert page.locator("#overall").inner_text() == "Có hệ thống đang bị gián đoạn nghiêm trọng"
    bars = tabmis.locator("svg.bars rect")
    assert bars.count() == 90
    assert bars.last.get_attribute("data-state") == "major_outage"

    current = page.locator("#current .notice-announcement")
    assert current.locator("h3").inner_text() == "Gián đoạn truy cập TABMIS"
    assert current.locator(".status").first.inner_text() == "Đang điều tra"
    assert "Vui lòng tạm dừng nhập chứng từ" in current.inner_text()
    assert "Thứ" in current.locator("time").first.inner_text(), "dates read the Vietnamese way"

    # The page's own form subscribes and comes back with a Vietnamese confirmation.
    page.fill("#email", "giam-sat@kbnn.gov.vn")
    page.click("#subscribe button[type=submit]")
    page.wait_for_url("**/status?subscription=pending*")
    assert "Vui lòng mở thư xác nhận" in page.locator("#flash").inner_text()

    assert recorded_page.requests, "the browser's requests were recorded"
    assert recorded_page.foreign == [], f"requests left the machine: {recorded_page.foreign}"
