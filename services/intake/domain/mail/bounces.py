"""Which of our messages bounced, and for which address (SPEC §2: mark it undeliverable).

Only failures count: a "delayed" delivery-status report is a bounce for loop purposes (never
answer it) but says nothing about the address yet, so it yields no Message-IDs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message

from .body import Body
from .charsets import normalize_text, recover_surrogates
from .headers import addresses, raw_header
from .message_ids import first_message_id, message_ids, normalize_message_id

_TEXT_MESSAGE_ID = re.compile(r"^\s*Message-ID:\s*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class BounceDetails:
    message_ids: list[str] = field(default_factory=list)
    recipient: str | None = None


def bounce_details(msg: Message, body: Body, reason: str | None) -> BounceDetails:
    """Message-IDs and recipient of the message that could not be delivered, if this is one."""
    if reason is None:
        return BounceDetails()
    recipient_blocks = [b for b in body.delivery_status if _recipient_of(b)]
    failed = [b for b in recipient_blocks if _action(b).startswith("failed")]
    if body.delivery_status and not failed and any(_action(b) for b in recipient_blocks):
        return BounceDetails()  # delayed / delivered / relayed: nothing failed (yet)
    ids: list[str] = []
    for block in body.delivery_status:
        ids.extend(message_ids(raw_header(block, "x-original-message-id")))
    for enclosed in body.enclosed:
        found = first_message_id(raw_header(enclosed, "message-id"))
        if found:
            ids.append(found)
    if not ids and reason != "null Return-Path":
        # Non-DSN bounces (old qmail, Exchange text notices) quote the original headers inline.
        ids.extend(normalize_message_id(m) for m in _TEXT_MESSAGE_ID.findall(body.text))
    return BounceDetails(list(dict.fromkeys(ids)), _recipient(msg, body, failed))


def _recipient(msg: Message, body: Body, failed: list[Message]) -> str | None:
    for block in failed:
        found = _recipient_of(block)
        if found:
            return found
    for raw in (raw_header(msg, "x-failed-recipients"),):
        found_pairs = addresses([raw]) if raw else []
        if found_pairs:
            return found_pairs[0][1]
    for enclosed in body.enclosed:
        to = addresses([raw_header(enclosed, "to") or ""])
        if len(to) == 1:
            return to[0][1]
    return None


def _recipient_of(block: Message) -> str | None:
    """Original-Recipient is the address as we wrote it; Final-Recipient is after aliasing."""
    for name in ("original-recipient", "final-recipient"):
        value = raw_header(block, name)
        if value:
            address = normalize_text(recover_surrogates(value.split(";", 1)[-1]))
            address = address.strip().strip("<>").strip()
            if address:
                return address
    return None


def _action(block: Message) -> str:
    return (raw_header(block, "action") or "").strip().lower()
