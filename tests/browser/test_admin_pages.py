"""Admin pages in a real browser: tokens issued, listed and revoked; the directory imported
from a file (counts and the rejected lines) and searched without diacritics; dead letters
listed and replayed; other roles refused with a 403 page."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.sync_api import FilePayload

from tests.browser.conftest import RecordedPage, operator_token
from tests.browser.steps import screenshot, sign_in_staff, wait_for
from tests.support.mail import corpus, over_http
from tools.suite import Suite

pytestmark = pytest.mark.e2e


def test_an_admin_issues_lists_and_revokes_a_token(
    suite: Suite, recorded_page: RecordedPage
) -> None:
    page = recorded_page.page
    sign_in_staff(page, suite, suite.admin_token)
    page.click("header a[href='/admin/tokens']")
    page.wait_for_url("**/admin/tokens")
    page.click("#issue summary")
    name = f"Cán bộ CNTT Đà Nẵng {uuid.uuid4().hex[:4]}"
    page.fill("#t-name", name)
    page.select_option("#t-role", "province_it")
    page.fill("#t-province", "DNG")
    page.fill("#t-days", "30")
    page.click("#issue-token button[type=submit]")
    token = page.locator("#issued-token").inner_text()
    assert "Mã chỉ hiển thị một lần" in page.locator("#issued").inner_text()
    screenshot(page, "admin-tokens")
    works = httpx.get(
        f"{suite.url('intake')}/api/v1/tickets",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert works.status_code == 200

    row = page.locator(f"#tokens tr[data-name='{name}']")
    assert row.locator(".token-status").inner_text() == "Đang hiệu lực"
    row.locator("button", has_text="Thu hồi").click()
    page.wait_for_url("**/admin/tokens?done=revoked")
    assert page.locator("#flash").inner_text() == "Đã thu hồi mã truy cập."
    row = page.locator(f"#tokens tr[data-name='{name}']")
    assert row.locator(".token-status").get_attribute("data-status") == "revoked"
    refused = httpx.get(
        f"{suite.url('intake')}/api/v1/tickets",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert refused.status_code == 401

    # The API's validation, beside the field, in Vietnamese.
    page.click("#issue summary")
    page.fill("#t-name", "Thiếu vai trò")
    page.click("#issue-token button[type=submit]")
    assert page.locator("#t-role-error").is_visible()
    assert recorded_page.foreign == []


def test_the_directory_is_imported_from_a_file_and_searched_without_diacritics(
    suite: Suite, recorded_page: RecordedPage
) -> None:
    page = recorded_page.page
    sign_in_staff(page, suite, suite.admin_token)
    page.goto(f"{suite.url('intake')}/admin/import")
    email = f"duc.{uuid.uuid4().hex[:6]}@kbnn.gov.vn"
    csv = (
        "name,email,phone,unit_code\n"
        f"Lê Văn Đức,{email},0903123456,KBNN-HNI\n"
        "Không Mã,khongma@kbnn.gov.vn,,NO-SUCH-UNIT\n"
    )
    page.set_input_files(
        "#file", files=[FilePayload(name="danh-ba.csv", mimeType="text/csv", buffer=csv.encode())]
    )
    page.click("#import button[type=submit]")
    assert page.locator("#created").inner_text() == "1"
    assert page.locator("#rejected-count").inner_text() == "1"
    assert page.locator("#rejected tr[data-line='3']").count() == 1

    page.goto(f"{suite.url('intake')}/admin/people")
    page.fill("#q", f"le van duc {email[:10]}")
    page.click("#people-search button[type=submit]")
    row = page.locator(f"#people tr[data-email='{email}']")
    assert "Lê Văn Đức" in row.inner_text()
    assert page.locator("#count").inner_text() == "1 người"


def test_a_dead_letter_is_listed_and_replayed(suite: Suite, recorded_page: RecordedPage) -> None:
    garbage = corpus("malformed_garbage.eml") + uuid.uuid4().hex.encode()
    kept = over_http(suite, garbage)
    assert kept["outcome"] == "dead_letter"
    page = recorded_page.page
    sign_in_staff(page, suite, suite.admin_token)
    page.goto(f"{suite.url('intake')}/admin/mail?kind=dead_letter")
    row = page.locator(f"#mail tr[data-mail='{kept['mail_id']}']")
    assert row.locator(".reason").inner_text() == kept["reason"]
    row.locator("button", has_text="Xử lý lại").click()
    page.wait_for_url("**/admin/mail?kind=dead_letter&done=replay*")
    assert "vẫn không đọc được" in page.locator("#flash").inner_text()

    def replayed() -> bool:
        answer = httpx.get(
            f"{suite.url('intake')}/api/v1/inbound/messages",
            headers={"Authorization": f"Bearer {suite.admin_token}"},
            timeout=10,
        )
        rows = [m for m in answer.json()["data"] if m["mail_id"] == kept["mail_id"]]
        return bool(rows) and rows[0]["replays"] >= 1

    wait_for(replayed, 30, "the replay counted")

    # Still unreadable: the admin dismisses it with a reason, and it leaves the list.
    row = page.locator(f"#mail tr[data-mail='{kept['mail_id']}']")
    row.locator("input[name=reason]").fill("Thư rác, không phải yêu cầu hỗ trợ")
    row.locator("button[data-move=dismiss]").click()
    page.wait_for_url("**/admin/mail?kind=dead_letter&done=dismiss*")
    assert "đã bỏ qua" in page.locator("#flash").inner_text()

    def gone() -> bool:  # the list is read from the inbox's index, which follows the event
        page.reload()
        return page.locator(f"#mail tr[data-mail='{kept['mail_id']}']").count() == 0

    wait_for(gone, 30, "the dismissed letter off the list")


def test_other_roles_get_a_403_page_on_admin_pages(
    suite: Suite, recorded_page: RecordedPage
) -> None:
    token = operator_token(
        suite.url("intake"), suite.admin_token, name="CNTT HNI (quản trị)", role="province_it",
        province="HNI",
    )  # fmt: skip
    page = recorded_page.page
    sign_in_staff(page, suite, token)
    assert page.locator("header a[href='/admin/tokens']").count() == 0
    for path in ("/admin/tokens", "/admin/people", "/admin/mail?kind=dead_letter"):
        response = page.goto(f"{suite.url('intake')}{path}")
        assert response is not None and response.status == 403, path
        assert page.locator("h1").inner_text() == "Không có quyền truy cập"
