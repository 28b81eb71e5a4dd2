"""Request limits (SPEC §8, issue 17): body sizes (413), the failed-token lockout and the
per-address rate limits of every unauthenticated request (429 with Retry-After).

Sizes are settings: `HOTRO_MAX_BODY_BYTES` for JSON (1 MiB), `HOTRO_MAX_UPLOAD_BYTES` for
files (30 MiB), and for a raw message on the mail gateway, whatever its Content-Type, the limit
of every mail path, `HOTRO_MAX_MAIL_BYTES` (25 MiB; SMTP and IMAP keep to it too). A body
without Content-Length (chunked) is counted as it streams in and refused with the same 413 the
moment it passes the limit.

Rates are settings too: `HOTRO_RATE_<RULE>=PER_MINUTE/BURST` (or `0`, no limit) for each rule
of `PUBLIC_RULES`; `HOTRO_AUTH_MAX_FAILURES` unknown tokens within `HOTRO_AUTH_FAILURE_WINDOW_S`
lock the address out of token use for `HOTRO_AUTH_LOCKOUT_S`. The counts live in the process:
with several gateway replicas each keeps its own (an attacker gets at most replicas × limit).
The address is the connection's, or what a trusted proxy says (uvicorn's
`FORWARDED_ALLOW_IPS`): behind an Ingress, set it to the Ingress's addresses, or every
caller shares one address.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from libs.platform.errors import problem
from libs.platform.settings import SettingError
from services.intake.api.deps import AUTH_STATE, GUESSES, Authentication, authenticate
from services.intake.domain.lockout import FailureLockout
from services.intake.domain.rate_limit import (
    RateLimiter,
    RateRule,
    address_key,
    parse_rate,
    rule_for,
)
from services.intake.service_layer.mail_intake import MAX_MAIL_BYTES

log = logging.getLogger(__name__)

REFUSED = Counter(
    "hotro_gateway_refused_total",
    "Requests the gateway refused before any route: too large, rate-limited, locked out",
    ["reason"],
)

MAX_BODY_BYTES = int(os.environ.get("HOTRO_MAX_BODY_BYTES", str(1024 * 1024)))
MAX_UPLOAD_BYTES = int(os.environ.get("HOTRO_MAX_UPLOAD_BYTES", str(30 * 1024 * 1024)))
#: Bodies of these types carry files or whole messages, so they get the larger limit.
UPLOAD_TYPES = ("multipart/form-data", "message/rfc822", "text/csv", "application/x-ndjson")

_ANY: frozenset[str] = frozenset()
#: Unauthenticated requests (no token, or one that failed) by kind; the first match decides.
PUBLIC_RULES = (
    # Probes and scrapes come every few seconds from the cluster itself.
    RateRule("ops", _ANY, ("/healthz", "/readyz", "/metrics"), 0, 0),
    RateRule("submit", frozenset({"POST"}), ("/api/v1/tickets",), 60, 30),
    # Each subscription mails a confirmation link: a low limit keeps it from mail-bombing.
    RateRule("subscribe", frozenset({"POST"}), ("/api/v1/status/subscriptions*",), 6, 5),
    # Everything else: the status page and feed, the FAQ, OpenAPI, and calls missing a token.
    RateRule("public", _ANY, ("*",), 120, 60),
)
#: Settings that named the submission limit before the rules existed.
_LEGACY_SUBMIT = ("HOTRO_PUBLIC_RATE_PER_MINUTE", "HOTRO_PUBLIC_RATE_BURST")


_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")


def refusal(status: int, error: str, field: str, msg: str, **headers: str) -> JSONResponse:
    """An answer given before any route runs, in the gateway's error shape."""
    REFUSED.labels(error).inc()
    return problem(status, error, field, msg, headers=headers or None)


def _is_mail_path(path: str) -> bool:
    """The HTTP mail gateway and a corrected dead letter: raw messages, whatever the type."""
    return path == "/api/v1/inbound/email" or (
        path.startswith("/api/v1/inbound/messages/") and path.endswith("/correct")
    )


def _limit_for(scope: Scope) -> int:
    if _is_mail_path(scope.get("path", "")):
        return MAX_MAIL_BYTES
    headers = dict(scope.get("headers") or [])
    content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
    return MAX_UPLOAD_BYTES if content_type.startswith(UPLOAD_TYPES) else MAX_BODY_BYTES


def _too_large(limit: int, length: str) -> JSONResponse:
    return refusal(
        413, "too_large", "body", f"request body is {length} bytes; the limit is {limit}"
    )


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


class BodySizeLimit:
    """Refuses a body over the limit with 413, whether it announced its length or not.

    A streamed body is answered the moment it passes the limit; the route then sees the
    client as gone (`http.disconnect`) and whatever it still sends or raises is dropped.
    Raising out of `receive` instead would let FastAPI's body parsing or the routes turn
    the refusal into a 400 or a 500.
    """

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
        started = refused = False

        async def counting_receive() -> Message:
            nonlocal seen, refused
            if refused:
                return await _no_body()
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                refused = True
                if not started:
                    await _too_large(limit, f"more than {limit}")(scope, _no_body, send)
                return await _no_body()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not refused:
                raise


