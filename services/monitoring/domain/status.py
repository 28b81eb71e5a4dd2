"""What the public status page says of each system (SPEC §5 "status page"), from its checks.

An application's state combines the states of its checks (confirmed states, not single
results: a blip is not an outage) and the maintenance announced for it:
- in maintenance announced by an operator, or every check inside a maintenance window →
  *maintenance*;
- every check that proves something is down → *major outage*; some → *partial outage*
  (one province of a province-centralised application, one channel of two);
- all up but some answering slowly (a degraded result) → *degraded*; else *operational*;
- no check has proved anything yet (just started, all unknown) → *unknown* ("no data"),
  shown in grey: the page does not claim health it has not observed.

A day's history is the worst state the application was in that day and its uptime: the
share of check-time the checks were up, over the time they were measured (maintenance and
unknown time count for neither), so one province down all day of 63 is 98.4 %, not 0 %.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

OPERATIONAL = "operational"
DEGRADED = "degraded"
PARTIAL_OUTAGE = "partial_outage"
MAJOR_OUTAGE = "major_outage"
MAINTENANCE = "maintenance"
NO_DATA = "unknown"
#: From the least to the most serious: a day's bar shows the worst state of the day.
SEVERITY = {
    NO_DATA: 0,
    OPERATIONAL: 1,
    MAINTENANCE: 2,
    DEGRADED: 3,
    PARTIAL_OUTAGE: 4,
    MAJOR_OUTAGE: 5,
}
STATES = tuple(SEVERITY)
LABELS = {
    OPERATIONAL: "Hoạt động bình thường",
    DEGRADED: "Suy giảm",
    PARTIAL_OUTAGE: "Gián đoạn một phần",
    MAJOR_OUTAGE: "Gián đoạn nghiêm trọng",
    MAINTENANCE: "Bảo trì",
    NO_DATA: "Chưa có dữ liệu",
}
HISTORY_DAYS = 90
#: The end of a maintenance still under way.
FOREVER = datetime.max.replace(tzinfo=UTC)

# The check states of the confirmation state machine (domain/confirmation.py).
_UP, _DOWN, _MAINT = "up", "down", "maintenance"


@dataclass(frozen=True)
class Reading:
    """One check as the page sees it: its confirmed state and whether it answers slowly."""

    state: str
    degraded: bool = False


def application_state(readings: Iterable[Reading], in_maintenance: bool = False) -> str:
    """The state of one application from its checks' readings (see the module's rules)."""
    if in_maintenance:
        return MAINTENANCE
    known = [r for r in readings if r.state in (_UP, _DOWN, _MAINT)]
    if not known:
        return NO_DATA
    measured = [r for r in known if r.state != _MAINT]
    if not measured:
        return MAINTENANCE
    down = sum(1 for r in measured if r.state == _DOWN)
    if down == len(measured):
        return MAJOR_OUTAGE
    if down:
        return PARTIAL_OUTAGE
    if any(r.degraded for r in measured):
        return DEGRADED
    return OPERATIONAL


def worst(states: Iterable[str]) -> str:
    return max(states, key=SEVERITY.__getitem__, default=NO_DATA)


def overall_state(states: Iterable[str]) -> str:
    """The banner: the worst system's state; systems with no data do not make it grey."""
    seen = list(states)
    known = [s for s in seen if s != NO_DATA]
    return worst(known) if known else NO_DATA


# --------------------------------------------------------------------------------------------
# Maintenance announced by operators
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaintenancePlan:
    """A maintenance notice's times: planned (`starts_at`..`ends_at`), and when an operator
    started it (`started_at`) and completed or cancelled it (`finished_at`)."""

    starts_at: datetime
    ends_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


def maintenance_periods(plan: MaintenancePlan) -> list[tuple[datetime, datetime]]:
    """When the plan puts its applications in maintenance: its planned window while it is
    still only scheduled (users were told the systems are down then), and from its start
    until it is completed (open-ended while it runs). The planned part stops when it is
    started or cancelled."""
    periods = []
    stops = [t for t in (plan.ends_at, plan.started_at, plan.finished_at) if t is not None]
    planned_end = min(stops)
    if plan.starts_at < planned_end:
        periods.append((plan.starts_at, planned_end))
    if plan.started_at is not None:
        end = plan.finished_at or FOREVER
        if plan.started_at < end:
            periods.append((plan.started_at, end))
    return periods


def in_periods(periods: Iterable[tuple[datetime, datetime]], at: datetime) -> bool:
    return any(start <= at < end for start, end in periods)


