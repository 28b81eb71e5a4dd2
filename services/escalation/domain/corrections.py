"""Escalation's part in the desk's corrections (issue 13), pure like the rest of its domain.

- The desk changed the priority (intake's `hotro.ticket.priority_changed.v1`): the SLA clock
  keeps its start, pauses and response and counts against the new priority's targets, in the
  same queue and season (the policy is still chosen by when the clock started).
- The requester moved to another province (`hotro.ticket.corrected.v1` with `unit_province`):
  what the old province's IT office owned or handled goes to the new province's office, a
  transfer on the ladder; what a group or department holds stays where it is.
- A priority told before routing placed the ticket is kept aside (`PendingPriority`) and used
  when it is placed: the two events come on different topics, in either order.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from eventsourcing.domain import Aggregate, event

from libs.catalog.model import Catalog
from services.escalation.domain.decisions import SlaSetup, clock_of, sla_summary
from services.escalation.domain.escalation import TicketEscalation
from services.escalation.domain.sla import SlaClockError


class PendingPriority(Aggregate):
    """The desk's latest priority for a ticket escalation has not placed yet."""

    @event("Noted")
    def __init__(self, id: uuid.UUID, ticket_id: str, priority: str, at: datetime) -> None:
        self.ticket_id = ticket_id
        self.priority = priority
        self.at = at

    @event("Changed")
    def change(self, priority: str, at: datetime) -> None:
        self.priority = priority
        self.at = at


def reprioritise(
    escalation: TicketEscalation, priority: str, at: datetime, setup: SlaSetup
) -> bool:
    """Recompute the due times from `priority`; False when the clock already counts it (a
    redelivery) or there is no clock (an old import placed without an SLA)."""
    clock = clock_of(escalation, setup)
    if clock is None or clock.policy.priority == priority or clock.started_at is None:
        return False
    policy = setup.catalog.policy_for(clock.policy.queue, priority, clock.started_at)  # type: ignore[arg-type]
    try:
        clock = clock.with_policy(policy)
    except SlaClockError:
        return False
    escalation.change_sla(
        ticket_id=escalation.ticket_id,
        sla=clock.to_dict(),
        summary=sla_summary(clock, escalation),
        at=at,
    )
    return True


def office_of_province(province: str | None, catalog: Catalog, at: datetime) -> str | None:
    """The province's L1 office on that day: its regional treasury's IT function where the
    organisation has regions (2025), else the provincial IT office."""
    if not province or province not in catalog.provinces:
        return None
    regional = catalog.as_of(at.date()).regional_office(province)
    return regional or catalog.provinces[province].it_office


def follow_moved_requester(
    escalation: TicketEscalation,
    old_province: str | None,
    new_province: str | None,
    catalog: Catalog,
    actor: str,
    at: datetime,
) -> bool:
    """The old province's office hands what it holds to the new province's office."""
    old = office_of_province(old_province, catalog, at)
    new = office_of_province(new_province, catalog, at)
    if old is None or new is None or old == new:
        return False
    owner = new if escalation.owner == old else escalation.owner
    handler = new if escalation.handler == old else escalation.handler
    if (owner, handler) == (escalation.owner, escalation.handler):
        return False
    escalation.transfer(
        ticket_id=escalation.ticket_id,
        tier=escalation.tier,
        owner=owner,
        handler=handler,
        group=escalation.group,
        previous_group=escalation.group,
        application=escalation.application,
        actor=actor,
        at=at,
    )
    return True
