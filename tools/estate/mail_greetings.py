"""MAIL's SMTP and IMAP greetings: what the morning round asks of a mail server.

SMTP is aiosmtpd (it answers EHLO, HELO, NOOP, QUIT and takes and discards mail). IMAP is the
few lines a banner check needs — the greeting with its capabilities, CAPABILITY, NOOP, LOGIN
with the MAIL account, LOGOUT — not a mail store. Neither offers STARTTLS: a certificate of
our own making would prove nothing about theirs. A slowed MAIL delays the greeting, which is
what a loaded mail server does.
"""

from __future__ import annotations

import asyncio
import hmac
import socket
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from tools.estate.model import EstateState
from tools.estate.tcp import StreamEndpoint

HOSTNAME = "mail.estate.invalid"
IMAP_CAPABILITIES = "IMAP4rev1 LITERAL+ ID ENABLE IDLE AUTH=PLAIN"


class _DiscardingHandler:
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "250 2.0.0 Ok: queued"


class _SlowableSMTP(SMTP):
    """aiosmtpd's server, greeting after the system's simulated delay."""

    def __init__(self, state: EstateState, target: str, **kwargs: Any) -> None:
        super().__init__(_DiscardingHandler(), **kwargs)
        self.estate_state = state
        self.estate_target = target

    async def _handle_client(self) -> None:  # the one hook aiosmtpd has before its 220
        await asyncio.sleep(self.estate_state.delay_s(self.estate_target))
        await super()._handle_client()


def smtp_starter(state: EstateState, target: str):
    async def start(sock: socket.socket) -> asyncio.AbstractServer:
        loop = asyncio.get_running_loop()
        return await loop.create_server(
            lambda: _SlowableSMTP(
                state, target, hostname=HOSTNAME, ident="ESMTP KBNN mail (simulated)"
            ),
            sock=sock,
        )

    return start


class ImapGreeter(StreamEndpoint):
    """A connection at a time: greeting, then one tagged answer per command line."""

    def __init__(self, state: EstateState, target: str, username: str, password: str) -> None:
        self.state = state
        self.target = target
        self.username = username
        self.password = password

    async def converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(self.state.delay_s(self.target))
        writer.write(f"* OK [CAPABILITY {IMAP_CAPABILITIES}] KBNN mail IMAP ready\r\n".encode())
        await writer.drain()
        while line := await asyncio.wait_for(reader.readline(), timeout=60):
            reply, done = self.answer(line.decode("utf-8", "replace").strip())
            writer.write(reply.encode())
            await writer.drain()
            if done:
                break

    def answer(self, line: str) -> tuple[str, bool]:
        """The reply to one command line, and whether the session ends with it."""
        tag, _, rest = line.partition(" ")
        command, _, args = rest.partition(" ")
        command = command.upper()
        if command == "CAPABILITY":
            return f"* CAPABILITY {IMAP_CAPABILITIES}\r\n{tag} OK CAPABILITY completed\r\n", False
        if command == "NOOP":
            return f"{tag} OK NOOP completed\r\n", False
        if command == "LOGOUT":
            return f"* BYE Logging out\r\n{tag} OK LOGOUT completed\r\n", True
        if command == "LOGIN":
            user, _, password = args.partition(" ")
            ok = hmac.compare_digest(user.strip('"'), self.username) and hmac.compare_digest(
                password.strip('"'), self.password
            )
            if ok:
                return f"{tag} OK [CAPABILITY {IMAP_CAPABILITIES}] LOGIN completed\r\n", False
            return f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials\r\n", False
        return f"{tag or '*'} BAD Command not supported here\r\n", False
