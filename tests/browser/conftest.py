"""Shared fixtures of the real-browser tests: headless Chromium (Debian's package, installed by
tests/support/chromium.py when missing) driven by Playwright for Python, and a page that records
every request it makes so a test can prove nothing leaves the machine (no CDN, no fonts).

Playwright never downloads a browser here: it launches `/usr/bin/chromium` by path. Requests
to any host but 127.0.0.1 are recorded and aborted, so a page that would reach the Internet
fails its test instead of hanging on the closed network.

The suite of five services comes from tests/e2e/conftest.py (`suite`, `suite_env`, which a
module overrides as there).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.conftest import suite, suite_env  # noqa: F401 - fixtures shared with e2e
from tests.support.chromium import LAUNCH_ARGS, ensure_chromium_installed

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

from playwright.sync_api import Browser, Page, Playwright, Request, Route, sync_playwright

LOOPBACK = frozenset({"127.0.0.1"})
#: URLs a page may load that never touch a network.
_LOCAL_SCHEMES = frozenset({"data", "about", "blob"})


def is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in _LOCAL_SCHEMES or parts.hostname in LOOPBACK


@dataclass
class RecordedPage:
    """A page and every request it made, in order."""

    page: Page
    requests: list[str] = field(default_factory=list)

    @property
    def foreign(self) -> list[str]:
        """Requests to any host but 127.0.0.1."""
        return [url for url in self.requests if not is_loopback(url)]


def operator_token(gateway_url: str, admin_token: str, **principal: str) -> str:
    """A token issued through the gateway's own API (`POST /api/v1/tokens`, admin): while
    Playwright's sync API runs, this thread has an event loop, so no `asyncio.run` here."""
    response = httpx.post(
        f"{gateway_url}/api/v1/tokens",
        json=principal,
        headers={"Authorization": f"Bearer {admin_token}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


# Module scope: Playwright's sync API keeps an event loop running in this thread while it
# is open, which the asyncio tests of other modules must not inherit.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    ensure_chromium_installed()
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(
        executable_path=ensure_chromium_installed(), headless=True, args=list(LAUNCH_ARGS)
    )
    yield launched
    launched.close()


@pytest.fixture
def recorded_page(browser: Browser) -> Iterator[RecordedPage]:
    """A fresh context (no cookies), Vietnamese locale and Hà Nội time, requests recorded."""
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    recorded = RecordedPage(page)

    def on_request(request: Request) -> None:
        recorded.requests.append(request.url)

    def guard(route: Route) -> None:
        if is_loopback(route.request.url):
            route.continue_()
        else:
            route.abort()

    page.on("request", on_request)
    context.route("**/*", guard)
    yield recorded
    context.close()
