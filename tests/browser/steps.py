"""Steps the console's browser tests share: signing in (staff with a token, requesters with the
code the mail sink received), the directory, and reading the API as an admin to see effects."""

from __future__ import annotations

import os
import re
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page

from tests.support.mail import sent_mail
from tools.suite import ROOT, Suite

CODE = re.compile(r"là: (\d{6})")
#: Where the tests leave screenshots of the main pages: the state folder, or the README's
#: pictures when HOTRO_SCREENSHOTS_DIR=docs/screenshots (how they are refreshed).
SCREENSHOTS = Path(os.environ.get("HOTRO_SCREENSHOTS_DIR", str(ROOT / ".hotro" / "screenshots")))


def screenshot(page: Page, name: str) -> None:
    folder = SCREENSHOTS if SCREENSHOTS.is_absolute() else ROOT / SCREENSHOTS
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"console-{name}.png"), full_page=True)


def admin_headers(suite: Suite) -> dict[str, str]:
    return {"Authorization": f"Bearer {suite.admin_token}"}


def api_get(suite: Suite, path: str, **params: Any) -> Any:
    answer = httpx.get(
        f"{suite.url('intake')}/api/v1{path}",
        params=params or None,
        headers=admin_headers(suite),
        timeout=30,
    )
    answer.raise_for_status()
    return answer.json()


def api_post(suite: Suite, path: str, body: Any, token: str | None = None) -> httpx.Response:
    return httpx.post(
        f"{suite.url('intake')}/api/v1{path}",
        json=body,
        headers={"Authorization": f"Bearer {token or suite.admin_token}"},
        timeout=30,
    )


def import_directory(suite: Suite, csv_text: str) -> dict[str, Any]:
    answer = httpx.post(
        f"{suite.url('intake')}/api/v1/requesters/import",
        content=csv_text.encode(),
        headers={**admin_headers(suite), "Content-Type": "text/csv"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def sign_in_staff(page: Page, suite: Suite, token: str) -> None:
    page.context.clear_cookies()  # whoever used this browser before is gone
    page.goto(f"{suite.url('intake')}/sign-in")
    page.fill("#token", token)
    page.click("#sign-in button[type=submit]")
    page.wait_for_url("**/workspace/queues/**")


def codes_sent_to(suite: Suite, email: str) -> list[str]:
    """The sign-in codes the mail sink holds for `email`, oldest first."""
    found = []
    for message in sent_mail(suite):
        if str(message["To"]).lower() != email.lower():
            continue
        if not str(message["Subject"]).startswith("Mã đăng nhập"):
            continue
        assert isinstance(message, EmailMessage)  # parsed with the default policy
        body = message.get_body(preferencelist=("plain",))
        match = CODE.search(body.get_content() if body is not None else "")
        if match:
            found.append(match.group(1))
    return found


def ask_for_code(page: Page, suite: Suite, email: str) -> str:
    """Ask the portal for a code; the newest code the mail sink received for `email`."""
    before = len(codes_sent_to(suite, email))
    page.context.clear_cookies()
    page.goto(f"{suite.url('intake')}/portal")
    page.fill("#email", email)
    page.click("#portal-sign-in button[type=submit]")
    page.wait_for_selector("#portal-code")
    deadline = time.monotonic() + 30
    while len(codes := codes_sent_to(suite, email)) <= before:
        assert time.monotonic() < deadline, f"no sign-in code reached {email}"
        time.sleep(0.2)
    return codes[-1]


def sign_in_requester(page: Page, suite: Suite, email: str) -> None:
    code = ask_for_code(page, suite, email)
    page.fill("#code", code)
    page.click("#portal-code button[type=submit]")
    page.wait_for_url("**/portal")


def reload_until(page: Page, selector: str, timeout_s: float = 60, what: str = "") -> None:
    """Reload the page until `selector` shows (the views settle through the event log)."""
    deadline = time.monotonic() + timeout_s
    while not page.locator(selector).count():
        assert time.monotonic() < deadline, f"never showed {what or selector} on {page.url}"
        time.sleep(0.7)
        page.reload()


def wait_for(check: Any, timeout_s: float = 60, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (httpx.HTTPError, KeyError, AssertionError) as error:
            last = error
        else:
            if last:
                return last
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")
