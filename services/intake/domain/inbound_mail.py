"""One inbound message as an aggregate: taken in once, with what became of it (SPEC §2).

Its id is derived from the Message-ID (or, without one, from the raw bytes' SHA-256), so the
event store itself refuses a second copy: a message delivered twice, or re-read by the IMAP
poller after a crash, is recognised even when both copies arrive at the same instant.
A dead letter stays here, with its reason, until an admin replays it (as it is, or with
corrected bytes) or dismisses it (with a reason); a held message (a reply
from outside the ticket's conversation) until an operator accepts it or opens it as a ticket.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Literal

from eventsourcing.domain import Aggregate, event

#: `held`: a reply from outside the ticket's conversation, waiting for an operator (issue 17).
Outcome = Literal["ticket", "comment", "held", "ignored", "dead_letter"]
OUTCOMES: tuple[str, ...] = ("ticket", "comment", "held", "ignored", "dead_letter")
#: What the inbox can show: the outcomes, and a dead letter (or held mail) an admin dismissed.
InboxOutcome = Literal["ticket", "comment", "held", "ignored", "dead_letter", "dismissed"]
#: What an admin may dismiss: a message nobody will replay or release.
DISMISSABLE = ("dead_letter", "held")


class NotADeadLetter(ValueError):
    def __init__(self, outcome: str) -> None:
        super().__init__(
            f"Thư này đã được xử lý ({outcome}), không cần chạy lại. / "
            f"Only a dead letter can be replayed; this message ended as {outcome}."
        )


class NotDismissable(ValueError):
    def __init__(self, outcome: str) -> None:
        super().__init__(
            f"Chỉ bỏ qua được thư lỗi hoặc thư chờ duyệt; thư này đã được xử lý ({outcome}). / "
            f"Only a dead letter or a held message can be dismissed; this one is {outcome}."
        )


class NotHeld(ValueError):
    def __init__(self, outcome: str) -> None:
        super().__init__(
            f"Thư này không ở trạng thái chờ duyệt ({outcome}). / "
            f"Only a held message can be accepted or opened as a ticket; this one is {outcome}."
        )


def mail_key(message_id: str | None, raw_sha256: str) -> str:
    """What makes two deliveries the same message: the Message-ID, else the exact bytes.

    The key becomes a uuid5, which hashes UTF-8: a Message-ID that is not valid Unicode (raw
    8-bit bytes as surrogate escapes; `normalize_message_id` prevents it) is keyed by the hash
    of its bytes instead of failing — the same bytes still give the same key."""
    if not message_id:
        return f"sha256:{raw_sha256}"
    try:
        message_id.encode("utf-8")
    except UnicodeEncodeError:
        data = message_id.encode("utf-8", errors="surrogatepass")
        return f"message-id-sha256:{hashlib.sha256(data).hexdigest()}"
    return f"message-id:{message_id}"


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
        #: The bytes first received, when an admin has corrected them since (`corrected`).
        self.original_sha256: str | None = None
        self.dismissed_by: str | None = None

    def check_replayable(self) -> None:
        if self.outcome != "dead_letter":
            raise NotADeadLetter(self.outcome)

    def check_dismissable(self) -> None:
        if self.outcome not in DISMISSABLE:
            raise NotDismissable(self.outcome)

    @event("Dismissed")
    def dismiss(self, reason: str, actor: str, at: datetime) -> None:
        """An admin decided nothing is to be done with it (spam, a test, a message already
        handled by hand); the reason is kept, and the message leaves the dead letters."""
        self.outcome = "dismissed"
        self.reason = f"dismissed by {actor}: {reason}"
        self.dismissed_by = actor

    @event("Corrected")
    def correct(self, raw_sha256: str, size: int, actor: str, at: datetime) -> None:
        """An admin supplied corrected bytes (a broken header mended by hand); the next run
        takes them in, and the first bytes stay kept as `original_sha256`."""
        self.original_sha256 = self.original_sha256 or self.raw_sha256
        self.raw_sha256 = raw_sha256
        self.size = size

    def check_held(self) -> None:
        if self.outcome != "held":
            raise NotHeld(self.outcome)

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
        """The stored message ran through intake again: an admin replayed a dead letter (after
        a parser fix), or an operator released a held one (`actor` and the reason say which)."""
        self.outcome = outcome
        self.reason = reason
        self.ticket_id = ticket_id
        self.sender = sender or self.sender
        self.subject = subject or self.subject
