"""What one inbound message becomes: a ticket, a comment, held, ignored, or a dead letter
(SPEC §2; `held`: issue 17, a reply from someone outside the ticket's conversation).

Pure: the adapter parses, looks up the Message-IDs and ticket numbers the message names
(`ids_to_look_up`, `numbers_to_look_up`), and hands the answers in as a `ThreadIndex`; for a
reply it also hands in the participants of the ticket it names (`participants_to_look_up`).
Every path ends in one of the five outcomes with a reason an operator can read, which is what
the fuzz tests hold the whole intake to.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass, field

from services.intake.domain.inbound_mail import Outcome
from services.intake.domain.mail import ParsedMail, UnparseableMail, parse_mail, thread_target
from services.intake.domain.mail.our_message_ids import ticket_number_in_our_message_id
from services.intake.domain.mail.sender_trust import (
    Participants,
    standing_of,
    unknown_sender_reason,
)


@dataclass(frozen=True)
class ThreadIndex:
    """What intake knows about the ids and numbers a message names."""

    #: Message-IDs (no brackets) of messages received on a ticket → its number.
    message_ids: Mapping[str, str] = field(default_factory=dict)
    #: Ticket numbers that exist.
    ticket_numbers: Container[str] = frozenset()
    #: Numbers of closed tickets (a reply to one starts a new ticket).
    closed: Container[str] = frozenset()
    #: The domain of our own Message-IDs and the addresses Hotro sends from.
    our_domain: str = ""
    our_addresses: Container[str] = frozenset()
    #: Ticket number → the people of its conversation (only for the ticket a reply names).
    participants: Mapping[str, Participants] = field(default_factory=dict)
    #: Staff addresses (catalog and operators): they may comment on any ticket.
    staff: Container[str] = frozenset()


@dataclass(frozen=True)
class MailDecision:
    outcome: Outcome
    reason: str
    parsed: ParsedMail | None = None
    #: The ticket a comment goes to, or whose mail bounced.
    ticket_number: str | None = None
    #: For a bounce of our mail: the address to mark undeliverable on that ticket.
    undeliverable: str | None = None
    acknowledge: bool = False


def ids_to_look_up(parsed: ParsedMail) -> list[str]:
    ids = [parsed.in_reply_to or "", *parsed.references, *parsed.bounced_message_ids]
    return list(dict.fromkeys(i for i in ids if i))


def numbers_to_look_up(parsed: ParsedMail, our_domain: str) -> list[str]:
    numbers = [parsed.ticket_number_in_subject or ""]
    numbers += [
        ticket_number_in_our_message_id(i, our_domain) or "" for i in ids_to_look_up(parsed)
    ]
    return list(dict.fromkeys(n for n in numbers if n))


def participants_to_look_up(decision: MailDecision) -> str | None:
    """The ticket whose participants decide a reply's fate (comment or held), if any."""
    return decision.ticket_number if decision.outcome in ("comment", "held") else None


def decide_raw(raw: bytes, index: ThreadIndex) -> MailDecision:
    """Parse and decide; the whole intake decision the fuzz tests drive."""
    try:
        parsed = parse_mail(raw)
    except UnparseableMail as refused:
        return MailDecision("dead_letter", refused.reason)
    return decide(parsed, index)


def decide(parsed: ParsedMail, index: ThreadIndex) -> MailDecision:
    if parsed.from_email.lower() in index.our_addresses:
        return MailDecision("ignored", "sent by Hotro itself (mail loop)", parsed)
    if parsed.is_bounce:
        return _bounce(parsed, index)
    if parsed.loop_reason:
        return MailDecision("ignored", f"automatic mail: {parsed.loop_reason}", parsed)
    if not (parsed.subject.strip() or parsed.text.strip() or parsed.attachments):
        return MailDecision("ignored", "empty message: no subject, text or attachment", parsed)
    target = thread_target(parsed, _known_ids(parsed, index), index.ticket_numbers)
    if target.ticket_number is None:
        return MailDecision("ticket", f"new ticket: {target.reason}", parsed, acknowledge=True)
    if target.ticket_number in index.closed:
        reason = f"new ticket: {target.reason}, but {target.ticket_number} is closed"
        return MailDecision("ticket", reason, parsed, acknowledge=True)
    number = target.ticket_number
    standing = standing_of(parsed.from_email, index.participants.get(number), index.staff)
    if standing is None:
        reason = f"{unknown_sender_reason(parsed.from_email, number)}; {target.reason}"
        return MailDecision("held", reason, parsed, ticket_number=number)
    return MailDecision("comment", f"{target.reason}; from the {standing}", parsed, number)


def _known_ids(parsed: ParsedMail, index: ThreadIndex) -> dict[str, str]:
    """Ids received on tickets, plus our own ids whose ticket exists."""
    known = dict(index.message_ids)
    for message_id in ids_to_look_up(parsed):
        number = ticket_number_in_our_message_id(message_id, index.our_domain)
        if number and number in index.ticket_numbers:
            known.setdefault(message_id, number)
    return known


def _bounce(parsed: ParsedMail, index: ThreadIndex) -> MailDecision:
    known = _known_ids(parsed, index)
    for message_id in parsed.bounced_message_ids:
        number = known.get(message_id)
        if number:
            address = parsed.bounced_recipient
            reason = f"bounce of <{message_id}> of {number}"
            return MailDecision("ignored", reason, parsed, number, address)
    why = parsed.loop_reason or "bounce"
    if parsed.bounced_message_ids:
        return MailDecision("ignored", f"{why}: of a message Hotro did not send", parsed)
    return MailDecision("ignored", f"{why}: names no failed message", parsed)
