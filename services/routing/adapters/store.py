"""Routing's event store and how its decisions reach the other services."""

from __future__ import annotations

from typing import Any

import msgspec

from libs.catalog.model import Catalog
from libs.catalog.requester import RequesterUnit
from libs.events.envelope import Envelope
from libs.events.schemas import (
    Classification,
    FirstHandler,
    TicketRouted,
    TicketSubmitted,
    parse_data,
)
from libs.events.sinks import UnitOfWork
from libs.platform.eventstore import ServiceApplication, derived_id
from services.routing.domain.decision import TicketRouting
from services.routing.domain.route import first_handler_dict, route_ticket


class RoutingApplication(ServiceApplication):
    name = "routing"


def to_contract(domain_event: Any) -> tuple[str, msgspec.Struct] | None:
    if isinstance(domain_event, TicketRouting.Routed):
        e: Any = domain_event
        return e.ticket_id, TicketRouted(
            ticket_id=e.ticket_id,
            group=e.group,
            type=e.type,
            application=e.application,
            picked_application=e.picked_application,
            classification=Classification(**e.classification),
            first_handler=FirstHandler(**e.first_handler),
            received_at=e.received_at,
            priority=e.priority,
            reasons=e.reasons,
        )
    return None


def requester_of(submitted: TicketSubmitted) -> RequesterUnit:
    unit = submitted.requester.unit
    return RequesterUnit(
        kind=submitted.unit_kind or "unknown",  # type: ignore[arg-type]
        province=submitted.unit_province,
        unit_code=submitted.requester.unit_code,
        declared=unit is not None,
        name=unit.name if unit else None,
    )


def decider(app: RoutingApplication, catalog: Catalog):  # type: ignore[no-untyped-def]
    """The consumer's decision: a submitted ticket gets exactly one routing decision."""

    def decide(envelope: Envelope, work: UnitOfWork) -> list[Any]:
        if envelope.type != TicketSubmitted.TYPE:
            return []
        submitted = parse_data(envelope.type, envelope.data)
        assert isinstance(submitted, TicketSubmitted)
        decision_id = derived_id("routing", submitted.ticket_id)
        if work.exists(decision_id):
            return []
        outcome = route_ticket(
            catalog=catalog,
            subject=submitted.subject,
            description=submitted.description,
            picked_application=submitted.application_code,
            requester=requester_of(submitted),
            received_at=submitted.received_at,
        )
        return [
            TicketRouting(
                id=decision_id,
                ticket_id=submitted.ticket_id,
                group=outcome.group,
                type=outcome.type,
                application=outcome.application,
                picked_application=submitted.application_code,
                classification=outcome.classification,
                first_handler=first_handler_dict(outcome.first_handler),
                received_at=submitted.received_at,
                priority=submitted.priority,
                reasons=outcome.reasons,
            )
        ]

    return decide
