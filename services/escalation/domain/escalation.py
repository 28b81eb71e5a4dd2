"""The Escalation aggregate: escalation owns tier, owner and handler (rule 3)."""

from __future__ import annotations

import uuid
from datetime import datetime

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
    ) -> None:
        self.ticket_id = ticket_id
        self.tier = tier
        self.owner = owner
        self.handler = handler
        self.group = group
        self.assigned_at = assigned_at
        self.reason = reason
