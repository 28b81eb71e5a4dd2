"""Outgoing mail (SPEC §2): the configured relay, else a local sink of `.eml` files.

Mail is sent from consumers, which may see an event twice; each message carries a dedupe key
(usually the id of the event that caused it) recorded after sending, so a redelivery does not
mail twice. A crash between sending and recording may send once more: a duplicate
acknowledgement is better than a lost one.
"""

from __future__ import annotations

import email.policy
import os
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

import aiosmtplib
from psycopg_pool import AsyncConnectionPool

FROM_ADDRESS = os.environ.get("HOTRO_MAIL_FROM", "Hotro - Hỗ trợ CNTT KBNN <hotrocntt@kbnn.gov.vn>")
MESSAGE_ID_DOMAIN = os.environ.get("HOTRO_MAIL_DOMAIN", "hotro.kbnn.gov.vn")


#: CPython's header folder (3.11–3.13) turns the space before a folded RFC 2047 word into
#: folding whitespace, which readers drop ("yêu cầu:Lỗi"); long lines (RFC 5322 allows 998)
#: keep Vietnamese subjects in one piece.
MAIL_POLICY = email.policy.SMTP.clone(max_line_length=998)


def new_message(to: str, subject: str, body: str, **headers: str) -> EmailMessage:
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = FROM_ADDRESS
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=MESSAGE_ID_DOMAIN)
    message["Auto-Submitted"] = "auto-generated"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body, charset="utf-8")
    return message


class OutgoingMail:
    def __init__(
        self,
        pool: AsyncConnectionPool[Any],
        schema: str,
        relay: str | None = None,
        sink_dir: Path | None = None,
    ) -> None:
        self.pool = pool
        self.schema = schema
        self.relay = relay if relay is not None else os.environ.get("HOTRO_SMTP_RELAY") or None
        self.sink_dir = sink_dir or Path(os.environ.get("HOTRO_MAIL_SINK_DIR", ".hotro/outbox"))

    async def ensure_table(self) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{self.schema}".outgoing_mail ('
                " dedupe_key text PRIMARY KEY, message_id text NOT NULL, recipient text NOT NULL,"
                " subject text NOT NULL, sent_at timestamptz NOT NULL)"
            )

    async def send(self, message: EmailMessage, dedupe_key: str) -> bool:
        """Send once per dedupe key; False when it had already been sent."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f'SELECT 1 FROM "{self.schema}".outgoing_mail WHERE dedupe_key = %s', (dedupe_key,)
            )
            if await cur.fetchone():
                return False
        await self._deliver(message)
        async with self.pool.connection() as conn:
            await conn.execute(
                f'INSERT INTO "{self.schema}".outgoing_mail'
                " (dedupe_key, message_id, recipient, subject, sent_at)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (
                    dedupe_key,
                    message["Message-ID"],
                    message["To"],
                    message["Subject"],
                    datetime.now(UTC),
                ),
            )
        return True

    async def _deliver(self, message: EmailMessage) -> None:
        if self.relay:
            host, _, port = self.relay.partition(":")
            await aiosmtplib.send(message, hostname=host, port=int(port or 25), timeout=30)
            return
        self.sink_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        slug = re.sub(r"[^A-Za-z0-9.@-]+", "_", str(message["Message-ID"]).strip("<>"))[:80]
        (self.sink_dir / f"{stamp}-{slug}.eml").write_bytes(message.as_bytes())
