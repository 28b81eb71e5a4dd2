"""The shapes the e-mail intake hands to the rest of intake: a parsed message and its parts.

Frozen dataclasses (not pydantic) because the domain must stay free of frameworks and the values
are produced once by the parser and only read afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class UnparseableMail(ValueError):
    """The raw message cannot become a ticket or comment; the caller keeps it as a dead letter.

    `reason` is a short English sentence stored next to the raw bytes, so an operator can see
    why the message was refused without re-running the parser.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Attachment:
    """One attached (or inline) file, with its decoded bytes.

    `content_id` has no angle brackets; it is what an HTML body's `cid:` links point at.
    """

    filename: str
    content_type: str
    size: int
    content_id: str | None
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class ParsedMail:
    """Everything intake needs from one message, already decoded, normalised to NFC and safe.

    Message-IDs are stored without angle brackets (see `normalize_message_id`). `text` is the
    whole body as plain text; `new_text` is only what the sender wrote this time (quoted history
    and signature removed), the part that becomes a ticket comment.
    """

    message_id: str | None
    in_reply_to: str | None
    references: list[str]
    from_email: str
    from_name: str
    to: list[str]
    cc: list[str]
    reply_to: list[str]
    subject: str
    date: datetime | None
    text: str
    new_text: str
    html_sanitized: str | None
    attachments: list[Attachment]
    is_auto_reply: bool
    is_bounce: bool
    is_list: bool
    loop_reason: str | None
    ticket_number_in_subject: str | None
    bounced_message_ids: list[str]
    bounced_recipient: str | None

    @property
    def may_be_acknowledged(self) -> bool:
        """SPEC §2: never acknowledge auto-replies, bounces or mailing lists (mail loops)."""
        return not (self.is_auto_reply or self.is_bounce or self.is_list)
