"""When the morning readiness round runs and what it has to do next (SPEC §5). Pure.

On every working day of the treasury calendar (the one the SLA clocks count on: weekends,
public holidays and Tết off, compensatory Saturdays worked) the round starts at 07:00
Asia/Ho_Chi_Minh, is complete by 07:30 and its report is out by 07:45. A round the service
could not start on time (it was down) starts as soon as it is back, the same day, and says it
is late. Which step comes next is decided from the day's progress alone, so a restart at any
point carries on: start, resume a run that was cut off, send a report that was not sent, or
nothing — a reported day is never reported again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

ROUND_AT = time(7, 0)
COMPLETE_BY = time(7, 30)
REPORT_BY = time(7, 45)
#: A round started within this much of 07:00 is on time (the scheduler's own slack).
ON_TIME_GRACE = timedelta(minutes=5)
#: How far ahead the next round is looked for (a calendar ends; Tết is at most ~9 days).
LOOKAHEAD_DAYS = 370

Progress = Literal["none", "running", "completed", "reported"]
Action = Literal["wait", "start", "resume", "report", "done"]


class WorkingDays(Protocol):
    """What the round needs from a calendar (libs.calendar.BusinessCalendar provides it)."""

    def is_working_day(self, d: date) -> bool: ...


@dataclass(frozen=True)
class RoundTimes:
    """The round's three moments, in treasury time."""

    tz: ZoneInfo
    at: time = ROUND_AT
    complete_by: time = COMPLETE_BY
    report_by: time = REPORT_BY
    grace: timedelta = ON_TIME_GRACE

    def day_of(self, moment: datetime) -> date:
        """The treasury day a moment belongs to (a round is named by it)."""
        return moment.astimezone(self.tz).date()

    def _on(self, day: date, when: time) -> datetime:
        return datetime.combine(day, when, tzinfo=self.tz)

    def due(self, day: date) -> datetime:
        return self._on(day, self.at)

    def completion_deadline(self, day: date) -> datetime:
        return self._on(day, self.complete_by)

    def report_deadline(self, day: date) -> datetime:
        return self._on(day, self.report_by)

    def started_late(self, day: date, started_at: datetime) -> bool:
        return started_at > self.due(day) + self.grace

    def late(
        self,
        day: date,
        started_at: datetime,
        completed_at: datetime | None = None,
        sent_at: datetime | None = None,
    ) -> bool:
        """A round is late when it missed any of its moments: started after 07:00 (plus the
        grace), completed after 07:30, or its report went out after 07:45."""
        if self.started_late(day, started_at):
            return True
        if completed_at is not None and completed_at > self.completion_deadline(day):
            return True
        return sent_at is not None and sent_at > self.report_deadline(day)


def is_round_day(calendar: WorkingDays, day: date) -> bool:
    return calendar.is_working_day(day)


def next_round_at(calendar: WorkingDays, times: RoundTimes, now: datetime) -> datetime:
    """The next 07:00 of a working day that is not before `now`."""
    day = times.day_of(now)
    for offset in range(LOOKAHEAD_DAYS):
        candidate = day + timedelta(days=offset)
        if times.due(candidate) >= now and is_round_day(calendar, candidate):
            return times.due(candidate)
    raise ValueError(f"no working day within {LOOKAHEAD_DAYS} days of {day}")


@dataclass(frozen=True)
class Step:
    action: Action
    day: date
    #: For `start`: the round starts after its time (the service was down at 07:00).
    late: bool = False
    #: For `wait` and `done`: when the next round is due.
    wake_at: datetime | None = None


def next_step(now: datetime, calendar: WorkingDays, times: RoundTimes, progress: Progress) -> Step:
    """What the scheduler does at `now`, given how far today's round got.

    Only today's round is ever started by the scheduler: a day that passed without a round
    stays without one (checking the systems now would not say how they were that morning).
    """
    day = times.day_of(now)
    if progress == "running":
        return Step("resume", day)
    if progress == "completed":
        return Step("report", day)
    if progress == "reported":
        later = now if now > times.due(day) else times.due(day) + timedelta(seconds=1)
        return Step("done", day, wake_at=next_round_at(calendar, times, later))
    if not is_round_day(calendar, day) or now < times.due(day):
        return Step("wait", day, wake_at=next_round_at(calendar, times, now))
    return Step("start", day, late=times.started_late(day, now))


@dataclass(frozen=True)
class RetryPolicy:
    """A failed check is tried again before it counts as failed (a blip at 07:00 is not a
    system that is not ready), as long as the round can still finish within its window."""

    retries: int = 2
    delay: timedelta = timedelta(seconds=60)
    #: A round has this long to complete (07:00 → 07:30); a late round gets as long from its start.
    window: timedelta = timedelta(minutes=30)

    def retry_at(
        self,
        attempts: int,
        finished_at: datetime,
        started_at: datetime,
        deadline: datetime,
        timeout: timedelta,
    ) -> datetime | None:
        """When to try again after `attempts` failed attempts, or None: it has failed."""
        if attempts > self.retries:
            return None
        at = finished_at + self.delay
        end = max(deadline, started_at + self.window)
        return at if at + timeout <= end else None
