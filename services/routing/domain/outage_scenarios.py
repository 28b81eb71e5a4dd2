"""Labelled outage scenarios: the reports of one hour and which of them are one outage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ScenarioReport:
    id: str
    #: Minutes after the scenario's start when the report arrives.
    minute: int
    text: str
    pick: str | None = None
    #: The report it must be linked to; None: it must not be linked.
    parent: str | None = None
    #: The requester's unit: a burst of reports from different units is evidence of an outage.
    unit: str | None = None
    channel: str | None = None
    #: The application set by whoever opened it without classification (monitoring).
    known_application: str | None = None

    @property
    def from_monitoring(self) -> bool:
        return self.channel == "monitoring"


@dataclass(frozen=True)
class Scenario:
    name: str
    start: datetime
    reports: tuple[ScenarioReport, ...]
    #: Report id → minute an operator resolved it.
    resolutions: dict[str, int] = field(default_factory=dict)
