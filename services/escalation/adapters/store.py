"""Escalation's event store, its reaction to routing decisions, and its published contract."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from libs.events.envelope import Envelope
from libs.events.schemas import TicketAssigned, TicketRouted, parse_data
from libs.events.sinks import UnitOfWork
from libs.platform.eventstore import ServiceApplication, derived_id
from services.escalation.domain.escalation import TicketEscalation
from services.escalation.domain.ladder import initial_placement


class EscalationApplication(ServiceApplication):
    name = "escalation"


def to_contract(domain_event: Any) -> tuple[str, msgspec.Struct] | None:
    if isinstance(domain_event, TicketEscalation.Assigned):
        e: Any = domain_event
        return e.ticket_id, TicketAssigned(
            ticket_id=e.ticket_id,
            tier=e.tier,
            owner=e.owner,
            handler=e.handler,
            group=e.group,
            assigned_at=e.assigned_at,
            reason=e.reason,
        )
    return None


def decider(app: EscalationApplication):  # type: ignore[no-untyped-def]
    def decide(envelope: Envelope, work: UnitOfWork) -> list[Any]:
        if envelope.type != TicketRouted.TYPE:
            return []
        routed = parse_data(envelope.type, envelope.data)
        assert isinstance(routed, TicketRouted)
        escalation_id = derived_id("escalation", routed.ticket_id)
        if work.exists(escalation_id):
            return []
        placement = initial_placement(
            routed.first_handler.kind, routed.first_handler.office, routed.group
        )
        return [
            TicketEscalation(
                id=escalation_id,
                ticket_id=routed.ticket_id,
                tier=placement.tier,
                owner=placement.owner,
                handler=placement.handler,
                group=routed.group,
                assigned_at=datetime.now(UTC),
                reason=placement.reason,
            )
        ]

    return decide
