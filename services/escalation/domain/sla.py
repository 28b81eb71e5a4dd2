"""The SLA clock of one ticket: an immutable value the escalation service keeps in its events.

Every transition returns a new clock, so replaying events rebuilds exactly the same value and
nothing reads the wall clock. Due times are derived, never stored: they follow from the start,
the targets, the pauses and the calendar, so a corrected calendar corrects every open ticket.

Pausing (waiting for the requester) stops both targets; the due time moves later by the
business time spent paused. While paused with time still left, a due time does not exist yet
(`None`), and nothing can breach; what the operator sees meanwhile is the due time as it stood
at the pause and the time left (`due_as_paused`, `time_left`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from libs.calendar.business import Calendar, require_aware
from services.escalation.domain.sla_policy import (
    PRIORITIES,
    Priority,
    SlaCatalog,
    SlaPolicy,
    policy_for,
)

__all__ = [
    "Breach",
    "Priority",
    "SlaCatalog",
    "SlaClock",
    "SlaClockError",
    "SlaPolicy",
    "next_breach_at",
    "policy_for",
]

Breach = Literal["response", "resolution"]
_FORMAT = 1


class SlaClockError(ValueError):
    """A transition that makes no sense in the clock's state (resume when not paused, …)."""


@dataclass(frozen=True, slots=True)
class SlaClock:
    """Start, pauses, first response and resolution of one ticket against one policy."""

    policy: SlaPolicy
    calendar: Calendar
    started_at: datetime | None = None
    #: (paused_at, resumed_at); only the last pause may still be open (resumed_at None).
    pauses: tuple[tuple[datetime, datetime | None], ...] = ()
    responded_at: datetime | None = None
    resolved_at: datetime | None = None

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def for_policy(cls, policy: SlaPolicy, calendar: Calendar) -> SlaClock:
        """A clock not yet started; the calendar must be the one the policy names."""
        if calendar.name != policy.calendar:
            raise SlaClockError(
                f"policy {policy.name!r} counts on calendar {policy.calendar!r}, "
                f"got {calendar.name!r}"
            )
        return cls(policy=policy, calendar=calendar)

    # -- state -----------------------------------------------------------------------------

    @property
    def started(self) -> bool:
        return self.started_at is not None

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1][1] is None

    @property
    def responded(self) -> bool:
        return self.responded_at is not None

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None

    def paused_business_time(self) -> timedelta:
        """Business time spent in closed pauses (an open pause is not counted yet)."""
        total = timedelta(0)
        for p, r in self.pauses:
            if r is not None:
                total += self.calendar.business_time_between(p, r)
        return total

    # -- transitions -----------------------------------------------------------------------

    def start(self, at: datetime) -> SlaClock:
        if self.started:
            raise SlaClockError("clock already started")
        return replace(self, started_at=self._local(at))

    def pause(self, at: datetime) -> SlaClock:
        """Waiting for the requester: the clock stops until `resume`."""
        self._require_running("pause")
        t = self._after_last(at)
        return replace(self, pauses=(*self.pauses, (t, None)))

    def resume(self, at: datetime) -> SlaClock:
        if not self.paused or self.resolved:
            raise SlaClockError("resume: clock is not paused")
        t = self._after_last(at)
        return replace(self, pauses=(*self.pauses[:-1], (self.pauses[-1][0], t)))

    def respond(self, at: datetime) -> SlaClock:
        """First response; later responses keep the first, so replays are idempotent."""
        if not self.started:
            raise SlaClockError("respond: clock not started")
        if self.responded:
            return self
        return replace(self, responded_at=self._after_last(at))

    def resolve(self, at: datetime) -> SlaClock:
        """Resolution closes an open pause and counts as a response if none was recorded."""
        if not self.started:
            raise SlaClockError("resolve: clock not started")
        if self.resolved:
            raise SlaClockError("resolve: already resolved")
        t = self._after_last(at)
        pauses = self.pauses
        if self.paused:
            pauses = (*pauses[:-1], (pauses[-1][0], t))
        return replace(self, pauses=pauses, resolved_at=t, responded_at=self.responded_at or t)

    def with_policy(self, policy: SlaPolicy) -> SlaClock:
        """The same clock against other targets (the desk changed the priority): start,
        pauses, response and resolution stay, so the due times move by the targets' difference
        in business time, as if the ticket had had this priority from the start."""
        if policy.calendar != self.policy.calendar:
            raise SlaClockError(
                f"policy {policy.name!r} counts on calendar {policy.calendar!r}, "
                f"this clock on {self.policy.calendar!r}"
            )
        return replace(self, policy=policy)

    # -- derived times ---------------------------------------------------------------------

    @property
    def response_due(self) -> datetime | None:
        return self._due(self.policy.response)

    @property
    def resolution_due(self) -> datetime | None:
        return self._due(self.policy.resolution)

    def time_left(self, target: timedelta) -> timedelta | None:
        """While paused: the business time still left of `target` (what resumes when the
        requester answers); None while the clock runs or has not started."""
        if not self.paused or self.started_at is None:
            return None
        remaining, cursor = target, self.started_at
        for paused_at, resumed_at in self.pauses:
            remaining -= self.calendar.business_time_between(cursor, paused_at)
            if resumed_at is None:
                break
            cursor = resumed_at
        return max(remaining, timedelta(0))

    def due_as_paused(self, target: timedelta) -> datetime | None:
        """The due time as it stood when the clock paused (what an operator keeps seeing
        while the requester is asked): the real due time moves later as the pause lasts."""
        due = self._due(target)
        left = self.time_left(target)
        if due is not None or left is None:
            return due
        return self.calendar.add_business_time(self.pauses[-1][0], left)

    def breaches(self, now: datetime) -> list[Breach]:
        """Targets missed as of `now`: met late, or still open after their due time."""
        now = self._local(now)
        out: list[Breach] = []
        for kind, due, done in (
            ("response", self.response_due, self.responded_at),
            ("resolution", self.resolution_due, self.resolved_at),
        ):
            if due is not None and (done if done is not None else now) > due:
                out.append(kind)  # type: ignore[arg-type]
        return out

    def _due(self, target: timedelta) -> datetime | None:
        """Walk the running stretches between pauses until `target` is used up."""
        if self.started_at is None:
            return None
        remaining, cursor = target, self.started_at
        cal = self.calendar
        for paused_at, resumed_at in self.pauses:
            available = cal.business_time_between(cursor, paused_at)
            if available >= remaining:
                return cal.add_business_time(cursor, remaining)
            remaining -= available
            if resumed_at is None:
                return None
            cursor = resumed_at
        return cal.add_business_time(cursor, remaining)

    # -- serialisation ---------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready and deterministic: ISO-8601 times in the calendar's zone, whole seconds."""

        def iso(t: datetime | None) -> str | None:
            return None if t is None else t.isoformat()

        p = self.policy
        return {
            "format": _FORMAT,
            "queue": p.queue,
            "priority": p.priority,
            "policy": p.name,
            "calendar": p.calendar,
            "response_target_s": _seconds(p.response),
            "resolution_target_s": _seconds(p.resolution),
            "started_at": iso(self.started_at),
            "pauses": [[iso(a), iso(b)] for a, b in self.pauses],
            "responded_at": iso(self.responded_at),
            "resolved_at": iso(self.resolved_at),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], calendars: Mapping[str, Calendar]) -> SlaClock:
        """Inverse of `to_dict`; the targets stored in the event win over today's catalog."""
        try:
            if data["format"] != _FORMAT:
                raise SlaClockError(f"unsupported SLA clock format {data['format']!r}")
            priority = data["priority"]
            if priority not in PRIORITIES:
                raise SlaClockError(f"unknown priority {priority!r}")
            calendar = calendars[data["calendar"]]
            policy = SlaPolicy(
                queue=data["queue"],
                priority=priority,
                name=data["policy"],
                calendar=data["calendar"],
                response=timedelta(seconds=int(data["response_target_s"])),
                resolution=timedelta(seconds=int(data["resolution_target_s"])),
            )

            def when(v: str | None) -> datetime | None:
                if v is None:
                    return None
                return require_aware(datetime.fromisoformat(v)).astimezone(calendar.tz)

            pauses = tuple((when(a), when(b)) for a, b in data["pauses"])
            if any(a is None for a, _ in pauses):
                raise SlaClockError("a pause without its start")
            return cls(
                policy=policy,
                calendar=calendar,
                started_at=when(data["started_at"]),
                pauses=tuple((a, b) for a, b in pauses if a is not None),
                responded_at=when(data["responded_at"]),
                resolved_at=when(data["resolved_at"]),
            )
        except SlaClockError:
            raise
        except KeyError as e:
            raise SlaClockError(f"SLA clock data lacks {e.args[0]!r} or names it unknown") from e
        except (TypeError, ValueError) as e:
            raise SlaClockError(f"malformed SLA clock data: {e}") from e

    # -- helpers ---------------------------------------------------------------------------

    def _local(self, t: datetime) -> datetime:
        return require_aware(t).astimezone(self.calendar.tz)

    def _require_running(self, action: str) -> None:
        if not self.started:
            raise SlaClockError(f"{action}: clock not started")
        if self.resolved:
            raise SlaClockError(f"{action}: ticket already resolved")
        if self.paused:
            raise SlaClockError(f"{action}: clock already paused")

    def _after_last(self, at: datetime) -> datetime:
        """Events arrive in order; a transition before the last one is a caller bug."""
        t = self._local(at)
        marks = [self.started_at, self.responded_at, *(x for pair in self.pauses for x in pair)]
        last = max((m for m in marks if m is not None), default=None)
        if last is not None and t < last:
            raise SlaClockError(f"{t.isoformat()} is before the previous event {last.isoformat()}")
        return t


def _seconds(td: timedelta) -> int:
    if td.microseconds:
        raise SlaClockError(f"targets must be whole seconds, got {td}")
    return td.days * 86_400 + td.seconds


def next_breach_at(clock: SlaClock, after: datetime | None = None) -> datetime | None:
    """When a scheduler should next wake for this ticket: the earliest due time of a target not
    yet met (strictly after `after`, if given, so breaches already handled are skipped).
    `None` when nothing can breach: not started, paused, or everything met."""
    pending = []
    if not clock.responded:
        pending.append(clock.response_due)
    if not clock.resolved:
        pending.append(clock.resolution_due)
    dues = [d for d in pending if d is not None]
    if after is not None:
        cutoff = require_aware(after)
        dues = [d for d in dues if d > cutoff]
    return min(dues, default=None)
