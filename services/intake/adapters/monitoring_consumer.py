"""Monitoring's incidents become tickets: intake's consumer of hotro.monitoring.v1.

Exactly once per event (rule 5): the ticket, its monitoring record and the source position
are stored in one transaction by `EventSourcedSink`. The one thing a decision cannot do
itself is take the next ticket number (a SQL sequence); it is taken before deciding, only
for a ticket that does not exist yet, and kept for a retry of the same batch. A number taken
for a batch that then fails is a gap, as a failed web submission leaves one.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import msgspec

from libs.catalog.model import Catalog
from libs.events.consumer import DeadLetterFn
from libs.events.envelope import Envelope
from libs.events.schemas import IncidentChanged, TicketMonitoringChanged, contract_from, parse_data
from libs.events.sinks import EventSourcedSink, UnitOfWork
from libs.platform.eventstore import ToContract
from services.intake.adapters.store import IntakeApplication, TicketNumbers
from services.intake.domain.monitoring_tickets import (
    INCIDENT_TYPES,
    OPENING_TYPES,
    MonitoringRecord,
    decide_ticket,
    record_id_for,
    ticket_id_for,
    ticket_year,
)

NAME = "intake.monitoring"


class MonitoringTicketsSink:
    def __init__(self, app: IntakeApplication, numbers: TicketNumbers, catalog: Catalog) -> None:
        self.app = app
        self.numbers = numbers
        self.catalog = catalog
        self._numbers: dict[uuid.UUID, str] = {}
        self.inner = EventSourcedSink(name=NAME, app=app, decide=self.decide)

    async def last_position(self, stream: str) -> int:
        return await self.inner.last_position(stream)

    async def apply(
        self, stream: str, envelopes: list[Envelope], dead_letter: DeadLetterFn
    ) -> None:
        for envelope in envelopes:
            if envelope.type in OPENING_TYPES:
                await self._number_for(envelope)
        await self.inner.apply(stream, envelopes, dead_letter)

    async def _number_for(self, envelope: Envelope) -> None:
        try:
            fact = parse_data(envelope.type, envelope.data)
        except msgspec.ValidationError:
            return  # the decision dead-letters it
        assert isinstance(fact, IncidentChanged)
        ticket_id = ticket_id_for(fact.incident_id)
        if ticket_id in self._numbers:
            return
        if await asyncio.to_thread(self._exists, ticket_id):
            return
        self._numbers[ticket_id] = await self.numbers.next(ticket_year(fact.at), ticket_id)

    def _exists(self, aggregate_id: uuid.UUID) -> bool:
        return UnitOfWork(self.app).exists(aggregate_id)

    def decide(self, envelope: Envelope, work: UnitOfWork) -> list[Any]:
        if envelope.type not in INCIDENT_TYPES:
            return []
        fact = parse_data(envelope.type, envelope.data)
        assert isinstance(fact, IncidentChanged)
        ticket_id = ticket_id_for(fact.incident_id)
        record_id = record_id_for(fact.incident_id)
        ticket = work.get(ticket_id) if work.exists(ticket_id) else None
        record = work.get(record_id) if work.exists(record_id) else None
        number = self._numbers.get(ticket_id)
        return decide_ticket(fact, ticket, record, number, self.catalog)


def with_monitoring_contracts(to_contract: ToContract) -> ToContract:
    """Intake's relay mapping, extended: a ticket's monitoring record is told keyed by it."""

    def mapped(domain_event: Any) -> tuple[str, msgspec.Struct] | None:
        if isinstance(domain_event, MonitoringRecord.Event):  # type: ignore[attr-defined]
            if type(domain_event).__name__ != "Changed":
                return None  # noting the record is bookkeeping; its changes are told
            e: Any = domain_event
            return e.ticket_id, contract_from(e, TicketMonitoringChanged)
        return to_contract(domain_event)

    return mapped
