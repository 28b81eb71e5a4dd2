"""The gateway's limits middleware in process (no servers): a streamed (chunked) body over the
size limit gets the same 413 as one that announced its length, and unauthenticated requests
take from their address's budget (httpx drives the real ASGI stack)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI, Request
from pydantic import BaseModel

from services.intake.api.deps import OptionalUser
from services.intake.api.errors import install_error_handlers
from services.intake.api.limits import MAX_BODY_BYTES, RequestLimits, limit_body_size
from services.intake.domain.lockout import FailureLockout
from services.intake.domain.rate_limit import RateRule

BIG = b'{"text": "' + b"a" * (MAX_BODY_BYTES + 10) + b'"}'


class Body(BaseModel):
    text: str


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/json")
    async def json_body(body: Body) -> dict[str, int]:
        return {"length": len(body.text)}

    @app.post("/raw")
    async def raw_body(request: Request) -> dict[str, int]:
        return {"length": len(await request.body())}

    @app.get("/open")
    async def public(user: OptionalUser) -> dict[str, str | None]:
        return {"user": user.name if user else None}

    return app


async def _chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _send(
    app: FastAPI, *requests: tuple[str, str, dict[str, Any]], client: str = "10.0.0.1"
) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(client, 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            return [await http.request(method, path, **kw) for method, path, kw in requests]

    return asyncio.run(run())


def test_a_chunked_body_over_the_limit_gets_the_same_413_as_one_with_a_length() -> None:
    app = _app()
    limit_body_size(app)
    json = {"content-type": "application/json"}
    answers = _send(
        app,
        ("POST", "/json", {"content": BIG, "headers": json}),
        ("POST", "/json", {"content": _chunks(BIG), "headers": json}),
        ("POST", "/raw", {"content": _chunks(BIG), "headers": json}),
        ("POST", "/json", {"content": _chunks(b'{"text": "small"}'), "headers": json}),
    )
    assert [a.status_code for a in answers] == [413, 413, 413, 200]
    for answer in answers[1:3]:
        assert "transfer-encoding" in {k.lower() for k in answer.request.headers}
        body = answer.json()
        assert body["error"] == "too_large" and body["detail"][0]["field"] == "body"
    assert answers[3].json() == {"length": 5}


def test_malformed_tokens_lock_out_their_address_only() -> None:
    app = _app()
    app.add_middleware(
        RequestLimits,
        rules=(RateRule("public", frozenset(), ("*",), 0, 0),),
        lockout=FailureLockout(max_failures=3, window_s=60, lockout_s=60),
    )
    bad = {"headers": {"Authorization": "Basic guess"}}
    codes = [a.status_code for a in _send(app, *[("GET", "/open", bad)] * 4)]
    assert codes == [401, 401, 401, 429]
    locked = _send(app, ("GET", "/open", bad))[0]
    assert locked.json()["error"] == "locked_out" and int(locked.headers["Retry-After"]) >= 59
    assert _send(app, ("GET", "/open", {}))[0].status_code == 200  # no token: not a guess
    assert _send(app, ("GET", "/open", bad), client="10.0.0.2")[0].status_code == 401


def test_anonymous_and_made_up_token_requests_share_the_address_budget() -> None:
    app = _app()
    app.add_middleware(
        RequestLimits,
        rules=(RateRule("public", frozenset(), ("*",), 60, 2),),
        lockout=FailureLockout(max_failures=0),
    )
    bad = {"headers": {"Authorization": "Basic guess"}}
    answers = _send(app, ("GET", "/open", {}), ("GET", "/open", {}), ("GET", "/open", bad))
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["error"] == "rate_limited" and answers[2].headers["Retry-After"]
    assert _send(app, ("GET", "/open", {}), client="10.0.0.3")[0].status_code == 200
