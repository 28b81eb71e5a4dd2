"""The SMTP channel (SPEC §2): an aiosmtpd server in the service's own event loop.

A message is answered `250` only once `MailIntake` has stored it (ticket, comment, ignored or
dead letter); if storing fails the answer is `451`, so the sending server keeps the message and
retries: SMTP's own queueing is what makes "nothing is dropped" hold across our outages.

Each envelope sender has a rate (`HOTRO_RATE_SMTP_SENDER=PER_MINUTE/BURST`, default 30/60;
`0` turns it off), checked at MAIL FROM before any data is sent. Over it the answer is
`451 4.7.1`: a temporary failure (RFC 5321 §4.2.1), so the sender's MTA keeps the message and
retries later — a 5xx would bounce it, and a treasury user's request would be lost. Bounces
(the null sender `<>`) are counted per connecting address instead.

A message over `HOTRO_MAX_MAIL_BYTES` (the one limit of every mail path, see `mail_intake`) is
refused with `552` (advertised in EHLO SIZE), so its sender hears it at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from libs.platform.settings import SettingError
from services.intake.domain.rate_limit import RateLimiter, address_key, parse_rate
from services.intake.service_layer.mail_intake import MAX_MAIL_BYTES, MailIntake

log = logging.getLogger(__name__)

SENDER_RATE = "HOTRO_RATE_SMTP_SENDER"
#: Reply text is ASCII unless the client asked for SMTPUTF8 (RFC 5321 §4.2, RFC 6531).
_SLOW_DOWN = (
    "Quá nhiều thư từ địa chỉ này, vui lòng gửi lại sau {wait} giây",
    "Qua nhieu thu tu dia chi nay, vui long gui lai sau {wait} giay",
)
_SLOW_DOWN_EN = "Too many messages from this sender, retry in {wait} s"


def sender_limiter() -> RateLimiter:
    try:
        per_minute, burst = parse_rate(os.environ.get(SENDER_RATE, "30/60"))
    except ValueError as error:
        raise SettingError(f"{SENDER_RATE}: {error}") from None
    return RateLimiter(per_minute=per_minute, burst=burst)


def sender_key(address: str, peer: Any) -> str:
    if address.strip("<>"):
        return address.strip("<>").lower()
    host = peer[0] if isinstance(peer, tuple) and peer else peer
    return f"<>@{address_key(str(host))}"


class IntakeHandler:
    def __init__(
        self,
        intake: MailIntake,
        limiter: RateLimiter | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.intake = intake
        self.limiter = limiter or sender_limiter()
        self.clock = clock

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if self.limiter.per_minute > 0:
            wait = int(self.limiter.take(sender_key(address, session.peer), self.clock()))
            if wait:
                log.warning("SMTP sender over its rate", extra={"sender": address, "wait": wait})
                vietnamese = _SLOW_DOWN[0 if "SMTPUTF8" in mail_options else 1]
                return (
                    f"451 4.7.1 {vietnamese.format(wait=wait)} / {_SLOW_DOWN_EN.format(wait=wait)}"
                )
        # With a handler hook the server no longer records the sender itself.
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        data = raw if isinstance(raw, bytes) else str(raw or "").encode("utf-8", "surrogateescape")
        try:
            result = await self.intake.take_in(data, "smtp")
        except Exception:
            log.exception("could not store an SMTP message; the sender will retry")
            return "451 4.3.0 Temporary failure, please try again later"
        return f"250 2.0.0 {result.outcome} {result.number or result.mail_id}"


class SmtpListener:
    def __init__(self, intake: MailIntake, host: str, port: int) -> None:
        self.handler = IntakeHandler(intake)
        self.host = host
        self.port = port
        self.server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(self._protocol, self.host, self.port)
        log.info("SMTP listening", extra={"host": self.host, "port": self.port})

    def _protocol(self) -> Any:
        return SMTP(
            self.handler,
            # Beyond it aiosmtpd answers 552 and stops keeping the data (memory stays bounded).
            data_size_limit=MAX_MAIL_BYTES,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname="hotro",
            ident="Hotro intake",
        )

    async def run(self, stop: asyncio.Event) -> None:
        if self.server is None:
            await self.start()
        await stop.wait()
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def readiness(self) -> str | None:
        return None if self.server is not None else "SMTP listener not started"
