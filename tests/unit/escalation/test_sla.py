"""SLA policy choice and the SLA clock, on the shipped catalog and real calendar dates."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from libs.calendar.business import Calendar
from services.escalation.domain.sla import (
    SlaCatalog,
    SlaClock,
    SlaClockError,
    next_breach_at,
    policy_for,
)
from services.escalation.domain.sla_policy import Priority, parse_duration

from ._vn import vn

H = timedelta(hours=1)
M = timedelta(minutes=1)


def clock(
    catalog: SlaCatalog,
    calendars: dict[str, Calendar],
    queue: str,
    priority: Priority,
    at: datetime,
) -> SlaClock:
    policy = policy_for(catalog, queue, priority, at)
    return SlaClock.for_policy(policy, calendars[policy.calendar]).start(at)


# -- policy choice ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("queue", "priority", "at", "name", "response", "resolution"),
    [
        ("default", "P2", vn(2024, 12, 19, 23, 59), "standard", 30 * M, 8 * H),
        ("L2", "P2", vn(2024, 12, 20, 0, 0), "year_end", 15 * M, 4 * H),
        ("L1", "P3", vn(2024, 12, 31, 23, 59), "year_end", H, 8 * H),
        ("L3", "P3", vn(2025, 1, 1, 0, 0), "standard", 2 * H, 24 * H),
        # 17:00 UTC on the 19th is already the 20th in Hanoi: the local date decides.
        ("L4", "P1", datetime(2024, 12, 19, 17, 0, tzinfo=UTC), "year_end", 10 * M, 2 * H),
        ("ito", "P1", vn(2025, 6, 1, 3, 0), "ito", 15 * M, 2 * H),
        ("ito", "P4", vn(2025, 12, 25, 3, 0), "ito_year_end", 2 * H, 24 * H),
    ],
)
def test_policy_for(
    catalog: SlaCatalog,
    queue: str,
    priority: Priority,
    at: datetime,
    name: str,
    response: timedelta,
    resolution: timedelta,
) -> None:
    p = catalog.policy_for(queue, priority, at)
    assert (p.name, p.response, p.resolution) == (name, response, resolution)
    assert p.calendar == ("always" if queue == "ito" else "treasury")


def test_policy_for_refuses_unknown_queue_and_priority(catalog: SlaCatalog) -> None:
    with pytest.raises(KeyError, match="unknown SLA queue"):
        catalog.policy_for("L5", "P1", vn(2024, 3, 4))
    with pytest.raises(KeyError, match="unknown priority"):
        catalog.policy_for("L1", "P9", vn(2024, 3, 4))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"), [("4h", 4 * H), ("30m", 30 * M), ("1h30m", 90 * M), ("40h", 40 * H)]
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "2d", "h", "4 hours", "-1h"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


# -- due times -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("queue", "priority", "opened", "response_due", "resolution_due", "why"),
    [
        (
            "L1",
            "P2",
            vn(2024, 2, 7, 15, 0),
            vn(2024, 2, 7, 15, 30),
            vn(2024, 2, 15, 15, 30),
            "eve of Tết 2024",
        ),
        (
            "L2",
            "P3",
            vn(2024, 2, 7, 16, 0),
            vn(2024, 2, 15, 9, 0),
            vn(2024, 2, 20, 8, 30),
            "eve of Tết 2024",
        ),
        (
            "L1",
            "P2",
            vn(2024, 3, 1, 17, 0),
            vn(2024, 3, 4, 8, 0),
            vn(2024, 3, 5, 8, 0),
            "Friday 17:00",
        ),
        (
            "L1",
            "P1",
            vn(2024, 3, 4, 11, 0),
            vn(2024, 3, 4, 11, 15),
            vn(2024, 3, 4, 16, 30),
            "lunch",
        ),
        (
            "L1",
            "P2",
            vn(2024, 4, 26, 16, 0),
            vn(2024, 4, 26, 16, 30),
            vn(2024, 5, 2, 16, 30),
            "30/4 2024",
        ),
        (
            "L1",
            "P2",
            vn(2024, 12, 20, 10, 0),
            vn(2024, 12, 20, 10, 15),
            vn(2024, 12, 20, 15, 30),
            "year-end",
        ),
        (
            "ito",
            "P1",
            vn(2024, 2, 9, 23, 0),
            vn(2024, 2, 9, 23, 15),
            vn(2024, 2, 10, 1, 0),
            "ITO, Tết night",
        ),
    ],
)
def test_due_times(
    catalog: SlaCatalog,
    calendars: dict[str, Calendar],
    queue: str,
    priority: Priority,
    opened: datetime,
    response_due: datetime,
    resolution_due: datetime,
    why: str,
) -> None:
    c = clock(catalog, calendars, queue, priority, opened)
    assert (c.response_due, c.resolution_due) == (response_due, resolution_due), why


def test_not_started_clock_has_no_due_time(
    catalog: SlaCatalog, calendars: dict[str, Calendar]
) -> None:
    p = catalog.policy_for("L1", "P2", vn(2024, 3, 4))
    c = SlaClock.for_policy(p, calendars["treasury"])
    assert c.response_due is None and c.breaches(vn(2030, 1, 1)) == []
    assert next_breach_at(c) is None


# -- pause / resume --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paused_at", "resumed_at", "paused_business"),
    [
        (vn(2024, 3, 4, 9, 0), vn(2024, 3, 5, 9, 0), 7 * H + 30 * M),  # a full day
        (vn(2024, 3, 4, 11, 0), vn(2024, 3, 4, 14, 0), 90 * M),  # across lunch
        (vn(2024, 3, 8, 16, 0), vn(2024, 3, 11, 8, 0), H),  # over a weekend
        (vn(2024, 2, 7, 16, 0), vn(2024, 2, 15, 8, 0), H),  # over Tết 2024
    ],
)
def test_pause_and_resume_extend_due_by_paused_business_time(
    catalog: SlaCatalog,
    calendars: dict[str, Calendar],
    paused_at: datetime,
    resumed_at: datetime,
    paused_business: timedelta,
) -> None:
    cal = calendars["treasury"]
    opened = paused_at - 30 * M
    c = clock(catalog, calendars, "L2", "P4", opened).respond(opened + 10 * M)
    before = c.resolution_due
    assert before == cal.add_business_time(opened, 40 * H)

    c = c.pause(paused_at)
    assert c.paused
    assert c.resolution_due is None  # unknown until the requester answers
    assert c.breaches(vn(2035, 1, 1)) == []  # nothing breaches while waiting
    assert next_breach_at(c) is None

    c = c.resume(resumed_at)
    assert not c.paused
    assert c.paused_business_time() == paused_business
    assert c.resolution_due == cal.add_business_time(opened, 40 * H + paused_business)
    assert c.resolution_due is not None and before is not None
    assert cal.business_time_between(before, c.resolution_due) == paused_business


def test_pause_after_the_due_time_keeps_the_breach(
    catalog: SlaCatalog, calendars: dict[str, Calendar]
) -> None:
    c = clock(catalog, calendars, "L1", "P1", vn(2024, 3, 4, 8, 0)).pause(vn(2024, 3, 4, 9, 0))
    assert c.response_due == vn(2024, 3, 4, 8, 15)
    assert c.breaches(vn(2024, 3, 4, 9, 30)) == ["response"]


def test_resolve_while_paused_closes_the_pause(
    catalog: SlaCatalog, calendars: dict[str, Calendar]
) -> None:
    c = clock(catalog, calendars, "L1", "P3", vn(2024, 3, 4, 8, 0))
    c = c.pause(vn(2024, 3, 4, 9, 0)).resolve(vn(2024, 3, 6, 9, 0))
    assert not c.paused and c.resolved and c.responded_at == vn(2024, 3, 6, 9, 0)
    assert c.paused_business_time() == 15 * H


# -- breaches --------------------------------------------------------------------------------

# L1/P2 opened Monday 2024-03-04 08:00: response due 08:30, resolution due Tuesday 08:30 (7 h on Monday).
OPENED = vn(2024, 3, 4, 8, 0)


@pytest.mark.parametrize(
    ("responded", "resolved", "now", "expected"),
    [
        (None, None, vn(2024, 3, 4, 8, 29), []),
        (None, None, vn(2024, 3, 4, 8, 30), []),  # due is the last compliant instant
        (None, None, vn(2024, 3, 4, 8, 31), ["response"]),
        (vn(2024, 3, 4, 8, 20), None, vn(2024, 3, 4, 16, 0), []),
        (vn(2024, 3, 4, 8, 20), None, vn(2024, 3, 5, 7, 59), []),  # the night does not count
        (vn(2024, 3, 4, 8, 20), None, vn(2024, 3, 5, 8, 31), ["resolution"]),
        (vn(2024, 3, 4, 8, 45), None, vn(2024, 3, 4, 9, 0), ["response"]),  # met late
        (None, None, vn(2024, 3, 5, 9, 0), ["response", "resolution"]),
        (vn(2024, 3, 4, 8, 20), vn(2024, 3, 4, 16, 0), vn(2024, 3, 9, 0, 0), []),
        (None, vn(2024, 3, 4, 8, 25), vn(2024, 3, 9, 0, 0), []),  # resolution is a response
        (vn(2024, 3, 4, 8, 20), vn(2024, 3, 5, 9, 0), vn(2024, 3, 9, 0, 0), ["resolution"]),
    ],
)
def test_breaches(
    catalog: SlaCatalog,
    calendars: dict[str, Calendar],
    responded: datetime | None,
    resolved: datetime | None,
    now: datetime,
    expected: list[str],
) -> None:
    c = clock(catalog, calendars, "L1", "P2", OPENED)
    assert (c.response_due, c.resolution_due) == (vn(2024, 3, 4, 8, 30), vn(2024, 3, 5, 8, 30))
    if responded:
        c = c.respond(responded)
    if resolved:
        c = c.resolve(resolved)
    assert c.breaches(now) == expected


def test_next_breach_at_follows_the_pending_targets(
    catalog: SlaCatalog, calendars: dict[str, Calendar]
) -> None:
    c = clock(catalog, calendars, "L1", "P2", OPENED)
    assert next_breach_at(c) == vn(2024, 3, 4, 8, 30)
    assert next_breach_at(c, after=vn(2024, 3, 4, 8, 30)) == vn(2024, 3, 5, 8, 30)
    c = c.respond(vn(2024, 3, 4, 8, 10))
    assert next_breach_at(c) == vn(2024, 3, 5, 8, 30)
    assert next_breach_at(c.resolve(vn(2024, 3, 4, 10, 0))) is None
    assert next_breach_at(c, after=vn(2024, 3, 6)) is None


# -- transitions -----------------------------------------------------------------------------


def test_invalid_transitions(catalog: SlaCatalog, calendars: dict[str, Calendar]) -> None:
    p = catalog.policy_for("L1", "P2", OPENED)
    fresh = SlaClock.for_policy(p, calendars["treasury"])
    for action in (fresh.pause, fresh.resume, fresh.respond, fresh.resolve):
        with pytest.raises(SlaClockError):
            action(OPENED)
    c = fresh.start(OPENED)
    with pytest.raises(SlaClockError, match="already started"):
        c.start(OPENED)
    with pytest.raises(SlaClockError, match="not paused"):
        c.resume(OPENED + H)
    with pytest.raises(SlaClockError, match="before the previous event"):
        c.pause(OPENED - H)
    with pytest.raises(SlaClockError, match="already paused"):
        c.pause(OPENED + H).pause(OPENED + 2 * H)
    done = c.resolve(OPENED + H)
    with pytest.raises(SlaClockError, match="already resolved"):
        done.resolve(OPENED + 2 * H)
    with pytest.raises(SlaClockError, match="resolved"):
        done.pause(OPENED + 2 * H)
    with pytest.raises(SlaClockError, match="calendar"):
        SlaClock.for_policy(p, calendars["always"])


def test_respond_keeps_the_first_response(
    catalog: SlaCatalog, calendars: dict[str, Calendar]
) -> None:
    c = clock(catalog, calendars, "L1", "P2", OPENED).respond(OPENED + M)
    assert c.respond(OPENED + H) is c


def test_clock_is_immutable(catalog: SlaCatalog, calendars: dict[str, Calendar]) -> None:
    c = clock(catalog, calendars, "L1", "P2", OPENED)
    c.pause(OPENED + M)
    assert not c.paused
    with pytest.raises(AttributeError):
        c.started_at = None  # type: ignore[misc]


# -- serialisation ---------------------------------------------------------------------------


def _states(catalog: SlaCatalog, calendars: dict[str, Calendar]) -> list[SlaClock]:
    p = catalog.policy_for("L1", "P3", OPENED)
    fresh = SlaClock.for_policy(p, calendars["treasury"])
    running = fresh.start(OPENED).respond(OPENED + M)
    paused = running.pause(OPENED + H)
    resumed = paused.resume(OPENED + 30 * H)
    return [
        fresh,
        running,
        paused,
        resumed,
        resumed.resolve(OPENED + 40 * H),
        clock(catalog, calendars, "ito", "P1", vn(2024, 12, 24, 23, 0)),
    ]


@pytest.mark.parametrize("index", range(6))
def test_round_trip_serialisation(
    catalog: SlaCatalog, calendars: dict[str, Calendar], index: int
) -> None:
    c = _states(catalog, calendars)[index]
    data = json.loads(json.dumps(c.to_dict()))
    back = SlaClock.from_dict(data, calendars)
    assert back == c
    assert back.to_dict() == c.to_dict()
    assert (back.response_due, back.resolution_due, back.paused) == (
        c.response_due,
        c.resolution_due,
        c.paused,
    )


def test_from_dict_normalises_zones_and_rejects_garbage(
    catalog: SlaCatalog, calendars: dict[str, Calendar]
) -> None:
    c = clock(catalog, calendars, "L1", "P2", OPENED)
    data = c.to_dict()
    assert data["started_at"] == "2024-03-04T08:00:00+07:00"
    assert data["response_target_s"] == 1800
    utc = dict(data, started_at="2024-03-04T01:00:00+00:00")
    assert SlaClock.from_dict(utc, calendars) == c
    for broken in (
        {k: v for k, v in data.items() if k != "priority"},
        dict(data, calendar="mars"),
        dict(data, format=99),
        dict(data, started_at="yesterday"),
        dict(data, started_at="2024-03-04T08:00:00"),  # naive
        dict(data, priority="P0"),
    ):
        with pytest.raises(SlaClockError):
            SlaClock.from_dict(broken, calendars)
