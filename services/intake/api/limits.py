"""Request limits (SPEC §8): body sizes, refused before or while reading (413), and the
per-address rate limit of the public submission form (429 with Retry-After).

Sizes are settings: `HOTRO_MAX_BODY_BYTES` for JSON (1 MiB), `HOTRO_MAX_UPLOAD_BYTES` for
files and raw mail (30 MiB). A body without Content-Length is counted as it streams in.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.intake.domain.rate_limit import RateLimiter

MAX_BODY_BYTES = int(os.environ.get("HOTRO_MAX_BODY_BYTES", str(1024 * 1024)))
MAX_UPLOAD_BYTES = int(os.environ.get("HOTRO_MAX_UPLOAD_BYTES", str(30 * 1024 * 1024)))
#: Bodies of these types carry files or whole messages, so they get the larger limit.
UPLOAD_TYPES = ("multipart/form-data", "message/rfc822", "text/csv", "application/x-ndjson")


_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")


class _TooLarge(Exception):
    pass


def _limit_for(scope: Scope) -> int:
    headers = dict(scope.get("headers") or [])
    content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
    return MAX_UPLOAD_BYTES if content_type.startswith(UPLOAD_TYPES) else MAX_BODY_BYTES


def _too_large(limit: int, length: str) -> JSONResponse:
    return JSONResponse(
        {
            "error": "too_large",
            "detail": [
                {"field": "body", "msg": f"request body is {length} bytes; the limit is {limit}"}
            ],
        },
        status_code=413,
    )


class BodySizeLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = _limit_for(scope)
        length = dict(scope.get("headers") or []).get(b"content-length", b"").decode("latin-1")
        if length.isdigit() and int(length) > limit:
            await _too_large(limit, length)(scope, receive, send)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _TooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _too_large(limit, f"more than {limit}")(scope, receive, send)


def limit_body_size(app: FastAPI) -> None:
    app.add_middleware(BodySizeLimit)


class PublicRateLimit:
    """Only anonymous submissions are limited: a token identifies the caller instead."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, paths: tuple[str, ...]) -> None:
        self.app = app
        self.limiter = limiter
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].rstrip("/") in self.paths
            and b"authorization" not in dict(scope.get("headers") or [])
            and self.limiter.per_minute > 0
        ):
            client: Any = scope.get("client") or ("unknown", 0)
            wait = self.limiter.take(str(client[0]), time.monotonic())
            if wait:
                response = JSONResponse(
                    {
                        "error": "rate_limited",
                        "detail": [
                            {
                                "field": "client",
                                "msg": "Quá nhiều yêu cầu, vui lòng thử lại sau. / "
                                f"Too many submissions from this address; retry in {int(wait)} s.",
                            }
                        ],
                    },
                    status_code=429,
                    headers={"Retry-After": str(int(wait))},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def limit_public_rate(app: FastAPI, paths: tuple[str, ...]) -> RateLimiter:
    limiter = RateLimiter(
        per_minute=float(os.environ.get("HOTRO_PUBLIC_RATE_PER_MINUTE", "60")),
        burst=int(os.environ.get("HOTRO_PUBLIC_RATE_BURST", "30")),
    )
    app.add_middleware(PublicRateLimit, limiter=limiter, paths=paths)
    return limiter


class RejectControlCharacters:
    """A path or query holding control characters (NUL above all) is refused with 422 before
    any route sees it: no search, filter or id legitimately contains them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = unquote_to_bytes(scope.get("query_string", b"").replace(b"+", b" "))
            path = scope.get("path", "")
            if _CONTROL.search(query) or any(ord(c) < 32 or ord(c) == 127 for c in path):
                response = JSONResponse(
                    {
                        "error": "invalid",
                        "detail": [{"field": "query", "msg": "control characters are not allowed"}],
                    },
                    status_code=422,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def reject_control_characters(app: FastAPI) -> None:
    app.add_middleware(RejectControlCharacters)
