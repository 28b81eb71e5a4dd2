"""One request as a real client sends it: retried when that is safe, recorded when it is not.

A client may resend a request whose effect is keyed (a web ticket's Idempotency-Key, a mail's
Message-ID) on any transport error or 5xx: the server recognises the second copy. A request
with no key (a phone call, an operator's ladder move) is resent only when it cannot have been
acted on — the connection was refused, or the gateway says it could not reach the service
behind it; if it broke after the request was sent, nobody knows, and the request is in doubt.
"""

from __future__ import annotations

import asyncio
import re
import smtplib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from tools.chaos.ledger import ACCEPTED, IN_DOUBT, REFUSED, Request

#: The request never reached a server: whatever it was, resending is safe.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout)
#: The gateway's 503 names the error it met calling the service behind it.
_GATEWAY_NOT_SENT = re.compile(r"did not answer: Connect(Error|Timeout)")
_NUMBER = re.compile(r"YC-\d{4}-\d{6,}")
MAILBOX = "hotrocntt@kbnn.gov.vn"
#: Answers that mean "not yet" for a ladder move: the ticket is not in the view or not
#: placed yet (404), or its step does not allow the move yet (409).
NOT_YET = frozenset({404, 409})


@dataclass
class Patience:
    """How long a client keeps trying: until `give_up_at` (a `time.monotonic()` value)."""

    give_up_at: float
    first_delay_s: float = 0.2
    max_delay_s: float = 2.0

    def exhausted(self) -> bool:
        return time.monotonic() >= self.give_up_at

    async def pause(self, attempt: int) -> None:
        await asyncio.sleep(min(self.max_delay_s, self.first_delay_s * 2 ** min(attempt, 6)))


def nothing_was_done(response: httpx.Response) -> bool:
    """Whether a 5xx means the command was not carried out.

    A service answers 5xx only before its one atomic write; but the gateway's 503 for a
    service that broke off the call after receiving it (killed mid-request) is in doubt.
    """
    if response.status_code == 503 and "_unavailable" in response.text:
        return bool(_GATEWAY_NOT_SENT.search(response.text))
    return True


async def send_http(
    request: Request,
    send: Callable[[], Awaitable[httpx.Response]],
    patience: Patience,
    *,
    keyed: bool,
    not_yet: frozenset[int] = frozenset(),
) -> httpx.Response | None:
    """The answer the client settles on (2xx or 4xx), or None when it gave up or is in doubt.

    `not_yet` answers are retried until patience runs out, then settled on as a refusal."""
    reached = False  # some attempt reached a server that may have acted on it
    while True:
        request.attempts += 1
        try:
            response = await send()
        except NOT_SENT as error:
            request.answer = type(error).__name__
        except httpx.TransportError as error:
            request.answer = type(error).__name__
            reached = True
            if not keyed:
                request.settle(IN_DOUBT, request.answer)
                return None
        else:
            request.answer = str(response.status_code)
            if response.status_code < 500:
                if response.status_code not in not_yet or patience.exhausted():
                    return response
            elif keyed or nothing_was_done(response):
                reached = reached or keyed
            else:
                request.settle(IN_DOUBT, request.answer)
                return None
        if patience.exhausted():
            outcome = IN_DOUBT if reached else REFUSED
            request.settle(outcome, f"gave up after {request.attempts}: {request.answer}")
            return None
        await patience.pause(request.attempts)


def settle_http(request: Request, response: httpx.Response | None, *ok: int) -> bool:
    """Record a final HTTP answer; True when the request was accepted."""
    if response is None:
        return False
    accepted = response.status_code in ok
    request.settle(ACCEPTED if accepted else REFUSED, str(response.status_code))
    return accepted


def _smtp_once(port: int, sender: str, raw: bytes) -> tuple[int, str]:
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as smtp:
        smtp.ehlo()
        code, reply = smtp.mail(sender)
        if code == 250:
            code, reply = smtp.rcpt(MAILBOX)
        if code in (250, 251):
            code, reply = smtp.data(raw)
    return code, reply.decode("utf-8", "replace")


async def send_smtp(
    request: Request, port: int, sender: str, raw: bytes, patience: Patience
) -> str | None:
    """Deliver as an MTA would: a 4xx or a broken connection is retried with the same bytes
    (the same Message-ID), a 5xx bounces. The 250 reply text, or None."""
    while True:
        request.attempts += 1
        try:
            code, reply = await asyncio.to_thread(_smtp_once, port, sender, raw)
        except (OSError, smtplib.SMTPException) as error:
            code, reply = 0, type(error).__name__
        request.answer = f"{code} {reply}".strip()
        if code == 250:
            request.settle(ACCEPTED, request.answer)
            return reply
        if code >= 500:
            request.settle(REFUSED, request.answer)
            return None
        if patience.exhausted():
            request.settle(IN_DOUBT, f"gave up after {request.attempts}: {request.answer}")
            return None
        await patience.pause(request.attempts)


def number_in(text: str) -> str | None:
    found = _NUMBER.search(text)
    return found.group(0) if found else None
