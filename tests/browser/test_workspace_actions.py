"""The operators' workspace in a real browser: a request submitted through the portal goes up
the ladder and back through the ticket page's forms (SPEC §4: the province escalates, the
central group answers, the province replies and resolves, the requester confirms); every
other action of the page; a 409 shown in Vietnamese; forms without their form token refused;
another province's ticket page refused (403); the queues' views, filters and search."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import RecordedPage, operator_token
from tests.browser.steps import (
    api_get,
    api_post,
    import_directory,
    reload_until,
    screenshot,
    sign_in_requester,
    sign_in_staff,
    wait_for,
)
from tests.support.tickets import submit, web_ticket
from tools.suite import Suite

pytestmark = pytest.mark.e2e

LAN = f"lan.{uuid.uuid4().hex[:6]}@kbnn.gov.vn"
OFFICER = "Cán bộ CNTT Hà Nội (bàn làm việc)"


@pytest.fixture(scope="module")
def tokens(suite: Suite) -> dict[str, str]:
    import_directory(suite, f"name,email,unit_code\nNguyễn Thị Lan,{LAN},KBNN-HNI\n")
    url, admin = suite.url("intake"), suite.admin_token
    return {
        "hni": operator_token(url, admin, name=OFFICER, role="province_it", province="HNI"),
        "hcm": operator_token(url, admin, name="Cán bộ HCM", role="province_it", province="HCM"),
        "tabmis": operator_token(url, admin, name="Nhóm TABMIS (bàn)", role="group_agent", group="TABMIS"),
        "analyst": operator_token(url, admin, name="Phân tích (bàn)", role="analyst"),
    }  # fmt: skip


@pytest.fixture
def second_page(browser: Browser) -> Iterator[Page]:
    """Another person at another desk: a context of their own (own cookies)."""
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    yield context.new_page()
    context.close()


def _view(suite: Suite, number: str) -> dict[str, Any]:
    return dict(api_get(suite, f"/tickets/{number}"))


def _act(page: Page, name: str, **fields: str) -> None:
    """Open an action's form on the ticket page, fill it, send it."""
    page.locator(f"#action-{name} summary").click()
    for field, value in fields.items():
        target = page.locator(f"#{name}-{field}")
        if target.evaluate("e => e.tagName") == "SELECT":
            target.select_option(value)
        else:
            target.fill(value)
    page.locator(f"#action-{name} button[type=submit]").click()
    page.wait_for_load_state()


def _settled(suite: Suite, subject: str, application: str = "TABMIS") -> str:
    answer = submit(suite, web_ticket(subject, application_code=application))
    assert answer.status_code == 201, answer.text
    number = str(answer.json()["number"])
    wait_for(lambda: _view(suite, number).get("handler"), what="the ticket on the ladder")
    return number


