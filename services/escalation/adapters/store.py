"""Escalation's event store, its reactions to other services' events, and its contracts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec

from libs.catalog.model import Catalog
from libs.events.envelope import Envelope
from libs.events.schemas import (
    KnownErrorChanged,
    SlaBreached,
    SlaUpdated,
    TicketAssigned,
    TicketCommented,
    TicketCorrected,
    TicketEscalated,
    TicketPriorityChanged,
    TicketReclassified,
    TicketReturned,
    TicketRouted,
    TicketStatusChanged,
    TicketTaken,
    TicketTransferred,
    contract_from,
    parse_data,
)
from libs.events.sinks import UnitOfWork
from libs.platform.eventstore import ServiceApplication, derived_id
from services.escalation.domain import corrections, decisions
from services.escalation.domain.decisions import SlaSetup
from services.escalation.domain.escalation import TicketEscalation
from services.escalation.domain.known_errors import (
    KnownError,
    KnownErrorIndex,
    file_known_error,
    responsible_department,
)


class EscalationApplication(ServiceApplication):
    name = "escalation"


def escalation_id_of(ticket_id: str) -> Any:
    return derived_id("escalation", ticket_id)


#: Escalation's public events, each copied by field name from its stored event.
_CONTRACT_OF: dict[str, Any] = {
    "Assigned": TicketAssigned,
    "Taken": TicketTaken,
    "Escalated": TicketEscalated,
    "Returned": TicketReturned,
    "Transferred": TicketTransferred,
    "Breached": SlaBreached,
}


def to_contract(domain_event: Any) -> tuple[str, msgspec.Struct] | None:
    """Which of escalation's stored events the other services hear about, and in what shape."""
    e: Any = domain_event
    if isinstance(e, KnownError.Event):
        return _known_error_contract(e)
    if not isinstance(e, TicketEscalation.Event):
        return None
    name = type(e).__name__
    if name == "SlaChanged":
        # The SLA summary is a dict of ISO strings; convert() parses them into the contract.
        return e.ticket_id, contract_from(e, SlaUpdated, **e.summary)
    contract = _CONTRACT_OF.get(name)
    return (e.ticket_id, contract_from(e, contract)) if contract else None


def _known_error_contract(e: Any) -> tuple[str, msgspec.Struct] | None:
    """Opened and joined are told on the ticket concerned; a status change on the error."""
    ke_id = str(e.originator_id)
    if isinstance(e, KnownError.Opened):
        key, change = e.first_ticket, {"change": "opened", "status": "open"}
    elif isinstance(e, KnownError.Joined):
        key, change = e.ticket_id, {"change": "joined", "status": ""}
    elif isinstance(e, KnownError.StatusChanged):
        key, change = ke_id, {"change": "status"}
    else:
        return None
    return key, contract_from(e, KnownErrorChanged, ticket_id=key, known_error_id=ke_id, **change)


def _file_known_error(
    escalation: TicketEscalation, work: UnitOfWork, catalog: Catalog, title: str, at: datetime
) -> list[Any]:
    application = escalation.application or "-"
    department = responsible_department(escalation.application, escalation.handlers, catalog)
    index_id = derived_id("known-error-index", application, department)
    index = (
        work.get(index_id)
        if work.exists(index_id)
        else KnownErrorIndex(id=index_id, application=application, department=department)
    )
    open_error = work.get(UUID(index.open_id)) if index.open_id else None
    new_id = derived_id("known-error", application, department, str(index.count + 1))
    known_error = file_known_error(
        index, open_error, new_id, escalation.ticket_id, application, department, title, at
    )
    return [index, known_error]


#: Whose public comment is an answer from the desk (a requester's or a copied contact's is not).
DESK_ROLES = frozenset({"province_it", "group_agent", "group_lead", "specialist", "admin"})


