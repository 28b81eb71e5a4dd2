"""The routing decision of one ticket, as an event-sourced record with its reasons."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event


class TicketRouting(Aggregate):
    @event("Routed")
    def __init__(
        self,
        id: uuid.UUID,
        ticket_id: str,
        group: str,
        type: str,
        application: str | None,
        picked_application: str | None,
        classification: dict[str, Any],
        first_handler: dict[str, Any],
        received_at: datetime,
        priority: str,
        reasons: list[str],
    ) -> None:
        self.ticket_id = ticket_id
        self.group = group
        self.type = type
        self.application = application
        self.picked_application = picked_application
        self.classification = classification
        self.first_handler = first_handler
        self.received_at = received_at
        self.priority = priority
        self.reasons = reasons
