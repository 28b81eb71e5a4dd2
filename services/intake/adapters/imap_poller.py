"""The IMAP channel (SPEC §2): poll a mailbox, take each message in, then move it away.

A message leaves the inbox only after `MailIntake` has stored it, so a crash at any point
leaves it there to be read again; the second reading finds it already taken in (by
Message-ID, or by its bytes when it has none) and only moves it. IMAPClient is synchronous, so
each poll runs in a worker thread and hands the bytes to the event loop.

A message over `HOTRO_MAX_MAIL_BYTES` (the limit of every mail path) cannot be refused over
IMAP: only its headers are read, and kept as a dead letter that names its size.

Configured by `HOTRO_IMAP_URL` (`imap://user:password@host:143/INBOX`, or `imaps://`),
`HOTRO_IMAP_DONE_FOLDER` (default `Hotro-Processed`) and `HOTRO_IMAP_POLL_S` (default 30).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

from imapclient import IMAPClient

from services.intake.service_layer.mail_intake import MAX_MAIL_BYTES, MailIntake

log = logging.getLogger(__name__)

FETCH_BATCH = 20


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    ssl: bool
    user: str
    password: str
    folder: str
    done_folder: str
    poll_s: float

    @staticmethod
    def from_env() -> ImapSettings | None:
        raw = os.environ.get("HOTRO_IMAP_URL", "")
        if not raw:
            return None
        url = urlparse(raw)
        secure = url.scheme == "imaps"
        return ImapSettings(
            host=url.hostname or "127.0.0.1",
            port=url.port or (993 if secure else 143),
            ssl=secure,
            user=unquote(url.username or ""),
            password=unquote(url.password or ""),
            folder=unquote(url.path.lstrip("/")) or "INBOX",
            done_folder=os.environ.get("HOTRO_IMAP_DONE_FOLDER", "Hotro-Processed"),
            poll_s=float(os.environ.get("HOTRO_IMAP_POLL_S", "30")),
        )


class ImapPoller:
    def __init__(self, intake: MailIntake, settings: ImapSettings) -> None:
        self.intake = intake
        self.settings = settings
        self.last_error: str | None = None

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.poll_once()
                self.last_error = None
            except Exception as error:  # the mail server may be down: log and try again later
                self.last_error = repr(error)
                log.exception("IMAP poll failed; retrying", extra={"host": self.settings.host})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.poll_s)

    async def poll_once(self) -> int:
        """Take in every message of the folder; returns how many were moved away."""
        client = await asyncio.to_thread(self._connect)
        moved = 0
        try:
            uids: list[int] = await asyncio.to_thread(client.search, ["ALL"])
            for start in range(0, len(uids), FETCH_BATCH):
                batch = uids[start : start + FETCH_BATCH]
                sizes = await asyncio.to_thread(client.fetch, batch, ["RFC822.SIZE"])
                for uid in batch:
                    size = sizes.get(uid, {}).get(b"RFC822.SIZE")
                    if size is None:
                        continue  # expunged meanwhile by another reader
                    if not await self._take_in(client, uid, int(size)):
                        continue
                    await asyncio.to_thread(self._move, client, uid)
                    moved += 1
        finally:
            await asyncio.to_thread(_logout, client)
        return moved

    async def _take_in(self, client: IMAPClient, uid: int, size: int) -> bool:
        """One message at a time, so memory holds at most one `MAX_MAIL_BYTES` message; a
        larger one is never fetched whole: its headers become a dead letter naming its size."""
        part = b"BODY[]" if size <= MAX_MAIL_BYTES else b"BODY[HEADER]"
        wanted = "BODY.PEEK[]" if size <= MAX_MAIL_BYTES else "BODY.PEEK[HEADER]"
        fetched = await asyncio.to_thread(client.fetch, [uid], [wanted])
        raw = fetched.get(uid, {}).get(part)
        if raw is None:
            return False  # expunged meanwhile by another reader
        if size <= MAX_MAIL_BYTES:
            await self.intake.take_in(bytes(raw), "imap")
        else:
            await self.intake.take_in_too_large(bytes(raw), size, "imap")
        return True

    def _connect(self) -> IMAPClient:
        s = self.settings
        client = IMAPClient(s.host, port=s.port, ssl=s.ssl, timeout=30)
        client.login(s.user, s.password)
        if not client.folder_exists(s.done_folder):
            client.create_folder(s.done_folder)
        client.select_folder(s.folder)
        return client

    def _move(self, client: IMAPClient, uid: int) -> None:
        if client.has_capability("MOVE"):
            client.move([uid], self.settings.done_folder)
            return
        client.copy([uid], self.settings.done_folder)
        client.delete_messages([uid])
        if client.has_capability("UIDPLUS"):
            client.uid_expunge([uid])
        else:
            client.expunge()

    async def readiness(self) -> str | None:
        return None if self.last_error is None else f"IMAP: {self.last_error}"


def _logout(client: IMAPClient) -> None:
    with contextlib.suppress(Exception):
        client.logout()
