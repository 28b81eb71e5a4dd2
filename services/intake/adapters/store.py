"""Intake's event store and the SQL it owns beside it (ticket numbers)."""

from __future__ import annotations

from typing import Any

import msgspec
from psycopg_pool import AsyncConnectionPool

from libs.events.schemas import DeclaredUnit, Requester, TicketSubmitted
from libs.platform.eventstore import ServiceApplication
from services.intake.domain.numbers import ticket_number
from services.intake.domain.ticket import Ticket


class IntakeApplication(ServiceApplication):
    name = "intake"


def to_contract(domain_event: Any) -> tuple[str, msgspec.Struct] | None:
    """Which of intake's stored events the other services hear about, and in what shape."""
    if isinstance(domain_event, Ticket.Submitted):
        e: Any = domain_event
        requester = dict(e.requester)
        unit = requester.pop("unit", None)
        return str(e.originator_id), TicketSubmitted(
            ticket_id=str(e.originator_id),
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
    return None


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

    async def next(self, year: int) -> str:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f'INSERT INTO "{self.schema}".ticket_numbers AS n (year, last) VALUES (%s, 1)'
                " ON CONFLICT (year) DO UPDATE SET last = n.last + 1 RETURNING last",
                (year,),
            )
            row = await cur.fetchone()
        assert row is not None
        return ticket_number(year, int(row[0]))