def test_a_request_goes_up_the_ladder_and_back_through_the_pages(
    suite: Suite, recorded_page: RecordedPage, second_page: Page, tokens: dict[str, str]
) -> None:
    base = suite.url("intake")
    requester = second_page
    sign_in_requester(requester, suite, LAN)
    requester.goto(f"{base}/portal/new")
    requester.select_option("#application_code", "TABMIS")
    requester.fill("#subject", "TABMIS báo lỗi khi duyệt lệnh chi")
    requester.fill("#description", "Duyệt lệnh chi báo lỗi ORA-01403.")
    screenshot(requester, "portal-new")
    requester.click("#new-ticket button[type=submit]")
    requester.wait_for_url("**/portal/tickets/YC-*")
    number = requester.locator("#number").inner_text()

    page = recorded_page.page
    sign_in_staff(page, suite, tokens["hni"])
    reload_until(page, f"tr[data-number='{number}']", 90, "the request in mine to handle")
    screenshot(page, "queue")
    page.locator(f"tr[data-number='{number}'] a").click()
    page.wait_for_url(f"**/workspace/tickets/{number}")
    # The knowledge base's articles for a TABMIS error, computed once the ticket arrived.
    reload_until(page, "#kb-suggestions li[data-article]", 60, "the knowledge base's suggestions")
    owner = _view(suite, number)["owner"]
    agent = {"name": OFFICER, "email": "hni.ws@kbnn.gov.vn", "office": owner, "role": "province_it"}
    assert api_post(suite, "/agents", agent).status_code in (200, 201)

    _act(page, "assign", assignee=OFFICER)
    assert "Đã ghi nhận: Phân công" in page.locator("#flash").inner_text()
    wait_for(lambda: _view(suite, number)["assignee"] == OFFICER, what="assigned")

    _act(page, "comment", body="Đã kiểm tra máy trạm, lỗi ở máy chủ.", visibility="internal")
    wait_for(
        lambda: any(
            (e.get("data") or {}).get("visibility") == "internal"
            for e in _view(suite, number)["history"]
        ),
        what="the internal note",
    )

    _act(page, "escalate", reason="Lỗi phía máy chủ TABMIS, cần nhóm trung ương.")
    escalated = wait_for(
        lambda: (v := _view(suite, number))["handler"] != owner and v, what="escalated"
    )
    assert escalated["owner"] == owner, "the province keeps ownership"
    page.goto(f"{base}/workspace/queues/mine-to-follow-up")
    reload_until(page, f"tr[data-number='{number}']", 60, "the request in mine to follow up")

    central = second_page
    sign_in_staff(central, suite, tokens["tabmis"])
    central.goto(f"{base}/workspace/tickets/{number}")
    _act(central, "return", answer="Đã khởi động lại dịch vụ duyệt chi, đề nghị thử lại.")
    wait_for(lambda: _view(suite, number)["handler"] == owner, what="back with the province")

    page.goto(f"{base}/workspace/tickets/{number}")
    _act(page, "comment", body="Đề nghị anh/chị thử duyệt lại lệnh chi.", visibility="public")
    _act(page, "resolve", cause="infrastructure", reason="Đã khởi động lại dịch vụ duyệt chi.")
    wait_for(lambda: _view(suite, number)["status"] == "resolved", what="resolved")
    reload_until(page, "#status[data-status='resolved']", 30, "resolved on the page")
    assert page.locator("#status").inner_text() == "Đã giải quyết"
    assert page.locator("#cause").inner_text() == "Sự cố hạ tầng"
    screenshot(page, "ticket")

    requester = second_page
    sign_in_requester(requester, suite, LAN)
    requester.goto(f"{base}/portal/tickets/{number}")
    assert "Đã khởi động lại dịch vụ duyệt chi" in requester.locator("#answer").inner_text()
    assert "Đề nghị anh/chị thử duyệt lại" in requester.locator("#conversation").inner_text()
    assert "máy chủ." not in requester.locator("#conversation").inner_text(), "no internal note"
    screenshot(requester, "portal-ticket")
    requester.click("#confirm button[type=submit]")
    wait_for(lambda: _view(suite, number)["status"] == "closed", what="confirmed and closed")
    assert recorded_page.foreign == []


def test_every_other_action_of_the_ticket_page_and_a_409_in_vietnamese(
    suite: Suite, recorded_page: RecordedPage, tokens: dict[str, str]
) -> None:
    # Unlike texts: routing must not link them as duplicates on its own.
    parent = _settled(suite, "Xin cấp chứng thư số cho kế toán trưởng mới", "DVC")
    number = _settled(suite, "Không gửi được lệnh thanh toán song phương", "TTSP")
    page = recorded_page.page
    sign_in_staff(page, suite, tokens["hni"])
    page.goto(f"{suite.url('intake')}/workspace/tickets/{number}")

    _act(page, "reopen", reason="thử")
    assert page.locator("#action-error").inner_text().startswith(f"Yêu cầu {number} đang ở")
    assert "không thể mở lại" in page.locator("#action-error").inner_text()

    _act(page, "start")
    wait_for(lambda: _view(suite, number)["status"] == "in_progress", what="started")
    _act(page, "wait", reason="Anh/chị gửi giúp ảnh chụp lỗi.")
    wait_for(lambda: _view(suite, number)["status"] == "waiting_requester", what="waiting")
    reload_until(page, "#resolution-due .tag", 30, "the paused SLA clock")
    _act(page, "resume")
    wait_for(lambda: _view(suite, number)["status"] == "in_progress", what="resumed")

    _act(page, "reclassify", type="incident", reason="Đúng là sự cố.")
    wait_for(lambda: _view(suite, number)["type"] == "incident", what="reclassified")

    if _view(suite, number)["parent"]:  # routing took it for a duplicate of an older report
        _act(page, "unlink", reason="Không phải sự cố đó.")
        wait_for(lambda: not _view(suite, number)["parent"], what="unlinked first")
        page.reload()
    _act(page, "link", parent=parent, reason="Cùng sự cố mất kết nối.")
    parent_id = _view(suite, parent)["id"]
    wait_for(lambda: _view(suite, number)["parent"] == parent_id, what="linked")
    page.goto(f"{suite.url('intake')}/workspace/tickets/{parent}")
    reload_until(page, f"#children li[data-number='{number}']", 30, "the child on the parent")
    page.goto(f"{suite.url('intake')}/workspace/tickets/{number}")
    _act(page, "unlink", reason="Không phải cùng sự cố.")
    wait_for(lambda: not _view(suite, number)["parent"], what="unlinked")

    _act(page, "resolve", cause="configuration", reason="Sửa cấu hình kết nối.")
    wait_for(lambda: _view(suite, number)["status"] == "resolved", what="resolved")
    _act(page, "reopen", reason="Lỗi lại.")
    wait_for(lambda: _view(suite, number)["status"] == "reopened", what="reopened")
    _act(page, "resolve", cause="configuration")
    wait_for(lambda: _view(suite, number)["status"] == "resolved", what="resolved again")
    _act(page, "close")
    wait_for(lambda: _view(suite, number)["status"] == "closed", what="closed")

    # A required field left empty: the API's 422, beside the field, in Vietnamese.
    page.goto(f"{suite.url('intake')}/workspace/tickets/{parent}")
    _act(page, "resolve")
    assert page.locator("#resolve-cause-error").is_visible()
    assert "không hợp lệ" in page.locator("#resolve-cause-error").inner_text()


