"""Mail to requesters, sent by a consumer of intake's own topic (never from a request handler).

The acknowledgement of a new e-mail ticket, the desk's public answers and the resolution
notice each follow an event; the consumer may see an event twice, so each message is sent
through `OutgoingMail` with the event id as dedupe key. Every Message-ID names the ticket
(`our_message_ids`), so a reply or a bounce finds its ticket from its headers alone.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from email.message import EmailMessage
from typing import Any

from psycopg import AsyncConnection

from libs.events.envelope import Envelope
from libs.platform.outgoing_mail import MESSAGE_ID_DOMAIN, OutgoingMail, new_message
from services.intake.adapters.store import IntakeApplication
from services.intake.domain.mail.ack import ack_body, ack_subject, reply_headers
from services.intake.domain.mail.notices import answer_body, resolved_body, ticket_subject
from services.intake.domain.mail.our_message_ids import our_message_id
from services.intake.domain.ticket import REQUESTER_SIDE, Ticket
from services.intake.service_layer.ticket_changes import TicketNotFound, load

log = logging.getLogger(__name__)


class Mailer:
    def __init__(self, app: IntakeApplication, outgoing: OutgoingMail) -> None:
        self.app = app
        self.outgoing = outgoing

    async def project(self, _conn: AsyncConnection[Any], envelope: Envelope) -> None:
        """The ProjectionSink hook: the effect is a sent message, the position is tracked."""
        message = await self._message_for(envelope)
        if message is None:
            return
        if await self.outgoing.send(message, dedupe_key=envelope.id):
            log.info(
                "mail sent",
                extra={"ticket_id": envelope.subject, "event_id": envelope.id, "to": message["To"]},
            )

    async def _message_for(self, e: Envelope) -> EmailMessage | None:
        d = e.data
        if e.type == "hotro.ticket.email_received.v1":
            if not d.get("acknowledge"):
                return None
        elif e.type == "hotro.ticket.commented.v1":
            if d.get("visibility") != "public" or d.get("author_role") in REQUESTER_SIDE:
                return None
        elif e.type == "hotro.ticket.status_changed.v1":
            if d.get("status") != "resolved":
                return None
        else:
            return None
        ticket = await self._ticket(e.subject)
        if ticket is None:
            return None
        to = str(d.get("sender") or "") if e.type.endswith("email_received.v1") else ""
        to = (to or ticket.requester_email or "").lower()
        if "@" not in to or to in ticket.undeliverable:
            return None
        name = str(ticket.requester.get("name") or "")
        serial = e.id.rsplit(":", 1)[-1]
        if e.type.endswith("email_received.v1"):
            kind, subject = "ack", ack_subject(ticket.number, d.get("subject") or ticket.subject)
            body = ack_body(ticket.number, name, d.get("subject") or ticket.subject)
            headers = reply_headers(d.get("message_id"), list(d.get("references") or []))
        elif e.type.endswith("commented.v1"):
            kind, subject = "reply", ticket_subject(ticket.number, ticket.subject)
            body = answer_body(ticket.number, name, str(d.get("author")), str(d.get("body")))
            headers = reply_headers(_first_message_id(ticket), [])
        else:
            kind, subject = "resolved", ticket_subject(ticket.number, ticket.subject)
            body = resolved_body(ticket.number, name, d.get("cause"), str(d.get("reason") or ""))
            headers = reply_headers(_first_message_id(ticket), [])
        message = new_message(to, subject, body, **_header_kwargs(headers))
        del message["Message-ID"]
        message["Message-ID"] = (
            f"<{our_message_id(kind, ticket.number, serial, MESSAGE_ID_DOMAIN)}>"
        )
        return message

    async def _ticket(self, ticket_id: str) -> Ticket | None:
        try:
            return await asyncio.to_thread(load, self.app, uuid.UUID(ticket_id))
        except (TicketNotFound, ValueError):
            return None


def _first_message_id(ticket: Ticket) -> str | None:
    return ticket.message_ids[0] if ticket.message_ids else None


def _header_kwargs(headers: dict[str, str]) -> dict[str, str]:
    """`new_message` takes headers as keywords (underscores for dashes); Auto-Submitted is set."""
    return {k.replace("-", "_"): v for k, v in headers.items() if k != "Auto-Submitted"}
