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


@dataclass(frozen=True)
class Scenario:
    name: str
    start: datetime
    reports: tuple[ScenarioReport, ...]
    #: Report id → minute an operator resolved it.
    resolutions: dict[str, int] = field(default_factory=dict)
