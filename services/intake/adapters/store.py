"""Intake's event store and the SQL it owns beside it (ticket numbers)."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from psycopg_pool import AsyncConnectionPool

from libs.events.schemas import (
    MailTakenIn,
    TicketAttachmentAdded,
    TicketCommented,
    TicketCorrected,
    TicketEmailReceived,
    TicketMerged,
    TicketMergeReceived,
    TicketPriorityChanged,
    TicketRequesterUndeliverable,
    TicketStatusChanged,
    TicketSubmitted,
    contract_from,
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


def _by_name(contract: Any, key_field: str = "ticket_id") -> Any:
    """A mapper copying the contract's fields by name from the stored event."""

    def mapper(e: Any, key: str) -> msgspec.Struct:
        return contract_from(e, contract, **{key_field: key})

    return mapper


def _mail_replayed(e: Any, mail_id: str) -> msgspec.Struct:
    return contract_from(
        e,
        MailTakenIn,
        mail_id=mail_id,
        message_id=None,
        channel="replay",
        raw_sha256="",
        size=0,
        received_at=e.at,
        replay=True,
    )


def _mail_dismissed(e: Any, mail_id: str) -> msgspec.Struct:
    """A dismissal reaches the inbox as one more run of the message, ending `dismissed`."""
    return MailTakenIn(
        mail_id=mail_id,
        message_id=None,
        outcome="dismissed",
        reason=f"dismissed by {e.actor}: {e.reason}",
        ticket_id=None,
        sender="",
        subject="",
        channel="dismissal",
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
    _ticket.Submitted: _by_name(TicketSubmitted),
    _ticket.StatusChanged: _by_name(TicketStatusChanged),
    _ticket.Commented: _by_name(TicketCommented),
    _ticket.EmailReceived: _by_name(TicketEmailReceived),
    _ticket.AttachmentAdded: _by_name(TicketAttachmentAdded),
    _ticket.RequesterUndeliverable: _by_name(TicketRequesterUndeliverable),
    _ticket.PriorityChanged: _by_name(TicketPriorityChanged),
    _ticket.Corrected: _by_name(TicketCorrected),
    _ticket.Merged: _by_name(TicketMerged),
    _ticket.MergeReceived: _by_name(TicketMergeReceived),
    _mail.TakenIn: _by_name(MailTakenIn, "mail_id"),
    _mail.Replayed: _mail_replayed,
    _mail.Dismissed: _mail_dismissed,
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
