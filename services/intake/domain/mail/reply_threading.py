"""Which ticket an incoming message belongs to (SPEC §2): a comment, or a new ticket.

Headers win over the subject: In-Reply-To and References are written by the mail client and
point at a message Hotro really sent, whereas a subject tag may have been copied from another
thread by hand. The subject tag only counts when that ticket exists.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass
from typing import Literal

from .model import ParsedMail

MatchedBy = Literal["in_reply_to", "references", "subject_tag"]


@dataclass(frozen=True)
class ThreadDecision:
    """`ticket_number` is None for a new ticket; `reason` explains the choice to an operator."""

    ticket_number: str | None
    matched_by: MatchedBy | None
    reason: str

    @property
    def is_new_ticket(self) -> bool:
        return self.ticket_number is None


def thread_target(
    parsed: ParsedMail,
    known_message_ids: Mapping[str, str],
    ticket_numbers: Container[str],
) -> ThreadDecision:
    """Decide where `parsed` goes.

    `known_message_ids` maps Message-IDs (without angle brackets, as `normalize_message_id`
    gives them) of messages Hotro received or sent to their ticket number; `ticket_numbers`
    holds the numbers of existing tickets.
    """
    tag = parsed.ticket_number_in_subject
    by_header = _by_headers(parsed, known_message_ids)
    if by_header is not None:
        number, matched_by, message_id = by_header
        reason = f"{matched_by.replace('_', '-')} <{message_id}> belongs to {number}"
        if tag and tag != number:
            reason += f"; subject tag [{tag}] ignored"
        return ThreadDecision(number, matched_by, reason)
    if tag and tag in ticket_numbers:
        return ThreadDecision(tag, "subject_tag", f"subject tag [{tag}]")
    if tag:
        return ThreadDecision(None, None, f"subject tag [{tag}] names no existing ticket")
    return ThreadDecision(None, None, "no known In-Reply-To, References or subject tag")


def _by_headers(parsed: ParsedMail, known: Mapping[str, str]) -> tuple[str, MatchedBy, str] | None:
    if parsed.in_reply_to and parsed.in_reply_to in known:
        return known[parsed.in_reply_to], "in_reply_to", parsed.in_reply_to
    for message_id in reversed(parsed.references):  # the newest reference is the last one
        if message_id in known:
            return known[message_id], "references", message_id
    return None
