"""Their systems for the morning round's tests: a sign-in form (TABMIS signs in, TTSP's
password has expired), a page that takes three seconds, and an SMS gateway's webhook."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from tests.service.monitoring_targets import PASSWORD, USER, login_site, serve

#: The login checks' credentials, as the environment gives them to monitoring.
CREDENTIALS = {
    "HOTRO_CHECK_ROUND_TABMIS_USERNAME": USER,
    "HOTRO_CHECK_ROUND_TABMIS_PASSWORD": PASSWORD,
    "HOTRO_CHECK_ROUND_TTSP_USERNAME": USER,
    "HOTRO_CHECK_ROUND_TTSP_PASSWORD": "mat-khau-het-han",
}
_STEPS = (
    "[{method: GET, url: /login, extract: {csrf: {field: _csrf}}},"
    ' {method: POST, url: /login, form: {username: "{username}", password: "{password}",'
    ' _csrf: "{csrf}"}, expect: {status: [200], body_contains: "Đăng xuất"}}]'
)


@dataclass
class Site:
    url: str
    hooks: list[dict[str, Any]] = field(default_factory=list)

    def checks(self, more: str = "") -> str:
        """A checks file: TABMIS's page and sign-in (ready), TTSP's sign-in (refused), and
        `more` checks (YAML list items indented by two spaces)."""
        return (
            "defaults: {interval_s: 0, timeout_s: 10}\n"
            "checks:\n"
            f'  - {{id: tabmis-web, application: TABMIS, kind: http, target: "{self.url}/",'
            ' name: "TABMIS — trang chủ", morning: true,'
            ' expect: {status: [200], body_contains: "TABMIS"}}\n'
            f'  - {{id: tabmis-login, application: TABMIS, kind: login, target: "{self.url}/",'
            ' name: "TABMIS — đăng nhập thử", morning: true,'
            f" credentials: {{env: HOTRO_CHECK_ROUND_TABMIS}}, steps: {_STEPS}}}\n"
            f'  - {{id: ttsp-login, application: TTSP, kind: login, target: "{self.url}/",'
            ' name: "TTSP — đăng nhập thử", morning: true,'
            f" credentials: {{env: HOTRO_CHECK_ROUND_TTSP}}, steps: {_STEPS}}}\n" + more
        )


@contextmanager
def readiness_site() -> Iterator[Site]:
    app = login_site()
    site = Site("")

    @app.get("/slow-portal")
    async def slow_portal() -> str:
        await asyncio.sleep(3)
        return "Cổng thông tin điện tử Kho bạc Nhà nước"

    @app.post("/sms")
    async def sms(request: Request) -> dict[str, str]:
        site.hooks.append(await request.json())
        return {"status": "queued"}

    with serve(app) as port:
        site.url = f"http://127.0.0.1:{port}"
        yield site
