"""Signed-in console browsing is not the anonymous public's: a live console session (cookie),
and the console's in-process call to the API on its behalf, do not take from the public
rate budget; a made-up cookie does, and a bearer token beside a good cookie still goes
through the failed-token lockout."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI, Request

from services.intake.api.deps import AUTH_STATE, Authentication
from services.intake.api.limits import RequestLimits
from services.intake.domain.access import Principal
from services.intake.domain.lockout import FailureLockout
from services.intake.domain.rate_limit import RateRule

GOOD = "live-session"


async def _console_principal(request: Request) -> Principal | None:
    return Principal("pth", "province_it", "HNI") if request.cookies.get("s") == GOOD else None


def _app() -> FastAPI:
    app = FastAPI()
    app.state.console_principal = _console_principal

    @app.get("/page")
    async def page() -> dict[str, str]:
        return {"ok": "yes"}

    app.add_middleware(
        RequestLimits,
        rules=(RateRule("public", frozenset(), ("*",), 1, 1),),
        lockout=FailureLockout(max_failures=1, window_s=60, lockout_s=60),
    )
    return app


def _statuses(
    app: object,
    count: int,
    cookies: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> list[int]:
    async def run() -> list[int]:
        transport = httpx.ASGITransport(app=app, client=("10.0.0.9", 1))  # type: ignore[arg-type]
        async with httpx.AsyncClient(
            transport=transport, base_url="http://gateway", cookies=cookies, headers=headers
        ) as http:
            return [(await http.get("/page")).status_code for _ in range(count)]

    return asyncio.run(run())


def test_a_signed_in_browser_is_not_rate_limited_as_the_public() -> None:
    assert _statuses(_app(), 5, cookies={"s": GOOD}) == [200] * 5


def test_a_made_up_cookie_takes_from_the_public_budget() -> None:
    assert _statuses(_app(), 3, cookies={"s": "guessed"}) == [200, 429, 429]


def test_the_consoles_in_process_calls_pass_as_the_caller_they_carry() -> None:
    inner = _app()

    async def as_console(scope, receive, send):  # type: ignore[no-untyped-def]
        scope["state"] = {AUTH_STATE: Authentication(Principal("lan", "requester"))}
        await inner(scope, receive, send)

    assert _statuses(as_console, 4) == [200] * 4


def test_a_token_beside_a_good_cookie_still_counts_as_a_guess() -> None:
    headers = {"Authorization": "Bearer"}  # malformed: a guess, whatever the cookie says
    assert _statuses(_app(), 3, cookies={"s": GOOD}, headers=headers) == [200, 429, 429]
