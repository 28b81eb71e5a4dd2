"""SLA policies as validated data (`catalog/sla.yaml`) and the choice of policy for a ticket.

Targets are per priority and per queue, counted on the queue's calendar. A season (the
year-end closing period, 20–31 December) can swap in a stricter policy; seasons are month/day
ranges so the same data serves every year. The policy is chosen once, when the ticket's clock
starts, so a ticket opened on 19 December keeps the normal targets.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from libs.calendar.business import require_aware
from libs.calendar.spec import CalendarSpec, known_zone

Priority = Literal["P1", "P2", "P3", "P4"]
PRIORITIES: tuple[Priority, ...] = ("P1", "P2", "P3", "P4")

_DURATION = re.compile(r"^\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*$")


def parse_duration(value: Any) -> timedelta:
    """`"4h"`, `"30m"`, `"1h30m"` → timedelta. Days are refused: a "business day" is ambiguous
    (7.5 h here), so targets are written in hours and minutes of the calendar."""
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected a duration like '4h' or '30m', got {value!r}")
    m = _DURATION.match(value)
    if not m or not (m.group(1) or m.group(2)):
        raise ValueError(f"expected a duration like '4h', '30m' or '1h30m', got {value!r}")
    return timedelta(hours=int(m.group(1) or 0), minutes=int(m.group(2) or 0))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Targets(_Strict):
    """Time to first response and to resolution, in business time of the queue's calendar."""

    response: timedelta
    resolution: timedelta

    @field_validator("response", "resolution", mode="before")
    @classmethod
    def _parse(cls, v: Any) -> timedelta:
        return parse_duration(v)

    @model_validator(mode="after")
    def _sane(self) -> Targets:
        if self.response <= timedelta(0) or self.resolution <= timedelta(0):
            raise ValueError("targets must be positive")
        if self.response > self.resolution:
            raise ValueError("response target must not exceed resolution target")
        return self


class PolicySpec(_Strict):
    """A named set of targets, one per priority; all four priorities are required."""

    description: str = ""
    targets: dict[Priority, Targets]

    @field_validator("targets")
    @classmethod
    def _all_priorities(cls, v: dict[Priority, Targets]) -> dict[Priority, Targets]:
        missing = [p for p in PRIORITIES if p not in v]
        if missing:
            raise ValueError(f"missing priorities: {', '.join(missing)}")
        return v


class MonthDay(_Strict):
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)

    @model_validator(mode="after")
    def _exists(self) -> MonthDay:
        date(2000, self.month, self.day)  # leap year, so 29 February is accepted
        return self

    def key(self) -> tuple[int, int]:
        return (self.month, self.day)


class Season(_Strict):
    """A yearly date range (inclusive, local dates) with per-queue replacement policies.

    A range may wrap the new year (from 20 December to 5 January).
    """

    name: str
    start: MonthDay = Field(alias="from")
    end: MonthDay = Field(alias="to")
    #: queue name → policy name used instead of the queue's own while the season runs.
    policies: dict[str, str]

    def contains(self, d: date) -> bool:
        k, lo, hi = (d.month, d.day), self.start.key(), self.end.key()
        return lo <= k <= hi if lo <= hi else (k >= lo or k <= hi)


class QueueSpec(_Strict):
    calendar: str
    policy: str
    #: Other names tickets use for this queue (the support tiers L1–L4 share `default`).
    aliases: list[str] = Field(default_factory=list)


class SlaPolicy(_Strict):
    """The targets that apply to one ticket: what `policy_for` returns and the clock keeps."""

    queue: str
    priority: Priority
    name: str
    calendar: str
    response: timedelta
    resolution: timedelta


class SlaCatalog(_Strict):
    """The whole `catalog/sla.yaml`, cross-checked so a typo fails at start-up, not at 3 a.m."""

    version: Literal[1]
    timezone: str
    calendars: dict[str, CalendarSpec]
    policies: dict[str, PolicySpec]
    queues: dict[str, QueueSpec]
    seasons: list[Season] = Field(default_factory=list)
    #: A ticket received this many hours (wall clock) before it reached Hotro is history
    #: (an import, a backlog typed in): it is placed without an SLA clock, so it never
    #: breaches, escalates itself or mails a group lead for time that passed elsewhere.
    history_after_hours: int = Field(default=24, ge=1)

    _known_zone = field_validator("timezone")(known_zone)

    @model_validator(mode="after")
    def _references(self) -> SlaCatalog:
        names: dict[str, str] = {}
        for qname, q in self.queues.items():
            if q.calendar not in self.calendars:
                raise ValueError(f"queue {qname!r}: unknown calendar {q.calendar!r}")
            if q.policy not in self.policies:
                raise ValueError(f"queue {qname!r}: unknown policy {q.policy!r}")
            for n in (qname, *q.aliases):
                if n in names:
                    raise ValueError(f"queue name {n!r} used by {names[n]!r} and {qname!r}")
                names[n] = qname
        for s in self.seasons:
            for qname, pname in s.policies.items():
                if qname not in self.queues:
                    raise ValueError(f"season {s.name!r}: unknown queue {qname!r}")
                if pname not in self.policies:
                    raise ValueError(f"season {s.name!r}: unknown policy {pname!r}")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def queue_key(self, queue: str) -> str:
        """The canonical queue name for a name or alias; unknown names are an error, not a
        silent fallback, so a mistyped queue never gets the wrong SLA."""
        for qname, q in self.queues.items():
            if queue == qname or queue in q.aliases:
                return qname
        raise KeyError(f"unknown SLA queue {queue!r}; known: {sorted(self.queues)}")

    def policy_for(self, queue: str, priority: Priority, at: datetime) -> SlaPolicy:
        """Targets for a ticket of `priority` in `queue` whose clock starts `at`."""
        if priority not in PRIORITIES:
            raise KeyError(f"unknown priority {priority!r}; known: {PRIORITIES}")
        qname = self.queue_key(queue)
        q = self.queues[qname]
        local_day = require_aware(at).astimezone(self.tz).date()
        pname = q.policy
        for season in self.seasons:
            if qname in season.policies and season.contains(local_day):
                pname = season.policies[qname]
                break
        t = self.policies[pname].targets[priority]
        return SlaPolicy(
            queue=qname,
            priority=priority,
            name=pname,
            calendar=q.calendar,
            response=t.response,
            resolution=t.resolution,
        )


def policy_for(catalog: SlaCatalog, queue: str, priority: Priority, at: datetime) -> SlaPolicy:
    """Function form of `SlaCatalog.policy_for`, for callers that pass the catalog around."""
    return catalog.policy_for(queue, priority, at)