def decider(catalog: Catalog, setup: SlaSetup):  # type: ignore[no-untyped-def]
    """The consumer's reactions: routing decisions place tickets, intake's lifecycle moves
    the clocks."""

    def decide(envelope: Envelope, work: UnitOfWork) -> list[Any]:
        now = datetime.now(UTC)
        escalation_id = escalation_id_of(envelope.subject)
        if envelope.type == TicketRouted.TYPE:
            if work.exists(escalation_id):
                return []
            routed = parse_data(envelope.type, envelope.data)
            assert isinstance(routed, TicketRouted)
            pending = _pending_priority(work, envelope.subject)
            return [
                decisions.place_routed_ticket(
                    escalation_id,
                    routed.ticket_id,
                    routed.first_handler.kind,
                    routed.first_handler.office,
                    routed.group,
                    routed.application,
                    pending.priority if pending else routed.priority,
                    routed.type,
                    routed.received_at,
                    now,
                    setup,
                    arrived_at=envelope.time,
                )
            ]
        if envelope.type == TicketStatusChanged.TYPE:
            if not work.exists(escalation_id):
                return []  # not routed yet: the routed event starts from the current status
            changed = parse_data(envelope.type, envelope.data)
            assert isinstance(changed, TicketStatusChanged)
            escalation = work.get(escalation_id)
            decisions.on_status(
                escalation, changed.status, changed.previous, changed.cause, changed.at, setup
            )
            if changed.status == "resolved" and changed.cause == "software_bug":
                title = changed.reason or f"Lỗi phần mềm {escalation.application or ''}".strip()
                filed = _file_known_error(escalation, work, catalog, title, changed.at)
                return [escalation, *filed]
            return [escalation]
        if envelope.type == TicketReclassified.TYPE:
            if not work.exists(escalation_id):
                return []
            changed_class = parse_data(envelope.type, envelope.data)
            assert isinstance(changed_class, TicketReclassified)
            escalation = work.get(escalation_id)
            decisions.regroup(
                escalation,
                changed_class.group,
                changed_class.application,
                changed_class.actor,
                changed_class.at,
            )
            return [escalation]
        if envelope.type in (TicketPriorityChanged.TYPE, TicketCorrected.TYPE):
            return _desk_decision(envelope, work, catalog, setup)
        if envelope.type == TicketCommented.TYPE:
            comment = parse_data(envelope.type, envelope.data)
            assert isinstance(comment, TicketCommented)
            if comment.visibility != "public" or comment.author_role not in DESK_ROLES:
                return []
            if not work.exists(escalation_id):
                return []
            escalation = work.get(escalation_id)
            decisions.on_public_reply(escalation, comment.at, setup)
            return [escalation]
        return []

    return decide


def _pending_id(ticket_id: str) -> Any:
    return derived_id("escalation-pending-priority", ticket_id)


def _pending_priority(work: UnitOfWork, ticket_id: str) -> Any:
    pending_id = _pending_id(ticket_id)
    return work.get(pending_id) if work.exists(pending_id) else None


def _desk_decision(
    envelope: Envelope, work: UnitOfWork, catalog: Catalog, setup: SlaSetup
) -> list[Any]:
    """The desk changed the priority or corrected the unit (issue 13): the clock counts the
    new targets; a moved requester's ticket follows them to their new province's office."""
    escalation_id = escalation_id_of(envelope.subject)
    fact = parse_data(envelope.type, envelope.data)
    if isinstance(fact, TicketPriorityChanged):
        if not work.exists(escalation_id):
            pending = _pending_priority(work, envelope.subject)
            if pending is None:
                pending = corrections.PendingPriority(
                    id=_pending_id(envelope.subject),
                    ticket_id=envelope.subject,
                    priority=fact.priority,
                    at=fact.at,
                )
            else:
                pending.change(priority=fact.priority, at=fact.at)
            return [pending]
        escalation = work.get(escalation_id)
        changed = corrections.reprioritise(escalation, fact.priority, fact.at, setup)
        return [escalation] if changed else []
    assert isinstance(fact, TicketCorrected)
    if "unit_province" not in fact.changes or not work.exists(escalation_id):
        return []
    escalation = work.get(escalation_id)
    moved = corrections.follow_moved_requester(
        escalation,
        fact.previous.get("unit_province"),
        fact.changes.get("unit_province"),
        catalog,
        fact.actor,
        fact.at,
    )
    return [escalation] if moved else []
