"""Business calendars: when the treasury works, and how SLA time is counted in it (SPEC §4).

One calendar for the whole suite: escalation counts SLA time on it, monitoring asks it whether
a day gets the 07:00 readiness round (SPEC §5: "the same treasury calendar as the SLA clocks").

SLA targets are expressed in *business* time, so "8 hours" opened on the eve of Tết ends after
the holiday, and the lunch break never counts. Everything here is pure: no wall clock, no I/O;
times are passed in and must be timezone-aware.

`BusinessCalendar` precomputes a cumulative table of working microseconds per day over a fixed
range of years. Converting an instant to its "business position" is then O(1) and adding a
duration is one binary search, so a 10 000-hour target costs the same as a 10-minute one.
Asia/Ho_Chi_Minh has no daylight-saving time, so wall-clock arithmetic inside a day is exact.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays

_US_PER_SECOND = 1_000_000
_US_PER_DAY = 86_400 * _US_PER_SECOND


class CalendarRangeError(ValueError):
    """A computation left the years the calendar was built for; widen the range in the data."""


class Calendar(Protocol):
    """What the SLA clock needs from a calendar; business and 24/7 calendars both provide it."""

    @property
    def name(self) -> str: ...

    @property
    def tz(self) -> ZoneInfo: ...

    def is_working_time(self, t: datetime) -> bool: ...

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime: ...

    def business_time_between(self, a: datetime, b: datetime) -> timedelta: ...


def require_aware(t: datetime, what: str = "time") -> datetime:
    """Naive datetimes are ambiguous (server zone vs treasury zone), so they are refused."""
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {t.isoformat()}")
    return t


def _us(td: timedelta) -> int:
    """Exact integer microseconds, so sums of durations never drift like floats would."""
    return (td.days * 86_400 + td.seconds) * _US_PER_SECOND + td.microseconds


def _time_of_day_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * _US_PER_SECOND + t.microsecond


@dataclass(frozen=True)
class WorkingHours:
    """Which weekdays are worked (0 = Monday) and the periods of a working day.

    The same periods apply to every working day, including compensatory working Saturdays,
    which in Vietnam replace a normal weekday one for one.
    """

    weekdays: frozenset[int]
    periods: tuple[tuple[time, time], ...]

    def __post_init__(self) -> None:
        if not self.weekdays or not self.weekdays <= set(range(7)):
            raise ValueError(f"weekdays must be a non-empty subset of 0..6, got {self.weekdays}")
        if not self.periods:
            raise ValueError("a working day needs at least one period")
        previous_end: time | None = None
        for start, end in self.periods:
            if not start < end:
                raise ValueError(f"period {start}-{end} must start before it ends")
            if previous_end is not None and start < previous_end:
                raise ValueError(f"period {start}-{end} overlaps or is out of order")
            previous_end = end

    def spans_us(self) -> tuple[tuple[int, int], ...]:
        """Periods as microseconds since local midnight, the unit all arithmetic uses."""
        return tuple((_time_of_day_us(s), _time_of_day_us(e)) for s, e in self.periods)


class BusinessCalendar:
    """Working hours minus public holidays and government adjustments, in one time zone.

    Precedence for a date: an explicit working day (compensatory Saturday, or a library holiday
    the government did not grant) beats a day off, which beats the weekly pattern.
    Instances are immutable after construction and safe to share.
    """

    __slots__ = (
        "_cum",
        "_days_off",
        "_first",
        "_hours",
        "_name",
        "_spans",
        "_tz",
        "_working",
        "_working_days",
    )

    def __init__(
        self,
        *,
        name: str,
        tz: ZoneInfo,
        hours: WorkingHours,
        first_day: date,
        last_day: date,
        days_off: Iterable[date] = (),
        working_days: Iterable[date] = (),
    ) -> None:
        if last_day < first_day:
            raise ValueError(f"calendar range {first_day}..{last_day} is empty")
        self._name = name
        self._tz = tz
        self._hours = hours
        self._first = first_day
        self._days_off = frozenset(days_off)
        self._working_days = frozenset(working_days)
        self._spans = hours.spans_us()
        day_us = sum(e - s for s, e in self._spans)
        n = (last_day - first_day).days + 1
        working: list[bool] = []
        cum = [0]
        for i in range(n):
            d = first_day + timedelta(days=i)
            works = self._is_working_date(d)
            working.append(works)
            cum.append(cum[-1] + (day_us if works else 0))
        self._working = tuple(working)
        self._cum = tuple(cum)

    @classmethod
    def for_country(
        cls,
        *,
        name: str,
        tz: ZoneInfo,
        hours: WorkingHours,
        country: str,
        years: range,
        extra_days_off: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
    ) -> BusinessCalendar:
        """Public holidays from the `holidays` package (observed and substituted days included,
        plus its compensatory working Saturdays), then the yearly adjustments on top."""
        if not years:
            raise ValueError("years must not be empty")
        public = holidays.country_holidays(country, years=years, observed=True)
        first, last = date(years[0], 1, 1), date(years[-1], 12, 31)
        extra_working = frozenset(extra_working_days)
        lib_working = {d for d in public.weekend_workdays if first <= d <= last}
        days_off = (set(public) | set(extra_days_off)) - extra_working
        return cls(
            name=name,
            tz=tz,
            hours=hours,
            first_day=first,
            last_day=last,
            days_off=days_off,
            working_days=lib_working | extra_working,
        )

    # -- introspection -------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    @property
    def first_day(self) -> date:
        return self._first

    @property
    def last_day(self) -> date:
        return self._first + timedelta(days=len(self._working) - 1)

    def is_working_day(self, d: date) -> bool:
        return self._working[self._index(d)]

    # -- the interface -------------------------------------------------------------------

    def is_working_time(self, t: datetime) -> bool:
        """True inside a working period; periods are half-open, so 11:30 is already lunch."""
        local = require_aware(t).astimezone(self._tz)
        if not self._working[self._index(local.date())]:
            return False
        tod = _time_of_day_us(local.time())
        return any(s <= tod < e for s, e in self._spans)

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant at which `duration` of working time has elapsed since `start`.

        A due time that ends exactly with a period is reported at the period's end (11:30,
        16:30), not at the next opening. A zero duration returns `start` itself.
        """
        if duration < timedelta(0):
            raise ValueError(f"duration must not be negative, got {duration}")
        local = require_aware(start, "start").astimezone(self._tz)
        amount = _us(duration)
        if amount == 0:
            return local
        target = self._position(local) + amount
        if target > self._cum[-1]:
            raise CalendarRangeError(
                f"calendar {self._name!r} ends on {self.last_day}; "
                f"{duration} after {local.isoformat()} is beyond it"
            )
        i = bisect.bisect_left(self._cum, target) - 1
        remaining = target - self._cum[i]
        day = self._first + timedelta(days=i)
        for s, e in self._spans:
            if remaining <= e - s:
                midnight = datetime.combine(day, time.min, tzinfo=self._tz)
                return midnight + timedelta(microseconds=s + remaining)
            remaining -= e - s
        raise AssertionError("unreachable: the cumulative table and the spans disagree")

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time from `a` to `b`; negative when `b` is before `a`."""
        return timedelta(microseconds=self._position(b) - self._position(a))

    # -- internals -----------------------------------------------------------------------

    def _is_working_date(self, d: date) -> bool:
        if d in self._working_days:
            return True
        if d in self._days_off:
            return False
        return d.weekday() in self._hours.weekdays

    def _index(self, d: date) -> int:
        i = (d - self._first).days
        if not 0 <= i < len(self._working):
            raise CalendarRangeError(
                f"{d} is outside calendar {self._name!r} ({self._first}..{self.last_day})"
            )
        return i

    def _position(self, t: datetime) -> int:
        """Working microseconds from the start of the range up to `t`."""
        local = require_aware(t).astimezone(self._tz)
        i = self._index(local.date())
        if not self._working[i]:
            return self._cum[i]
        tod = _time_of_day_us(local.time())
        return self._cum[i] + sum(min(max(tod - s, 0), e - s) for s, e in self._spans)

    def __repr__(self) -> str:
        return f"BusinessCalendar({self._name!r}, {self._first}..{self.last_day}, tz={self._tz})"


@dataclass(frozen=True)
class TwentyFourSeven:
    """The ITO queue's calendar: every instant counts, nights and holidays included."""

    name: str
    tz: ZoneInfo

    def is_working_time(self, t: datetime) -> bool:
        require_aware(t)
        return True

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """Elapsed (UTC) time, so the answer would stay right even in a zone with DST."""
        if duration < timedelta(0):
            raise ValueError(f"duration must not be negative, got {duration}")
        utc = require_aware(start, "start").astimezone(UTC)
        return (utc + duration).astimezone(self.tz)

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        return require_aware(b) - require_aware(a)
