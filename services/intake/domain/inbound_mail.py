"""One inbound message as an aggregate: taken in once, with what became of it (SPEC §2).

Its id is derived from the Message-ID (or, without one, from the raw bytes' SHA-256), so the
event store itself refuses a second copy: a message delivered twice, or re-read by the IMAP
poller after a crash, is recognised even when both copies arrive at the same instant.
A dead letter stays here, with its reason, until an admin replays it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from eventsourcing.domain import Aggregate, event

Outcome = Literal["ticket", "comment", "ignored", "dead_letter"]
OUTCOMES: tuple[str, ...] = ("ticket", "comment", "ignored", "dead_letter")


class NotADeadLetter(ValueError):
    def __init__(self, outcome: str) -> None:
        super().__init__(
            f"Thư này đã được xử lý ({outcome}), không cần chạy lại. / "
            f"Only a dead letter can be replayed; this message ended as {outcome}."
        )


def mail_key(message_id: str | None, raw_sha256: str) -> str:
    """What makes two deliveries the same message: the Message-ID, else the exact bytes."""
    return f"message-id:{message_id}" if message_id else f"sha256:{raw_sha256}"


class InboundMail(Aggregate):
    @event("TakenIn")
    def __init__(
        self,
        id: uuid.UUID,
        message_id: str | None,
        outcome: str,
        reason: str,
        ticket_id: str | None,
        sender: str,
        subject: str,
        channel: str,
        raw_sha256: str,
        size: int,
        received_at: datetime,
        at: datetime,
    ) -> None:
        self.message_id = message_id
        self.outcome = outcome
        self.reason = reason
        self.ticket_id = ticket_id
        self.sender = sender
        self.subject = subject
        self.channel = channel
        self.raw_sha256 = raw_sha256
        self.size = size
        self.received_at = received_at

    def check_replayable(self) -> None:
        if self.outcome != "dead_letter":
            raise NotADeadLetter(self.outcome)

    @event("Replayed")
    def replayed(
        self,
        outcome: str,
        reason: str,
        ticket_id: str | None,
        sender: str,
        subject: str,
        actor: str,
        at: datetime,
    ) -> None:
        """An admin ran the stored message through intake again (after a parser fix)."""
        self.outcome = outcome
        self.reason = reason
        self.ticket_id = ticket_id
        self.sender = sender or self.sender
        self.subject = subject or self.subject
