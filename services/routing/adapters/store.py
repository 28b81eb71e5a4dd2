"""Routing's event store, what its decisions look like to others, and its consumer's decisions."""

from __future__ import annotations

import contextlib
import weakref
from datetime import timedelta
from typing import Any

import msgspec

from libs.catalog.model import Catalog
from libs.catalog.requester import RequesterUnit
from libs.events.envelope import Envelope
from libs.events.schemas import (
    TicketLinked,
    TicketReclassified,
    TicketResolutionRequested,
    TicketRouted,
    TicketStatusChanged,
    TicketSubmitted,
    TicketUnlinked,
    contract_from,
    parse_data,
)
from libs.events.sinks import UnitOfWork
from libs.platform.eventstore import ServiceApplication, derived_id
from services.routing.adapters.classifier import Classifier
from services.routing.adapters.ticket_index import Overlay, TicketIndex
from services.routing.domain.decision import OPEN, RoutingRefused, TicketRouting
from services.routing.domain.outages import Report, is_parentless_channel, parent_for
from services.routing.domain.route import first_handler_dict, route_ticket

#: The cause a child gets when its parent is resolved (SPEC §3.2).
DUPLICATE_CAUSE = "duplicate"


class RoutingApplication(ServiceApplication):
    name = "routing"


def routing_id(ticket_id: str) -> Any:
    return derived_id("routing", ticket_id)


#: Routing's public events, each copied by field name from its stored event.
_CONTRACT_OF: dict[str, Any] = {
    "Routed": TicketRouted,
    "Linked": TicketLinked,
    "Unlinked": TicketUnlinked,
}


def to_contract(domain_event: Any) -> tuple[str, msgspec.Struct] | None:
    """Which of routing's stored events the other services hear about, and in what shape.
    (StatusNoted is routing's own bookkeeping.)"""
    e: Any = domain_event
    if not isinstance(e, TicketRouting.Event):
        return None
    name = type(e).__name__
    if name == "Reclassified":
        before = {f"previous_{k}": e.previous[k] for k in ("group", "type", "application")}
        return e.ticket_id, contract_from(e, TicketReclassified, **before)
    if name == "ResolutionRequested":
        return e.ticket_id, contract_from(e, TicketResolutionRequested, cause=DUPLICATE_CAUSE)
    contract = _CONTRACT_OF.get(name)
    return (e.ticket_id, contract_from(e, contract)) if contract else None


def requester_of(submitted: TicketSubmitted) -> RequesterUnit:
    unit = submitted.requester.unit
    return RequesterUnit(
        kind=submitted.unit_kind or "unknown",  # type: ignore[arg-type]
        province=submitted.unit_province,
        unit_code=submitted.requester.unit_code,
        declared=unit is not None,
        name=unit.name if unit else None,
    )


def unit_of(submitted: TicketSubmitted) -> str | None:
    """The requester's unit as a burst counts units: its catalog code, or None.

    A unit the requester only declared by name is not counted: two spellings of one unit
    would look like two units, and a wrong link costs more than a missed one."""
    code = (submitted.requester.unit_code or "").strip().upper()
    return code or None


class RoutingDecider:
    """What routing does with intake's events: route new tickets, hear statuses, cascade."""

    def __init__(self, catalog: Catalog, index: TicketIndex, classifier: Classifier) -> None:
        self.catalog = catalog
        self.index = index
        self.classifier = classifier
        self._overlays: weakref.WeakKeyDictionary[UnitOfWork, Overlay] = weakref.WeakKeyDictionary()

    def __call__(self, envelope: Envelope, work: UnitOfWork) -> list[Any]:
        if envelope.type == TicketSubmitted.TYPE:
            submitted = parse_data(envelope.type, envelope.data)
            assert isinstance(submitted, TicketSubmitted)
            return self.route(submitted, work)
        if envelope.type == TicketStatusChanged.TYPE:
            changed = parse_data(envelope.type, envelope.data)
            assert isinstance(changed, TicketStatusChanged)
            return self.hear_status(changed, work)
        return []

    def _overlay(self, work: UnitOfWork) -> Overlay:
        """The batch's own decisions; the first event of a batch catches the index up."""
        overlay = self._overlays.get(work)
        if overlay is None:
            self.index.catch_up()
            overlay = self._overlays[work] = Overlay()
        return overlay

    def route(self, submitted: TicketSubmitted, work: UnitOfWork) -> list[Any]:
        """A submitted ticket gets exactly one routing decision, and maybe an outage parent."""
        decision_id = routing_id(submitted.ticket_id)
        if work.exists(decision_id):
            return []
        outcome = route_ticket(
            catalog=self.catalog,
            subject=submitted.subject,
            description=submitted.description,
            picked_application=submitted.application_code,
            requester=requester_of(submitted),
            received_at=submitted.received_at,
            model=self.classifier.model,
            # The monitoring service names the application it watches; nobody guessed it.
            pick_is_known=submitted.channel == "monitoring",
        )
        routing = TicketRouting(
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
            text=outcome.text,
            channel=submitted.channel,
            unit=unit_of(submitted),
        )
        overlay = self._overlay(work)
        self._link_to_outage(routing, work, overlay)
        overlay.add(routing)
        return [routing]

    def _link_to_outage(self, routing: TicketRouting, work: UnitOfWork, overlay: Overlay) -> None:
        if routing.type != "incident" or routing.application is None:
            return
        if is_parentless_channel(routing.channel):
            return
        policy = self.catalog.routing.duplicates
        report = Report(
            routing.ticket_id,
            routing.application,
            routing.type,
            routing.received_at,
            routing.text,
            routing.unit,
        )
        incidents = self.index.open_incidents(
            routing.application,
            routing.received_at,
            timedelta(minutes=policy.window_minutes),
            overlay,
        )
        match = parent_for(report, incidents, policy)
        if match is None:
            return
        # The parent may have changed since the index saw it: then the report stays unlinked.
        with contextlib.suppress(RoutingRefused):
            routing.link_to(
                work.get(routing_id(match.parent_id)),
                automatic=True,
                similarity=match.similarity,
                reasons=list(match.reasons),
                actor="routing",
                at=routing.received_at,
            )

    def hear_status(self, changed: TicketStatusChanged, work: UnitOfWork) -> list[Any]:
        """Note intake's status; a parent just resolved asks for its children's resolution."""
        decision_id = routing_id(changed.ticket_id)
        if not work.exists(decision_id):
            return []
        routing: TicketRouting = work.get(decision_id)
        overlay = self._overlay(work)
        was_open = routing.status == OPEN
        routing.note_status(changed.status, changed.at)
        touched = [routing]
        if was_open and changed.status == "resolved":
            note = changed.reason or ""
            for child_id in self.index.children_of(routing.ticket_id, overlay):
                child: TicketRouting = work.get(routing_id(child_id))
                if child.parent_id == routing.ticket_id and child.status == OPEN:
                    child.request_resolution(
                        parent=routing, cause=changed.cause, note=note, at=changed.at
                    )
                    touched.append(child)
        for aggregate in touched:
            overlay.add(aggregate)
        return touched
