"""The JSON report of SPEC §6, composed from the rows reporting's adapter fetches.

Pure: the rows and the working calendar come in, a dict with exactly the keys of §6 goes out.
Percentages are 0–100 with one decimal (None when nothing was measurable: a share of nothing
is not 0 %); `by_*` maps carry a key only for values seen.

Definitions (README "Reports"):
- resolution: tickets of the period resolved (or closed) now; business hours from receipt to
  the latest resolution on the treasury calendar, less the time waiting for the requester
  (domain/durations.py); first contact = resolved by the first handler, never escalated nor
  reopened; reopened = share of the resolved reopened at least once.
- escalation: share of the resolved that started and stayed at L1 (the province).
- backlog: tickets received before the end and not resolved/closed at the end; age at the end.
- incidents: monitoring's incidents whose outage began in the period (`reporting.outages`);
  minutes are monitoring's own outage duration, or up to the end of the period (or now) for
  one still open; an incident without an application (a WAN district) counts in `opened` only.
- readiness: working days from the calendar; all-green days are days whose latest morning
  round had every check ok (None when no round was recorded in the period); failures are the
  failed checks of each day's latest round, per application.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from services.reporting.domain.durations import Pause, net_business_hours
from services.reporting.domain.periods import Period

AGEING_BUCKETS: tuple[tuple[str, float], ...] = (
    ("0-1d", 1),
    ("1-3d", 3),
    ("3-7d", 7),
    ("7-30d", 30),
    (">30d", float("inf")),
)
TOP_PROBLEMS = 10
RESOLVED = frozenset({"resolved", "closed"})


@dataclass(frozen=True)
class TicketRow:
    """One ticket received in the period, with its first SLA cycle."""

    number: str
    channel: str | None
    group: str | None
    application: str | None
    province: str | None
    unit_code: str | None
    type: str | None
    cause: str | None
    status: str | None
    subject: str
    received_at: datetime
    resolved_at: datetime | None
    reopened: int
    first_contact: bool
    at_province: bool
    response_met: bool | None
    resolution_met: bool | None
    #: Stretches of waiting for the requester (status `waiting_requester`).
    pauses: tuple[Pause, ...] = ()


@dataclass(frozen=True)
class OutageRow:
    """One monitoring incident whose outage began in the period."""

    application: str | None
    down_since: datetime
    recovered_at: datetime | None
    outage_minutes: float | None


@dataclass(frozen=True)
class ReadinessCheck:
    """One check of a day's latest morning round."""

    day: date
    check_id: str
    application: str | None
    ok: bool


@dataclass(frozen=True)
class ReportInputs:
    period: Period
    tickets: Sequence[TicketRow]
    #: `received_at` of every ticket still open at the period's end.
    backlog: Sequence[datetime]
    #: Business hours between two instants (the treasury calendar).
    business_hours: Callable[[datetime, datetime], float]
    is_working_day: Callable[[date], bool]
    outages: Sequence[OutageRow] = ()
    readiness: Sequence[ReadinessCheck] = ()
    #: When the report is made: an outage still open counts up to min(now, end).
    now: datetime | None = None


def pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _share(rows: Iterable[bool | None]) -> float | None:
    known = [r for r in rows if r is not None]
    return pct(sum(known), len(known))


