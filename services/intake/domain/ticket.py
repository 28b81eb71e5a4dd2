"""The Ticket aggregate: intake owns a ticket's lifecycle (ARCHITECTURE.md rule 3)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event


class Ticket(Aggregate):
    @event("Submitted")
    def __init__(
        self,
        id: uuid.UUID,
        number: str,
        channel: str,
        requester: dict[str, Any],
        subject: str,
        description: str,
        received_at: datetime,
        application_code: str | None,
        priority: str,
        unit_kind: str | None,
        unit_province: str | None,
        submitted_by: str,
    ) -> None:
        self.number = number
        self.channel = channel
        self.requester = requester
        self.subject = subject
        self.description = description
        self.received_at = received_at
        self.application_code = application_code
        self.priority = priority
        self.unit_kind = unit_kind
        self.unit_province = unit_province
        self.submitted_by = submitted_by
        self.status = "new"

    def same_submission(self, other: dict[str, Any]) -> bool:
        """Whether a retried request (same Idempotency-Key) asks for the same ticket."""
        return (
            self.subject == other["subject"]
            and self.description == other["description"]
            and self.requester == other["requester"]
            and self.channel == other["channel"]
        )