# --------------------------------------------------------------------------------------------
# Daily history
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """A check's reading from `at` on (a result that changed its state or slowness)."""

    at: datetime
    reading: Reading


@dataclass(frozen=True)
class Series:
    """One check over a day: its reading when the day began (None: not seen yet), then the
    points where it changed, in order."""

    initial: Reading | None
    points: Sequence[Point] = ()


@dataclass(frozen=True)
class DaySummary:
    day: date
    worst: str
    #: Check-seconds up over check-seconds measured, 0–100; None when nothing was measured.
    uptime_pct: float | None
    up_seconds: float = 0.0
    measured_seconds: float = 0.0
    #: How long the application spent in each state that day.
    seconds: Mapping[str, float] = field(default_factory=dict)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """A treasury day, midnight to midnight in Asia/Ho_Chi_Minh."""
    start = datetime.combine(day, time(0), tzinfo=LOCAL_TZ)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=LOCAL_TZ)


def local_day(moment: datetime) -> date:
    return moment.astimezone(LOCAL_TZ).date()


def summarise_day(
    day: date,
    series: Mapping[str, Series],
    maintenance: Sequence[tuple[datetime, datetime]],
    end: datetime | None = None,
) -> DaySummary:
    """The application's day from its checks' series, up to `end` (now, for today)."""
    start, day_end = day_bounds(day)
    stop = min(day_end, end) if end is not None else day_end
    if stop <= start:
        return DaySummary(day, NO_DATA, None)
    current: dict[str, Reading | None] = {c: s.initial for c, s in series.items()}
    changes = sorted(
        (
            (p.at, check_id, p.reading)
            for check_id, s in series.items()
            for p in s.points
            if p.at < stop
        ),
        key=lambda change: change[0],
    )
    for at, check_id, reading in changes:
        if at <= start:
            current[check_id] = reading
    upcoming = [c for c in changes if c[0] > start]
    cuts = {start, stop} | {at for at, _, _ in upcoming}
    for bounds in maintenance:
        cuts.update(t for t in bounds if start < t < stop)
    edges = sorted(cuts)
    seconds: dict[str, float] = {}
    up = measured = 0.0
    index = 0
    for left, right in pairwise(edges):
        while index < len(upcoming) and upcoming[index][0] <= left:
            current[upcoming[index][1]] = upcoming[index][2]
            index += 1
        length = (right - left).total_seconds()
        in_maintenance = in_periods(maintenance, left)
        readings = [r for r in current.values() if r is not None]
        state = application_state(readings, in_maintenance)
        seconds[state] = seconds.get(state, 0.0) + length
        if not in_maintenance:
            for reading in readings:
                if reading.state in (_UP, _DOWN):
                    measured += length
                    up += length if reading.state == _UP else 0.0
    seen = [s for s, t in seconds.items() if t > 0]
    uptime = round(100.0 * up / measured, 2) if measured else None
    return DaySummary(day, worst(seen), uptime, up, measured, seconds)


def combined_uptime(days: Iterable[DaySummary]) -> float | None:
    """Uptime over several days, weighted by how much was measured each day."""
    summaries = list(days)
    measured = sum(d.measured_seconds for d in summaries)
    if not measured:
        return None
    return round(100.0 * sum(d.up_seconds for d in summaries) / measured, 2)


def history(
    summaries: Mapping[date, DaySummary], today: date, days: int = HISTORY_DAYS
) -> list[DaySummary]:
    """One summary per day, oldest first, ending today; a day without data is NO_DATA."""
    first = today - timedelta(days=days - 1)
    out = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        out.append(summaries.get(day) or DaySummary(day, NO_DATA, None))
    return out


def with_live_state(summary: DaySummary, live: str) -> DaySummary:
    """Today's bar is at least as bad as the state the application is in right now (the
    rollup may be a minute old)."""
    if SEVERITY[live] <= SEVERITY[summary.worst]:
        return summary
    return DaySummary(
        summary.day,
        live,
        summary.uptime_pct,
        summary.up_seconds,
        summary.measured_seconds,
        summary.seconds,
    )


def days_to_roll(today: date, computed: Mapping[date, datetime], oldest: date) -> list[date]:
    """Which days the rollup must (re)compute: today, and every day since `oldest` whose row
    was computed before the day was over (or never), so a restart fills what it missed."""
    out = []
    day = oldest
    while day <= today:
        done = computed.get(day)
        if day == today or done is None or done < day_bounds(day)[1]:
            out.append(day)
        day += timedelta(days=1)
    return out
