"""The public FAQ in a real browser (headless Chromium): published public articles grouped by
application, in Vietnamese, opened with a click; internal and retired articles never shown;
nothing asked of any host but the gateway on 127.0.0.1 (no CDN, no web fonts)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser.conftest import RecordedPage, operator_token
from tools.suite import Suite

pytestmark = pytest.mark.e2e


def _publish(suite: Suite, author: str, lead: str, **content: Any) -> str:
    base = f"{suite.url('intake')}/api/v1/kb/articles"
    body = {"symptom": "Hiện tượng thử.", "cause": "Nguyên nhân thử.", "keywords": [], **content}
    created = httpx.post(base, json=body, headers={"Authorization": f"Bearer {author}"}, timeout=30)
    assert created.status_code == 201, created.text
    article = str(created.json()["id"])
    for step, token in (("review", author), ("publish", lead)):
        moved = httpx.post(f"{base}/{article}/{step}", headers={"Authorization": f"Bearer {token}"},
                           timeout=30)  # fmt: skip
        assert moved.status_code == 200, moved.text
    return article


def test_the_faq_lists_published_public_articles_by_application(
    suite: Suite, recorded_page: RecordedPage
) -> None:
    gateway = suite.url("intake")
    author = operator_token(gateway, suite.admin_token, name="sd-agent", role="group_agent",
                            group="SERVICE_DESK")  # fmt: skip
    lead = operator_token(gateway, suite.admin_token, name="sd-lead", role="group_lead",
                          group="SERVICE_DESK")  # fmt: skip
    _publish(suite, author, lead, title="Cách đổi mật khẩu eDocman", fix="Vào Cá nhân › Đổi mật khẩu.",
             applications=["EDOCMAN"], audience="public")  # fmt: skip
    _publish(suite, author, lead, title="Quy trình nội bộ khôi phục eDocman", fix="Chỉ cán bộ.",
             applications=["EDOCMAN"], audience="internal")  # fmt: skip

    page = recorded_page.page
    page.goto(f"{gateway}/faq", wait_until="networkidle")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator("h1").inner_text() == "Câu hỏi thường gặp"
    tabmis = page.locator("section[data-application=TABMIS]")
    assert tabmis.locator("h2").inner_text().startswith("Hệ thống thông tin quản lý Ngân sách")
    titles = tabmis.locator("summary").all_inner_texts()
    assert "Không đăng nhập được TABMIS do nhập sai mật khẩu nhiều lần" in titles

    edocman = page.locator("section[data-application=EDOCMAN]")
    assert "Cách đổi mật khẩu eDocman" in edocman.locator("summary").all_inner_texts()
    assert "Quy trình nội bộ" not in page.content(), "an internal article is never public"
    assert page.locator("section[data-application=KTNB]").count() == 0  # internal only

    article = edocman.locator("details", has_text="Cách đổi mật khẩu eDocman")
    assert not article.locator("dd").last.is_visible()
    article.locator("summary").click()
    assert article.locator("dd").last.inner_text() == "Vào Cá nhân › Đổi mật khẩu."
    assert article.locator("dt").all_inner_texts() == [
        "Hiện tượng",
        "Nguyên nhân",
        "Cách khắc phục",
    ]

    assert recorded_page.requests, "the browser's requests were recorded"
    assert recorded_page.foreign == [], f"requests left the machine: {recorded_page.foreign}"
