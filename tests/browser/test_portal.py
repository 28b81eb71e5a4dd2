"""The requester portal in a real browser: sign-in with a one-time code read from the mail
sink, submitting a request (with a file), following it, replying, reopening and confirming a
resolution — each effect checked through the API."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import FilePayload

from tests.browser.conftest import RecordedPage
from tests.browser.steps import (
    api_get,
    api_post,
    ask_for_code,
    codes_sent_to,
    import_directory,
    reload_until,
    sign_in_requester,
    wait_for,
)
from tests.support.tickets import submit, web_ticket
from tools.suite import Suite

pytestmark = pytest.mark.e2e

HOA = f"hoa.{uuid.uuid4().hex[:6]}@kbnn.gov.vn"
NUMBER = re.compile(r"YC-\d{4}-\d{6}")


@pytest.fixture(scope="module")
def directory(suite: Suite) -> None:
    import_directory(suite, f"name,email,phone,unit_code\nTrần Thị Hoa,{HOA},0912345678,KBNN-HNI\n")


def _ticket(suite: Suite, number: str) -> dict:  # type: ignore[type-arg]
    return dict(api_get(suite, f"/tickets/{number}"))


def test_a_code_is_mailed_to_a_known_address_only_and_a_wrong_code_is_refused(
    suite: Suite, recorded_page: RecordedPage, directory: None
) -> None:
    page = recorded_page.page
    stranger = "nobody.portal@example.vn"
    page.goto(f"{suite.url('intake')}/portal")
    page.fill("#email", stranger)
    page.click("#portal-sign-in button[type=submit]")
    # The same answer for an unknown address (nobody learns who is in the directory) …
    assert "mã đăng nhập đã được gửi" in page.locator("#notice").inner_text()
    assert codes_sent_to(suite, stranger) == []  # … but no mail

    code = ask_for_code(page, suite, HOA)
    assert re.fullmatch(r"\d{6}", code)
    page.fill("#code", "000000" if code != "000000" else "111111")
    page.click("#portal-code button[type=submit]")
    assert page.locator("#code-error").inner_text() == "Mã không đúng. Vui lòng kiểm tra lại thư."
    assert not [c for c in page.context.cookies() if c["name"] == "hotro_session"]

    page.fill("#code", code)
    page.click("#portal-code button[type=submit]")
    page.wait_for_url("**/portal")
    assert page.locator("h1").inner_text() == "Yêu cầu của tôi"
    assert "Trần Thị Hoa" in page.locator("#me").inner_text()
    # A code signs in once.
    with httpx.Client(base_url=suite.url("intake"), timeout=10) as client:
        client.get("/portal")
        again = client.post(
            "/portal/verify",
            data={"email": HOA, "code": code, "csrf": client.cookies["hotro_form"]},
        )
        assert again.status_code == 401 and "đã được dùng" in again.text
    assert recorded_page.foreign == []


def test_a_requester_submits_follows_replies_reopens_and_confirms(
    suite: Suite, recorded_page: RecordedPage, directory: None
) -> None:
    page = recorded_page.page
    sign_in_requester(page, suite, HOA)
    page.click("#new-request")
    assert page.locator("[data-kb-hook]").count() == 1, "the knowledge base's hook is there"

    # Server-side validation, beside the field (the browser's own check taken away).
    page.eval_on_selector("#subject", "e => e.removeAttribute('required')")
    page.fill("#subject", "   ")
    page.click("#new-ticket button[type=submit]")
    assert page.locator("#subject-error").is_visible()
    assert page.locator("#form-error").inner_text().startswith("Yêu cầu chưa được gửi")

    page.select_option("#application_code", "TABMIS")
    page.fill("#subject", "Không in được giấy nộp tiền trên TABMIS")
    page.fill("#description", "Máy in báo lỗi khi in chứng từ, xin hỗ trợ.")
    page.set_input_files(
        "#attachments",
        files=[FilePayload(name="loi-in.txt", mimeType="text/plain", buffer="Lỗi in\n".encode())],
    )
    page.click("#new-ticket button[type=submit]")
    page.wait_for_url("**/portal/tickets/YC-*")
    number = page.locator("#number").inner_text()
    assert NUMBER.fullmatch(number)
    assert f"Số yêu cầu của anh/chị là {number}" in page.locator("#flash").inner_text()
    seen = _ticket(suite, number)
    assert seen["requester"]["email"] == HOA
    assert "TABMIS" in (seen.get("application"), seen.get("picked_application"))
    assert seen["subject"] == "Không in được giấy nộp tiền trên TABMIS"
    wait_for(lambda: _ticket(suite, number)["attachments"], what="the file on the ticket")

    page.click("header a[href='/portal']")
    reload_until(page, f"tr[data-number='{number}']", what="the new request in my list")

    page.goto(f"{suite.url('intake')}/portal/tickets/{number}")
    page.fill("#reply-body", "Em gửi thêm ảnh chụp màn hình sau ạ.")
    page.click("#reply button[type=submit]")
    assert page.locator("#flash").inner_text() == "Đã gửi trả lời."
    wait_for(
        lambda: any(
            (e.get("data") or {}).get("body") == "Em gửi thêm ảnh chụp màn hình sau ạ."
            for e in _ticket(suite, number)["history"]
        ),
        what="the reply in the ticket's history",
    )

    resolved = api_post(
        suite,
        f"/tickets/{number}/resolve",
        {"cause": "user_error", "reason": "Chọn lại máy in mặc định trong TABMIS."},
    )
    assert resolved.status_code == 200, resolved.text
    reload_until(page, "#reopen", what="the resolution's two buttons")
    assert "Chọn lại máy in mặc định" in page.locator("#answer").inner_text()
    page.fill("#reopen-reason", "Vẫn chưa in được.")
    page.click("#reopen button[type=submit]")
    assert page.locator("#flash").inner_text() == "Yêu cầu đã được mở lại."
    wait_for(lambda: _ticket(suite, number)["status"] == "reopened", what="reopened")

    again = api_post(suite, f"/tickets/{number}/resolve", {"cause": "user_error", "reason": "OK"})
    assert again.status_code == 200, again.text
    wait_for(lambda: _ticket(suite, number)["status"] == "resolved", what="resolved again")
    reload_until(page, "#confirm", what="the confirm button")
    page.click("#confirm button[type=submit]")
    assert "Yêu cầu đã đóng" in page.locator("#flash").inner_text()
    wait_for(lambda: _ticket(suite, number)["status"] == "closed", what="closed")
    reload_until(page, "#status[data-status='closed']", what="closed on the page")
    assert page.locator("#status").inner_text() == "Đã đóng"
    assert page.locator("#reply").count() == 0
    assert recorded_page.foreign == []


def test_a_requester_cannot_open_someone_elses_request_nor_the_workspace(
    suite: Suite, recorded_page: RecordedPage, directory: None
) -> None:
    other = submit(suite, web_ticket("Yêu cầu của người khác"))
    assert other.status_code == 201, other.text
    page = recorded_page.page
    sign_in_requester(page, suite, HOA)
    response = page.goto(f"{suite.url('intake')}/portal/tickets/{other.json()['number']}")
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "Không tìm thấy"
    page.goto(f"{suite.url('intake')}/workspace/queues/all")
    assert page.url.endswith("/portal"), "a requester is sent back to the portal"


def test_portal_forms_without_their_form_token_are_refused(suite: Suite, directory: None) -> None:
    with httpx.Client(base_url=suite.url("intake"), timeout=10) as client:
        client.get("/portal")
        refused = client.post("/portal/sign-in", data={"email": HOA})
        assert refused.status_code == 403 and "mã chống giả mạo" in refused.text
