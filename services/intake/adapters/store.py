"""Intake's event store and the SQL it owns beside it (ticket numbers)."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from psycopg_pool import AsyncConnectionPool

from libs.events.schemas import (
    DeclaredUnit,
    MailTakenIn,
    Requester,
    TicketAttachmentAdded,
    TicketCommented,
    TicketEmailReceived,
    TicketRequesterUndeliverable,
    TicketStatusChanged,
    TicketSubmitted,
)
from libs.platform.eventstore import ServiceApplication
from services.intake.domain.inbound_mail import InboundMail
from services.intake.domain.numbers import ticket_number
from services.intake.domain.ticket import Ticket


class IntakeApplication(ServiceApplication):
    name = "intake"


def to_contract(domain_event: Any) -> tuple[str, msgspec.Struct] | None:
    """Which of intake's stored events the other services hear about, and in what shape."""
    e: Any = domain_event
    mapper = _CONTRACT_OF.get(type(e))
    if mapper is None:
        return None
    key = str(e.originator_id)
    return key, mapper(e, key)


def _submitted(e: Any, ticket_id: str) -> msgspec.Struct:
    requester = dict(e.requester)
    unit = requester.pop("unit", None)
    return TicketSubmitted(
        ticket_id=ticket_id,
        number=e.number,
        channel=e.channel,
        requester=Requester(**requester, unit=DeclaredUnit(**unit) if unit else None),
        subject=e.subject,
        description=e.description,
        received_at=e.received_at,
        application_code=e.application_code,
        priority=e.priority,
        unit_kind=e.unit_kind,
        unit_province=e.unit_province,
    )


def _status_changed(e: Any, ticket_id: str) -> msgspec.Struct:
    return TicketStatusChanged(
        ticket_id=ticket_id,
        status=e.status,
        previous=e.previous,
        actor=e.actor,
        at=e.at,
        reason=e.reason,
        cause=e.cause,
    )


def _commented(e: Any, ticket_id: str) -> msgspec.Struct:
    return TicketCommented(
        ticket_id=ticket_id,
        author=e.author,
        author_role=e.author_role,
        visibility=e.visibility,
        body=e.body,
        at=e.at,
        channel=e.channel,
        message_id=e.message_id,
    )


def _email_received(e: Any, ticket_id: str) -> msgspec.Struct:
    return TicketEmailReceived(
        ticket_id=ticket_id,
        message_id=e.message_id,
        sender=e.sender,
        sender_name=e.sender_name,
        subject=e.subject,
        text=e.text,
        html=e.html,
        received_at=e.received_at,
        to=list(e.to),
        cc=list(e.cc),
        in_reply_to=e.in_reply_to,
        references=list(e.references),
        threading=e.threading,
        acknowledge=e.acknowledge,
    )


def _attachment_added(e: Any, ticket_id: str) -> msgspec.Struct:
    return TicketAttachmentAdded(
        ticket_id=ticket_id,
        attachment_id=e.attachment_id,
        filename=e.filename,
        content_type=e.content_type,
        size=e.size,
        sha256=e.sha256,
        stored=e.stored,
        at=e.at,
        source=e.source,
        refused_reason=e.refused_reason,
    )


def _undeliverable(e: Any, ticket_id: str) -> msgspec.Struct:
    return TicketRequesterUndeliverable(
        ticket_id=ticket_id,
        address=e.address,
        bounced_message_id=e.bounced_message_id,
        reason=e.reason,
        at=e.at,
    )


def _mail_taken_in(e: Any, mail_id: str) -> msgspec.Struct:
    return MailTakenIn(
        mail_id=mail_id,
        message_id=e.message_id,
        outcome=e.outcome,
        reason=e.reason,
        ticket_id=e.ticket_id,
        sender=e.sender,
        subject=e.subject,
        channel=e.channel,
        raw_sha256=e.raw_sha256,
        size=e.size,
        received_at=e.received_at,
        at=e.at,
    )


def _mail_replayed(e: Any, mail_id: str) -> msgspec.Struct:
    return MailTakenIn(
        mail_id=mail_id,
        message_id=None,
        outcome=e.outcome,
        reason=e.reason,
        ticket_id=e.ticket_id,
        sender=e.sender,
        subject=e.subject,
        channel="replay",
        raw_sha256="",
        size=0,
        received_at=e.at,
        at=e.at,
        replay=True,
    )


#: The event classes eventsourcing generates from the `@event` names (invisible to mypy).
_ticket: Any = Ticket
_mail: Any = InboundMail
_CONTRACT_OF: dict[type, Any] = {
    _ticket.Submitted: _submitted,
    _ticket.StatusChanged: _status_changed,
    _ticket.Commented: _commented,
    _ticket.EmailReceived: _email_received,
    _ticket.AttachmentAdded: _attachment_added,
    _ticket.RequesterUndeliverable: _undeliverable,
    _mail.TakenIn: _mail_taken_in,
    _mail.Replayed: _mail_replayed,
}


class TicketNumbers:
    """Allocates the next number of a year; a failed submission leaves a gap, as in RT."""

    def __init__(self, pool: AsyncConnectionPool[Any], schema: str) -> None:
        self.pool = pool
        self.schema = schema

    async def ensure_table(self) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{self.schema}".ticket_numbers'
                " (year int PRIMARY KEY, last bigint NOT NULL)"
            )
            await conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{self.schema}".number_index'
                " (number text PRIMARY KEY, ticket_id uuid NOT NULL)"
            )

    async def next(self, year: int, ticket_id: uuid.UUID | None = None) -> str:
        """The next number; with `ticket_id`, also remembered so the number finds the ticket
        before the ticket view has caught up."""
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                f'INSERT INTO "{self.schema}".ticket_numbers AS n (year, last) VALUES (%s, 1)'
                " ON CONFLICT (year) DO UPDATE SET last = n.last + 1 RETURNING last",
                (year,),
            )
            row = await cur.fetchone()
            assert row is not None
            number = ticket_number(year, int(row[0]))
            if ticket_id is not None:
                await conn.execute(
                    f'INSERT INTO "{self.schema}".number_index (number, ticket_id)'
                    " VALUES (%s, %s) ON CONFLICT DO NOTHING",
                    (number, ticket_id),
                )
        return number

    async def ticket_id_of(self, number: str) -> uuid.UUID | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f'SELECT ticket_id FROM "{self.schema}".number_index WHERE number = %s',
                (number.upper(),),
            )
            row = await cur.fetchone()
        return row[0] if row else None
