"""The web console in a real browser: the Vietnamese front door, staff sign-in with a token,
the queue and the ticket page with the API's own access rules, sign-out, and forms refused
without their form token (CSRF)."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.browser.conftest import RecordedPage, operator_token
from tests.support.tickets import submit, web_ticket
from tools.suite import Suite

pytestmark = pytest.mark.e2e

DATE_TIME = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$")


@pytest.fixture(scope="module")
def hni_ticket(suite: Suite) -> str:
    """A Hà Nội ticket, settled in the province office's queue."""
    answer = submit(suite, web_ticket("Không đăng nhập được TABMIS phân hệ GL"))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["number"])


def sign_in(recorded: RecordedPage, suite: Suite, token: str) -> None:
    page = recorded.page
    page.goto(f"{suite.url('intake')}/sign-in")
    page.fill("#token", token)
    page.click("#sign-in button[type=submit]")
    page.wait_for_url("**/workspace/queues/mine-to-handle*")


def test_the_front_door_is_in_vietnamese_and_asks_nothing_of_other_hosts(
    suite: Suite, recorded_page: RecordedPage
) -> None:
    page = recorded_page.page
    page.goto(f"{suite.url('intake')}/", wait_until="networkidle")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator("h1").inner_text() == "Hệ thống hỗ trợ công nghệ thông tin"
    assert page.locator("#sign-in-link").inner_text() == "Đăng nhập"
    assert recorded_page.foreign == []


def test_a_province_officer_signs_in_sees_the_ticket_in_the_queue_and_signs_out(
    suite: Suite, recorded_page: RecordedPage, hni_ticket: str
) -> None:
    token = operator_token(
        suite.url("intake"), suite.admin_token, name="pth-hni", role="province_it", province="HNI"
    )
    sign_in(recorded_page, suite, token)
    page = recorded_page.page
    assert "Cán bộ CNTT tỉnh" in page.locator("#me").inner_text()
    deadline = time.monotonic() + 60
    while not page.locator(f"tr[data-number='{hni_ticket}']").count():
        assert time.monotonic() < deadline, "the ticket never reached the province's queue"
        time.sleep(1)
        page.reload()
    row = page.locator(f"tr[data-number='{hni_ticket}']")
    assert "Không đăng nhập được TABMIS" in row.inner_text()
    assert DATE_TIME.match(row.locator(".due").inner_text()), "SLA due dd/mm/yyyy HH:MM"

    row.locator("a").click()
    page.wait_for_url(f"**/workspace/tickets/{hni_ticket}")
    assert page.locator("#number").inner_text() == hni_ticket
    assert page.locator("#province").inner_text() == "HNI"
    assert page.locator("#history li").count() >= 1

    cookie = next(c for c in page.context.cookies() if c["name"] == "hotro_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.click("#sign-out button")
    page.wait_for_url("**/?signed_out=1")
    assert page.locator("#flash").inner_text() == "Bạn đã đăng xuất."
    # The old cookie is dead on the server too, not only forgotten by the browser.
    stale = httpx.get(
        f"{suite.url('intake')}/workspace/queues/mine-to-handle",
        cookies={"hotro_session": cookie["value"]},
        follow_redirects=False,
        timeout=10,
    )
    assert stale.status_code == 303 and stale.headers["location"] == "/sign-in"
    assert recorded_page.foreign == []


def test_another_provinces_officer_cannot_see_the_ticket(
    suite: Suite, recorded_page: RecordedPage, hni_ticket: str
) -> None:
    token = operator_token(
        suite.url("intake"), suite.admin_token, name="pth-hcm", role="province_it", province="HCM"
    )
    sign_in(recorded_page, suite, token)
    page = recorded_page.page
    page.goto(f"{suite.url('intake')}/workspace/queues/mine-area")
    assert page.locator(f"tr[data-number='{hni_ticket}']").count() == 0
    response = page.goto(f"{suite.url('intake')}/workspace/tickets/{hni_ticket}")
    assert response is not None and response.status == 403
    assert "thuộc hàng đợi của tỉnh khác" in page.locator("#error").inner_text()


def test_a_wrong_token_is_refused_beside_the_field(
    suite: Suite, recorded_page: RecordedPage
) -> None:
    page = recorded_page.page
    page.goto(f"{suite.url('intake')}/sign-in")
    page.fill("#token", "not-a-token")
    page.click("#sign-in button[type=submit]")
    assert "Mã truy cập không đúng" in page.locator("#token-error").inner_text()
    assert not [c for c in page.context.cookies() if c["name"] == "hotro_session"]


def test_forms_without_their_form_token_are_refused(suite: Suite) -> None:
    base = suite.url("intake")
    with httpx.Client(base_url=base, timeout=10, follow_redirects=False) as client:
        client.get("/sign-in")
        assert client.cookies.get("hotro_form")
        refused = client.post("/sign-in", data={"token": suite.admin_token})
        assert refused.status_code == 403
        assert "mã chống giả mạo" in refused.text
        assert "hotro_session" not in refused.cookies

        signed = client.post(
            "/sign-in", data={"token": suite.admin_token, "csrf": client.cookies["hotro_form"]}
        )
        assert signed.status_code == 303, signed.text
        assert client.cookies.get("hotro_session")
        forged = client.post("/sign-out", data={"csrf": "forged"})
        assert forged.status_code == 403
        still = client.get("/workspace/queues/mine-area")
        assert still.status_code == 200, "a refused sign-out leaves the session alone"


def test_the_pages_are_not_in_the_api_contract(suite: Suite) -> None:
    schema = httpx.get(f"{suite.url('intake')}/api/v1/openapi.json", timeout=10).json()
    assert not [p for p in schema["paths"] if not p.startswith("/api/")]