def limit_body_size(app: FastAPI) -> None:
    app.add_middleware(BodySizeLimit)


def rules_from_settings(rules: tuple[RateRule, ...] = PUBLIC_RULES) -> tuple[RateRule, ...]:
    """The rules with `HOTRO_RATE_<NAME>` applied; a malformed value stops the start-up."""
    legacy = os.environ.get(_LEGACY_SUBMIT[0])
    changed = []
    for rule in rules:
        name = f"HOTRO_RATE_{rule.name.upper()}"
        text = os.environ.get(name)
        if text is None and rule.name == "submit" and legacy is not None:
            name, text = _LEGACY_SUBMIT[0], f"{legacy}/{os.environ.get(_LEGACY_SUBMIT[1], '30')}"
        if text is None:
            changed.append(rule)
            continue
        try:
            per_minute, burst = parse_rate(text)
        except ValueError as error:
            raise SettingError(f"{name}: {error}") from None
        changed.append(RateRule(rule.name, rule.methods, rule.paths, per_minute, burst))
    return tuple(changed)


def lockout_from_settings() -> FailureLockout:
    names = ("HOTRO_AUTH_MAX_FAILURES", "HOTRO_AUTH_FAILURE_WINDOW_S", "HOTRO_AUTH_LOCKOUT_S")
    try:
        return FailureLockout(
            max_failures=int(os.environ.get(names[0], "20")),
            window_s=float(os.environ.get(names[1], "300")),
            lockout_s=float(os.environ.get(names[2], "900")),
        )
    except ValueError as error:
        raise SettingError(f"{' / '.join(names)}: {error}") from None


def client_address(scope: Scope) -> str:
    client: Any = scope.get("client") or ("unknown", 0)
    return address_key(str(client[0]))


class RequestLimits:
    """Before any route: an address locked out by failed tokens gets 429 for every token it
    presents; a request without a valid token takes from its rule's per-address bucket (a
    made-up token is no way around the public limits); a valid token passes untouched."""

    def __init__(
        self,
        app: ASGIApp,
        rules: tuple[RateRule, ...],
        lockout: FailureLockout,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.rules = rules
        self.limiters: dict[str, RateLimiter] = {r.name: r.limiter() for r in rules}
        self.lockout = lockout
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = await self._refusal(scope)
        if refused is not None:
            await refused(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _refusal(self, scope: Scope) -> JSONResponse | None:
        now, address = self.clock(), client_address(scope)
        request = Request(scope)
        if "authorization" not in request.headers and await _known_caller(request):
            return None  # a bearer token, even beside a cookie, goes through the lockout
        if "authorization" in request.headers:
            wait = self.lockout.locked_for(address, now)
            if wait:
                return _locked(wait)
            auth = await authenticate(request)
            if auth is not None and auth.principal is not None:
                return None
            if auth is not None and auth.failure in GUESSES and self.lockout.failed(address, now):
                log.warning("address locked out after failed tokens", extra={"client": address})
        rule = rule_for(self.rules, scope["method"], scope["path"])
        if rule is None or rule.per_minute <= 0:
            return None
        wait = self.limiters[rule.name].take(address, now)
        if not wait:
            return None
        return refusal(
            429,
            "rate_limited",
            "client",
            "Quá nhiều yêu cầu từ địa chỉ này, vui lòng thử lại sau. / "
            f"Too many requests from this address ({rule.name}); retry in {int(wait)} s.",
            **{"Retry-After": str(int(wait))},
        )


async def _known_caller(request: Request) -> bool:
    """Signed-in console browsing is not the anonymous public's: a live console session
    (its cookie, checked by the console's `app.state.console_principal`), or the console's
    in-process call to the API on that session's behalf (the caller already proven and kept
    where `authenticate` keeps it), passes like a valid token. A made-up cookie finds no
    session and takes from the public budget as before."""
    known = (request.scope.get("state") or {}).get(AUTH_STATE)
    if isinstance(known, Authentication) and known.principal is not None:
        return True
    lookup = getattr(request.app.state, "console_principal", None)
    return lookup is not None and await lookup(request) is not None


def _locked(wait: float) -> JSONResponse:
    seconds = max(1, int(wait + 0.999))
    return refusal(
        429,
        "locked_out",
        "Authorization",
        "Địa chỉ này đã dùng sai mã truy cập quá nhiều lần; vui lòng thử lại sau "
        f"{seconds} giây. / Too many unknown tokens from this address; retry in {seconds} s.",
        **{"Retry-After": str(seconds)},
    )


def limit_requests(app: FastAPI) -> None:
    """Install the lockout and the public rate limits, configured from the settings."""
    app.add_middleware(RequestLimits, rules=rules_from_settings(), lockout=lockout_from_settings())


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
                response = refusal(422, "invalid", "query", "control characters are not allowed")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def reject_control_characters(app: FastAPI) -> None:
    app.add_middleware(RejectControlCharacters)
