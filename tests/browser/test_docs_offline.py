"""`/docs` and `/redoc` in a real browser on a closed network: Swagger UI and ReDoc render the
gateway's API from files the gateway serves itself, asking nothing of any other host."""

from __future__ import annotations

import pytest

from tests.browser.conftest import RecordedPage
from tools.suite import Suite

pytestmark = pytest.mark.e2e


def test_swagger_ui_renders_the_api_with_no_request_beyond_the_gateway(
    suite: Suite, recorded_page: RecordedPage
) -> None:
    page = recorded_page.page
    page.goto(f"{suite.url('intake')}/docs", wait_until="networkidle")
    page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    assert "Hotro gateway" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock-tag").count() > 3, "the API's tags are listed"
    assert recorded_page.foreign == []
    assert any("/docs-assets/swagger-ui-bundle.js" in url for url in recorded_page.requests)


def test_redoc_renders_the_api_with_no_request_beyond_the_gateway(
    suite: Suite, recorded_page: RecordedPage
) -> None:
    page = recorded_page.page
    page.goto(f"{suite.url('intake')}/redoc", wait_until="networkidle")
    page.wait_for_selector("h1", timeout=30_000)
    assert "Hotro gateway" in page.locator("h1").first.inner_text()
    assert recorded_page.foreign == []