def test_forms_without_their_token_and_other_provinces_and_analysts_are_refused(
    suite: Suite, recorded_page: RecordedPage, tokens: dict[str, str]
) -> None:
    number = _settled(suite, "Lỗi in báo cáo TABMIS")
    base = suite.url("intake")
    with httpx.Client(base_url=base, timeout=10, follow_redirects=False) as client:
        client.get("/sign-in")
        client.post("/sign-in", data={"token": tokens["hni"], "csrf": client.cookies["hotro_form"]})
        forged = client.post(
            f"/workspace/tickets/{number}/actions/comment", data={"body": "giả mạo"}
        )
        assert forged.status_code == 403 and "mã chống giả mạo" in forged.text
    assert not any(
        (e.get("data") or {}).get("body") == "giả mạo" for e in _view(suite, number)["history"]
    )

    page = recorded_page.page
    sign_in_staff(page, suite, tokens["hcm"])
    response = page.goto(f"{base}/workspace/tickets/{number}")
    assert response is not None and response.status == 403
    assert "thuộc hàng đợi của tỉnh khác" in page.locator("#error").inner_text()
    refused = page.request.post(
        f"{base}/workspace/tickets/{number}/actions/start",
        form={"csrf": _csrf(page)},
    )
    assert refused.status == 403

    page.click("#sign-out button")
    sign_in_staff(page, suite, tokens["analyst"])
    page.goto(f"{base}/workspace/tickets/{number}")
    assert page.locator("#number").inner_text() == number
    assert page.locator("#actions").count() == 0, "an analyst only reads"


def _csrf(page: Page) -> str:
    return str(page.locator("#sign-out input[name=csrf]").get_attribute("value"))


def test_queues_filter_and_search_without_diacritics(
    suite: Suite, recorded_page: RecordedPage, tokens: dict[str, str]
) -> None:
    marker = uuid.uuid4().hex[:6]
    number = _settled(suite, f"Chữ ký số hết hạn {marker}")
    page = recorded_page.page
    sign_in_staff(page, suite, tokens["hni"])
    tabs = page.locator("nav.tabs a").all_inner_texts()
    assert tabs[:2] == ["Cần tôi xử lý", "Tôi theo dõi"] and "Tỉnh của tôi" in tabs
    page.goto(f"{suite.url('intake')}/workspace/queues/all")
    page.fill("#f-q", f"chu ky so het han {marker}")
    page.click("#filters button[type=submit]")
    reload_until(page, f"tr[data-number='{number}']", 30, "the search's answer")
    assert page.locator("#count").inner_text() == "1 yêu cầu"
    page.select_option("#f-priority", "P1")
    page.click("#filters button[type=submit]")
    assert page.locator(f"tr[data-number='{number}']").count() == 0
    assert "priority=P1" in page.url and f"q=chu+ky+so+het+han+{marker}" in page.url
    page.goto(f"{suite.url('intake')}/workspace/queues/my-province?province=HCM")
    assert page.locator("#f-province").count() == 0, "a province officer has one province"
