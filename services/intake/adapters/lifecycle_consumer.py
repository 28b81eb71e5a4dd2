"""Intake's own decisions about other services' facts: intake alone changes a ticket's status.

- escalation says someone took the ticket → it is in progress;
- routing says the parent of this child was resolved → resolve the child as a duplicate; its
  requester hears the outage's number, cause and resolution (`outage_note`), not "duplicate".
"""

from __future__ import annotations

import uuid
from typing import Any

from libs.events.envelope import Envelope
from libs.events.schemas import TicketResolutionRequested, TicketTaken, parse_data
from libs.events.sinks import UnitOfWork
from services.intake.domain.lifecycle import OPEN_STATUSES
from services.intake.domain.mail.notices import OUTAGE_ACTOR, outage_note
from services.intake.domain.ticket import Ticket


def decide(envelope: Envelope, work: UnitOfWork) -> list[Any]:
    if envelope.type not in (TicketTaken.TYPE, TicketResolutionRequested.TYPE):
        return []
    ticket_id = uuid.UUID(envelope.subject)
    if not work.exists(ticket_id):
        return []
    ticket: Ticket = work.get(ticket_id)
    fact = parse_data(envelope.type, envelope.data)
    if isinstance(fact, TicketTaken):
        if ticket.status not in ("new", "reopened"):
            return []
        ticket.start(actor=fact.actor, at=fact.at, reason=f"Đã tiếp nhận: {fact.assignee}")
        return [ticket]
    assert isinstance(fact, TicketResolutionRequested)
    if ticket.status not in OPEN_STATUSES:
        return []
    note = outage_note(_number_of(work, fact.parent_id), fact.parent_cause, fact.note)
    ticket.resolve(actor=OUTAGE_ACTOR, at=fact.at, cause=fact.cause or "duplicate", reason=note)
    return [ticket]


def _number_of(work: UnitOfWork, ticket_id: str) -> str:
    """The outage's ticket number, which its reporters can look up (never its UUID)."""
    parent_id = uuid.UUID(ticket_id)
    if not work.exists(parent_id):
        return ticket_id
    parent: Ticket = work.get(parent_id)
    return parent.number
