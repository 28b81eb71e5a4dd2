"""A monitored target's state history: the event-sourced `Target` (one per check).

Results are many and live in monitoring's tables; only a change of state is an event of the
log, carrying what an incident needs (which check, application and target, the new and the
previous state, since when, why, the priority and labels such as a WAN channel's district)
so that a consumer — intake opening an incident, the status page — needs nothing else.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from eventsourcing.domain import Aggregate, event


class Target(Aggregate):
    @event("Registered")
    def __init__(self, id: uuid.UUID, check_id: str) -> None:
        self.check_id = check_id
        self.state = "unknown"
        self.since: datetime | None = None

    @event("StateChanged")
    def change_state(
        self,
        check_id: str,
        application: str | None,
        kind: str,
        target: str,
        name: str,
        priority: str,
        morning: bool,
        labels: dict[str, str],
        state: str,
        previous: str,
        since: datetime,
        previous_since: datetime | None,
        reason: str,
        at: datetime,
        flapping: bool,
        failures: int,
    ) -> None:
        self.state = state
        self.since = since
