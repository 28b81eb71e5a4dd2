"""The SMTP channel (SPEC §2): an aiosmtpd server in the service's own event loop.

A message is answered `250` only once `MailIntake` has stored it (ticket, comment, ignored or
dead letter); if storing fails the answer is `451`, so the sending server keeps the message and
retries: SMTP's own queueing is what makes "nothing is dropped" hold across our outages.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from services.intake.service_layer.mail_intake import MailIntake

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = int(os.environ.get("HOTRO_MAX_MAIL_BYTES", str(30 * 1024 * 1024)))


class IntakeHandler:
    def __init__(self, intake: MailIntake) -> None:
        self.intake = intake

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
            data_size_limit=MAX_MESSAGE_BYTES,
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