def _count_by(rows: Iterable[TicketRow], key: Callable[[TicketRow], str | None]) -> dict[str, int]:
    counts = Counter(k for k in map(key, rows) if k is not None)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (the `inclusive` method)."""
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 1)
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return round(cuts[int(q) - 1], 1)


def _sla(rows: Sequence[TicketRow]) -> dict[str, Any]:
    groups: dict[str, list[TicketRow]] = defaultdict(list)
    for row in rows:
        if row.group is not None:
            groups[row.group].append(row)
    return {
        "response_met_pct": _share(r.response_met for r in rows),
        "resolution_met_pct": _share(r.resolution_met for r in rows),
        "by_group": {
            g: {
                "response_met_pct": _share(r.response_met for r in rs),
                "resolution_met_pct": _share(r.resolution_met for r in rs),
            }
            for g, rs in sorted(groups.items())
        },
    }


def _resolution(resolved: Sequence[TicketRow], inputs: ReportInputs) -> dict[str, Any]:
    hours = [
        net_business_hours(r.received_at, r.resolved_at, r.pauses, inputs.business_hours)
        for r in resolved
        if r.resolved_at is not None
    ]
    return {
        "resolved": len(resolved),
        "median_business_hours": round(statistics.median(hours), 1) if hours else None,
        "p90_business_hours": _percentile(hours, 90),
        "first_contact_pct": pct(sum(r.first_contact for r in resolved), len(resolved)),
        "reopened_pct": pct(sum(r.reopened > 0 for r in resolved), len(resolved)),
    }


def _escalation(rows: Sequence[TicketRow], resolved: Sequence[TicketRow]) -> dict[str, Any]:
    provinces = sorted({r.province for r in rows if r.province is not None})
    by_province = {}
    for code in provinces:
        done = [r for r in resolved if r.province == code]
        by_province[code] = {
            "tickets": sum(r.province == code for r in rows),
            "resolved_at_province_pct": pct(sum(r.at_province for r in done), len(done)),
        }
    return {
        "resolved_at_province_pct": pct(sum(r.at_province for r in resolved), len(resolved)),
        "by_province": by_province,
    }


def ageing(received: Iterable[datetime], at: datetime) -> dict[str, int]:
    buckets = dict.fromkeys((name for name, _ in AGEING_BUCKETS), 0)
    for moment in received:
        days = (at - moment) / timedelta(days=1)
        name = next(n for n, limit in AGEING_BUCKETS if days < limit)
        buckets[name] += 1
    return buckets


def _incidents(inputs: ReportInputs) -> dict[str, Any]:
    until = min(inputs.now or inputs.period.end, inputs.period.end)
    minutes: dict[str, float] = defaultdict(float)
    for o in inputs.outages:
        if o.application is None:
            continue
        if o.recovered_at is not None and o.outage_minutes is not None:
            minutes[o.application] += o.outage_minutes
        elif o.recovered_at is None and until > o.down_since:
            minutes[o.application] += (until - o.down_since) / timedelta(minutes=1)
    return {
        "opened": len(inputs.outages),
        "outage_minutes_by_application": {a: round(m, 1) for a, m in sorted(minutes.items())},
    }


def _readiness(inputs: ReportInputs) -> dict[str, Any]:
    days: dict[date, list[ReadinessCheck]] = defaultdict(list)
    for check in inputs.readiness:
        days[check.day].append(check)
    failures = Counter(c.application or c.check_id for c in inputs.readiness if not c.ok)
    return {
        "working_days": sum(map(inputs.is_working_day, inputs.period.days())),
        "all_green_days": sum(all(c.ok for c in cs) for cs in days.values()) if days else None,
        "failures_by_application": dict(sorted(failures.items(), key=lambda kv: (-kv[1], kv[0]))),
    }


def _top_problems(rows: Sequence[TicketRow]) -> list[dict[str, Any]]:
    """Recurring = the same application and subject (case and spacing aside) at least twice."""
    seen: dict[tuple[str | None, str], list[str]] = defaultdict(list)
    for r in rows:
        seen[(r.application, " ".join(r.subject.lower().split()))].append(r.subject)
    recurring = [(k, v) for k, v in seen.items() if len(v) >= 2]
    recurring.sort(key=lambda kv: (-len(kv[1]), kv[0][0] or "", kv[0][1]))
    return [
        {
            "application": app,
            "summary": Counter(subjects).most_common(1)[0][0],
            "tickets": len(subjects),
        }
        for (app, _), subjects in recurring[:TOP_PROBLEMS]
    ]


def compose_report(inputs: ReportInputs) -> dict[str, Any]:
    """The §6 report of `inputs.period` (already limited to a province when asked so)."""
    rows, period = inputs.tickets, inputs.period
    resolved = [r for r in rows if r.status in RESOLVED]
    return {
        "period": {
            "kind": period.kind,
            "label": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
        "tickets": {
            "total": len(rows),
            "by_channel": _count_by(rows, lambda r: r.channel),
            "by_group": _count_by(rows, lambda r: r.group),
            "by_application": _count_by(rows, lambda r: r.application),
            "by_province": _count_by(rows, lambda r: r.province),
            "by_type": _count_by(rows, lambda r: r.type),
            "by_cause": _count_by(rows, lambda r: r.cause),
        },
        "sla": _sla(rows),
        "resolution": _resolution(resolved, inputs),
        "escalation": _escalation(rows, resolved),
        "backlog": {
            "open_at_end": len(inputs.backlog),
            "ageing": ageing(inputs.backlog, period.end),
        },
        "incidents": _incidents(inputs),
        "readiness": _readiness(inputs),
        "top_problems": _top_problems(rows),
        "user_errors_by_province": _count_by(
            (r for r in rows if r.cause == "user_error"), lambda r: r.province
        ),
    }
