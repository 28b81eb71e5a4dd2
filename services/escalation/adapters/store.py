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
    TicketEscalated,
    TicketReclassified,
    TicketReturned,
    TicketRouted,
    TicketStatusChanged,
    TicketTaken,
    TicketTransferred,
    parse_data,
)
from libs.events.sinks import UnitOfWork
from libs.platform.eventstore import ServiceApplication, derived_id
from services.escalation.domain import decisions
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


def _when(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def to_contract(domain_event: Any) -> tuple[str, msgspec.Struct] | None:
    """Which of escalation's stored events the other services hear about, and in what shape."""
    e: Any = domain_event
    if isinstance(e, KnownError.Event):
        return _known_error_contract(e)
    if not isinstance(e, TicketEscalation.Event):
        return None
    ticket_id: str = e.ticket_id
    if isinstance(e, TicketEscalation.Assigned):
        return e.ticket_id, TicketAssigned(
            ticket_id=e.ticket_id,
            tier=e.tier,
            owner=e.owner,
            handler=e.handler,
            group=e.group,
            assigned_at=e.assigned_at,
            reason=e.reason,
        )
    if isinstance(e, TicketEscalation.Taken):
        return ticket_id, TicketTaken(
            ticket_id=ticket_id,
            tier=e.tier,
            handler=e.handler,
            assignee=e.assignee,
            actor=e.actor,
            at=e.at,
        )
    if isinstance(e, TicketEscalation.Escalated):
        return ticket_id, TicketEscalated(
            ticket_id=ticket_id,
            from_tier=e.from_tier,
            tier=e.tier,
            owner=e.owner,
            handler=e.handler,
            reason=e.reason,
            actor=e.actor,
            at=e.at,
            automatic=e.automatic,
        )
    if isinstance(e, TicketEscalation.Returned):
        return ticket_id, TicketReturned(
            ticket_id=ticket_id,
            from_tier=e.from_tier,
            tier=e.tier,
            owner=e.owner,
            handler=e.handler,
            answer=e.answer,
            actor=e.actor,
            at=e.at,
        )
    if isinstance(e, TicketEscalation.Transferred):
        return ticket_id, TicketTransferred(
            ticket_id=ticket_id,
            tier=e.tier,
            owner=e.owner,
            handler=e.handler,
            group=e.group,
            previous_group=e.previous_group,
            actor=e.actor,
            at=e.at,
        )
    if isinstance(e, TicketEscalation.SlaChanged):
        s = e.summary
        return ticket_id, SlaUpdated(
            ticket_id=ticket_id,
            policy=s["policy"],
            priority=s["priority"],
            response_due=_when(s["response_due"]) if s["response_due"] else None,
            resolution_due=_when(s["resolution_due"]) if s["resolution_due"] else None,
            paused=s["paused"],
            breached=s["breached"],
            at=e.at,
            responded=s["responded"],
            resolved=s["resolved"],
            next_breach_at=_when(s["next_breach_at"]) if s["next_breach_at"] else None,
        )
    if isinstance(e, TicketEscalation.Breached):
        return ticket_id, SlaBreached(
            ticket_id=ticket_id, kind=e.kind, due=e.due, at=e.at, group_lead=e.group_lead
        )
    return None


def _known_error_contract(e: Any) -> tuple[str, msgspec.Struct] | None:
    """Opened and joined are told on the ticket concerned; a status change on the error."""
    ke_id = str(e.originator_id)
    if isinstance(e, KnownError.Opened):
        return e.first_ticket, KnownErrorChanged(
            ticket_id=e.first_ticket,
            known_error_id=ke_id,
            change="opened",
            status="open",
            at=e.at,
            number=e.number,
            application=e.application,
            department=e.department,
            title=e.title,
        )
    if isinstance(e, KnownError.Joined):
        return e.ticket_id, KnownErrorChanged(
            ticket_id=e.ticket_id,
            known_error_id=ke_id,
            change="joined",
            status="",
            at=e.at,
        )
    if isinstance(e, KnownError.StatusChanged):
        return ke_id, KnownErrorChanged(
            ticket_id=ke_id,
            known_error_id=ke_id,
            change="status",
            status=e.status,
            at=e.at,
            note=e.note,
            actor=e.actor,
        )
    return None


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
            return [
                decisions.place_routed_ticket(
                    escalation_id,
                    routed.ticket_id,
                    routed.first_handler.kind,
                    routed.first_handler.office,
                    routed.group,
                    routed.application,
                    routed.priority,
                    routed.type,
                    routed.received_at,
                    now,
                    setup,
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
