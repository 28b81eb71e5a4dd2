"""The morning round's schedule on the real treasury calendar (the one escalation counts SLA
time on): Tết, compensatory Saturdays, Sundays, late rounds, retries, one report a day."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from libs.calendar import BusinessCalendar, load_business_calendar
from services.escalation.adapters.sla_config import load_calendar
from services.monitoring.domain.morning_round import (
    RetryPolicy,
    RoundTimes,
    next_round_at,
    next_step,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CATALOG = Path(__file__).resolve().parents[3] / "catalog"
TIMES = RoundTimes(tz=VN)


@pytest.fixture(scope="module")
def calendar() -> BusinessCalendar:
    return load_business_calendar(CATALOG)


def at(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}:00+07:00")


def test_monitoring_and_escalation_read_the_same_treasury_calendar(
    calendar: BusinessCalendar,
) -> None:
    sla = load_calendar(CATALOG)
    assert isinstance(sla, BusinessCalendar)
    day = date(2026, 1, 1)
    while day < date(2027, 1, 1):
        assert calendar.is_working_day(day) == sla.is_working_day(day), day
        day += timedelta(days=1)


def test_no_round_in_the_tet_week_and_the_next_one_is_the_monday_after(
    calendar: BusinessCalendar,
) -> None:
    for offset in range(5):  # Tết 2026: Monday 16 – Friday 20 February
        day = (date(2026, 2, 16) + timedelta(days=offset)).isoformat()
        step = next_step(at(day, "07:00"), calendar, TIMES, "none")
        assert step.action == "wait", day
        assert step.wake_at == at("2026-02-23", "07:00")
    friday = next_step(at("2026-02-13", "07:00"), calendar, TIMES, "none")
    assert friday.action == "start" and not friday.late


def test_a_compensatory_saturday_gets_its_round(calendar: BusinessCalendar) -> None:
    step = next_step(at("2026-01-10", "07:00"), calendar, TIMES, "none")
    assert step.action == "start" and not step.late
    # Friday 2 January is the bridge day that Saturday pays back: no round then.
    assert next_step(at("2026-01-02", "07:30"), calendar, TIMES, "none").action == "wait"
    after_friday = next_step(at("2026-01-09", "08:00"), calendar, TIMES, "reported")
    assert after_friday.wake_at == at("2026-01-10", "07:00")


def test_no_round_on_a_sunday_and_the_next_is_monday_seven(calendar: BusinessCalendar) -> None:
    step = next_step(at("2026-12-06", "07:00"), calendar, TIMES, "none")
    assert (step.action, step.wake_at) == ("wait", at("2026-12-07", "07:00"))
    assert next_round_at(calendar, TIMES, at("2026-12-05", "12:00")) == at("2026-12-07", "07:00")


def test_before_seven_the_round_waits_for_seven(calendar: BusinessCalendar) -> None:
    step = next_step(at("2026-12-04", "06:59"), calendar, TIMES, "none")
    assert (step.action, step.wake_at) == ("wait", at("2026-12-04", "07:00"))


def test_a_round_started_after_seven_is_late_and_runs_the_same_day(
    calendar: BusinessCalendar,
) -> None:
    on_time = next_step(at("2026-12-04", "07:04"), calendar, TIMES, "none")
    assert on_time.action == "start" and not on_time.late
    late = next_step(at("2026-12-04", "09:40"), calendar, TIMES, "none")
    assert late.action == "start" and late.late
    assert next_step(at("2026-12-04", "23:59"), calendar, TIMES, "none").late


def test_late_means_any_deadline_missed() -> None:
    day = date(2026, 12, 4)
    assert not TIMES.late(day, at("2026-12-04", "07:00"), at("2026-12-04", "07:30"))
    assert TIMES.late(day, at("2026-12-04", "07:00"), at("2026-12-04", "07:31"))
    assert TIMES.late(day, at("2026-12-04", "07:06"))
    sent_late = at("2026-12-04", "07:46")
    assert TIMES.late(day, at("2026-12-04", "07:00"), at("2026-12-04", "07:20"), sent_late)
    assert not TIMES.late(
        day, at("2026-12-04", "07:00"), at("2026-12-04", "07:20"), at("2026-12-04", "07:45")
    )


def test_a_reported_day_is_never_reported_again_and_a_cut_off_one_carries_on(
    calendar: BusinessCalendar,
) -> None:
    for hhmm in ("07:00", "07:45", "16:00"):
        step = next_step(at("2026-12-04", hhmm), calendar, TIMES, "reported")
        assert (step.action, step.wake_at) == ("done", at("2026-12-07", "07:00"))
    assert next_step(at("2026-12-04", "07:10"), calendar, TIMES, "running").action == "resume"
    assert next_step(at("2026-12-04", "07:10"), calendar, TIMES, "completed").action == "report"


def test_a_failed_check_is_retried_only_while_the_round_can_finish() -> None:
    policy = RetryPolicy(retries=2, delay=timedelta(seconds=60))
    start, deadline = at("2026-12-04", "07:00"), at("2026-12-04", "07:30")
    timeout = timedelta(seconds=20)
    first = policy.retry_at(1, start + timedelta(seconds=5), start, deadline, timeout)
    assert first == start + timedelta(seconds=65)
    assert policy.retry_at(2, start, start, deadline, timeout) is not None
    assert policy.retry_at(3, start, start, deadline, timeout) is None  # two retries, then failed
    near_end = datetime.fromisoformat("2026-12-04T07:28:50+07:00")
    assert policy.retry_at(1, near_end, start, deadline, timeout) is None
    # A late round has its own 30 minutes from its start.
    late_start = at("2026-12-04", "09:00")
    assert policy.retry_at(1, late_start, late_start, deadline, timeout) is not None
