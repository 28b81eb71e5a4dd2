"""Mail to requesters, sent by a consumer of intake's own topic (never from a request handler).

Each message follows an event: the acknowledgement of a new ticket (every channel with an
address: e-mail, web, phone — issue 13), the desk's public answers, its questions (`/wait`)
and the resolution notice. The consumer may see an event twice, so each message goes through
`OutgoingMail` with a dedupe key: the event id, or for the acknowledgement the ticket itself
(`ack:<ticket id>`), so a ticket is acknowledged once whatever retries and restarts happen.
Nothing is sent to an address a bounce marked undeliverable (`MailAddress`, directory-wide).
Every Message-ID names the ticket (`our_message_ids`), so a reply or a bounce finds its ticket
from its headers alone.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from psycopg import AsyncConnection

from libs.events.envelope import Envelope
from libs.platform.outgoing_mail import MESSAGE_ID_DOMAIN, OutgoingMail, new_message
from services.intake.adapters.store import IntakeApplication
from services.intake.domain.mail.ack import ack_body, ack_subject, reply_headers
from services.intake.domain.mail.merge_notice import merged_body
from services.intake.domain.mail.notices import (
    answer_body,
    question_body,
    resolution_mail_cause,
    resolved_body,
    ticket_subject,
)
from services.intake.domain.mail.our_message_ids import our_message_id
from services.intake.domain.ticket import REQUESTER_SIDE, Ticket
from services.intake.service_layer.mail_standing import mail_refusal
from services.intake.service_layer.ticket_changes import TicketNotFound, load

log = logging.getLogger(__name__)

#: Channels whose ticket is acknowledged when it is submitted; e-mail is acknowledged when its
#: message is recorded (the reply threads to it), monitoring has no requester to tell.
ACK_ON_SUBMISSION = frozenset({"web", "phone"})


@dataclass(frozen=True)
class Letter:
    """What one event tells the requester: kind (for the Message-ID), subject, body, threading."""

    kind: str
    subject: str
    body: str
    headers: dict[str, str]
    dedupe_key: str
    to: str = ""
    #: The ticket the Message-ID names, when not this one (a merge: replies go to the survivor).
    number: str = ""


class Mailer:
    def __init__(self, app: IntakeApplication, outgoing: OutgoingMail) -> None:
        self.app = app
        self.outgoing = outgoing

    async def project(self, _conn: AsyncConnection[Any], envelope: Envelope) -> None:
        """The ProjectionSink hook: the effect is a sent message, the position is tracked."""
        if not _may_tell(envelope):
            return
        ticket = await self._ticket(envelope.subject)
        if ticket is None:
            return
        letter = letter_for(envelope, ticket)
        if letter is None:
            return
        to = (letter.to or ticket.requester_email or "").lower()
        if await mail_refusal(self.app, to, ticket.undeliverable, envelope.time) is not None:
            log.info(
                "mail not sent: no deliverable address",
                extra={"ticket_id": envelope.subject, "event_id": envelope.id, "to": to},
            )
            return
        message = _message(to, letter, letter.number or ticket.number, envelope.id)
        if await self.outgoing.send(message, dedupe_key=letter.dedupe_key):
            log.info(
                "mail sent",
                extra={"ticket_id": envelope.subject, "event_id": envelope.id, "to": to},
            )

    async def _ticket(self, ticket_id: str) -> Ticket | None:
        try:
            return await asyncio.to_thread(load, self.app, uuid.UUID(ticket_id))
        except (TicketNotFound, ValueError):
            return None


def _may_tell(e: Envelope) -> bool:
    """Whether the event is one the requester hears about (before loading the ticket)."""
    d = e.data
    if e.type == "hotro.ticket.submitted.v1":
        return d.get("channel") in ACK_ON_SUBMISSION
    if e.type == "hotro.ticket.email_received.v1":
        return bool(d.get("acknowledge"))
    if e.type == "hotro.ticket.commented.v1":
        return d.get("visibility") == "public" and d.get("author_role") not in REQUESTER_SIDE
    if e.type == "hotro.ticket.status_changed.v1":
        return d.get("status") in ("resolved", "waiting_requester")
    return e.type == "hotro.ticket.merged.v1"  # issue 13: told under which number it goes on


def letter_for(e: Envelope, ticket: Ticket) -> Letter | None:
    """The mail one event makes (pure: the ticket is loaded by the caller)."""
    d = e.data
    name = str(ticket.requester.get("name") or "")
    thread = reply_headers(_first_message_id(ticket), [])
    subject = ticket_subject(ticket.number, ticket.subject)
    if e.type == "hotro.ticket.submitted.v1":
        body = ack_body(ticket.number, name, ticket.subject, ticket.received_at, ticket.channel)
        return Letter(
            "ack", ack_subject(ticket.number, ticket.subject), body, {}, f"ack:{ticket.id}"
        )
    if e.type == "hotro.ticket.email_received.v1":
        original = d.get("subject") or ticket.subject
        body = ack_body(ticket.number, name, original, d.get("received_at"), "email")
        headers = reply_headers(d.get("message_id"), list(d.get("references") or []))
        return Letter(
            "ack",
            ack_subject(ticket.number, original),
            body,
            headers,
            f"ack:{ticket.id}",
            to=str(d.get("sender") or ""),
        )
    if e.type == "hotro.ticket.merged.v1":
        body = merged_body(ticket.number, name, str(d["into_number"]), str(d.get("reason") or ""))
        into = str(d["into_number"])
        return Letter("merged", ticket_subject(into, ticket.subject), body, {}, e.id, number=into)
    if e.type == "hotro.ticket.commented.v1":
        body = answer_body(ticket.number, name, str(d.get("author")), str(d.get("body")))
        return Letter("reply", subject, body, thread, e.id)
    if d.get("status") == "waiting_requester":
        body = question_body(
            ticket.number, name, str(d.get("actor")), str(d.get("reason") or ""), d.get("at")
        )
        return Letter("question", subject, body, thread, e.id)
    cause = resolution_mail_cause(d.get("cause"), str(d.get("actor") or ""))
    body = resolved_body(ticket.number, name, cause, str(d.get("reason") or ""), d.get("at"))
    return Letter("resolved", subject, body, thread, e.id)


def _message(to: str, letter: Letter, number: str, event_id: str) -> EmailMessage:
    message = new_message(to, letter.subject, letter.body, **_header_kwargs(letter.headers))
    serial = event_id.rsplit(":", 1)[-1]
    del message["Message-ID"]
    message["Message-ID"] = f"<{our_message_id(letter.kind, number, serial, MESSAGE_ID_DOMAIN)}>"
    return message


def _first_message_id(ticket: Ticket) -> str | None:
    return ticket.message_ids[0] if ticket.message_ids else None


def _header_kwargs(headers: dict[str, str]) -> dict[str, str]:
    """`new_message` takes headers as keywords (underscores for dashes); Auto-Submitted is set."""
    return {k.replace("-", "_"): v for k, v in headers.items() if k != "Auto-Submitted"}
