"""The Escalation aggregate: escalation owns tier, owner, handler, assignment and SLA (rule 3).

The SLA clock is kept as its serialised value (`SlaClock.to_dict`), so replaying the events
rebuilds it exactly; due times are derived from it with the calendars of the catalog.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event


class TicketEscalation(Aggregate):
    @event("Assigned")
    def __init__(
        self,
        id: uuid.UUID,
        ticket_id: str,
        tier: str,
        owner: str,
        handler: str,
        group: str,
        assigned_at: datetime,
        reason: str,
        application: str | None = None,
        priority: str = "P3",
        ticket_type: str = "incident",
    ) -> None:
        self.ticket_id = ticket_id
        self.tier = tier
        self.owner = owner
        self.handler = handler
        self.group = group
        self.assigned_at = assigned_at
        self.reason = reason
        self.application = application
        self.priority = priority
        self.ticket_type = ticket_type
        self.assignee: str | None = None
        self.sla: dict[str, Any] | None = None
        self.sla_summary: dict[str, Any] | None = None
        self.breached: list[str] = []
        self.status = "routed"
        self.path: list[str] = [tier]
        self.handlers: list[str] = [handler]

    # Each event carries everything its public contract shows (the ticket id included), so
    # the relay maps any event on its own, wherever in the log it resumes.

    @event("Taken")
    def take(
        self, ticket_id: str, tier: str, handler: str, assignee: str, actor: str, at: datetime
    ) -> None:
        self.assignee = assignee

    @event("Escalated")
    def escalate(
        self,
        ticket_id: str,
        from_tier: str,
        tier: str,
        owner: str,
        handler: str,
        reason: str,
        actor: str,
        at: datetime,
        automatic: bool = False,
    ) -> None:
        self.tier = tier
        self.handler = handler
        self.assignee = None
        self.path = [*self.path, tier]
        self.handlers = [*self.handlers, handler]

    @event("Returned")
    def return_to_owner(
        self,
        ticket_id: str,
        from_tier: str,
        tier: str,
        owner: str,
        handler: str,
        answer: str,
        actor: str,
        at: datetime,
    ) -> None:
        self.tier = tier
        self.handler = handler
        self.assignee = None
        self.path = [*self.path, tier]
        self.handlers = [*self.handlers, handler]

    @event("Transferred")
    def transfer(
        self,
        ticket_id: str,
        tier: str,
        owner: str,
        handler: str,
        group: str,
        previous_group: str,
        application: str | None,
        actor: str,
        at: datetime,
    ) -> None:
        self.owner = owner
        self.handler = handler
        self.group = group
        self.application = application

    @event("SlaChanged")
    def change_sla(
        self, ticket_id: str, sla: dict[str, Any], summary: dict[str, Any], at: datetime
    ) -> None:
        """`sla` is the clock itself; `summary` its due times as they stood at `at`."""
        self.sla = sla
        self.sla_summary = summary

    @event("Breached")
    def record_breach(
        self, ticket_id: str, kind: str, due: datetime, at: datetime, group_lead: str
    ) -> None:
        self.breached = [*self.breached, kind]

    @event("StatusSeen")
    def see_status(self, ticket_id: str, status: str, cause: str | None, at: datetime) -> None:
        """Intake's lifecycle as escalation heard it (pauses and stops the clocks)."""
        self.status = status
