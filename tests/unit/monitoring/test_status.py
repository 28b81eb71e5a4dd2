"""The status page's decisions: an application's state from its checks, and its days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.monitoring.domain.status import (
    DEGRADED,
    FOREVER,
    MAINTENANCE,
    MAJOR_OUTAGE,
    NO_DATA,
    OPERATIONAL,
    PARTIAL_OUTAGE,
    DaySummary,
    MaintenancePlan,
    Point,
    Reading,
    Series,
    application_state,
    combined_uptime,
    day_bounds,
    days_to_roll,
    history,
    in_periods,
    maintenance_periods,
    overall_state,
    summarise_day,
    with_live_state,
)

UP, DOWN = Reading("up"), Reading("down")
SLOW = Reading("up", degraded=True)
DAY = date(2026, 12, 1)  # a Tuesday
START, END = day_bounds(DAY)


def at(hour: float) -> datetime:
    return START + timedelta(hours=hour)


@pytest.mark.parametrize(
    ("readings", "expected"),
    [
        ([UP, UP], OPERATIONAL),
        ([UP, SLOW], DEGRADED),
        ([UP, DOWN], PARTIAL_OUTAGE),
        ([SLOW, DOWN], PARTIAL_OUTAGE),
        ([DOWN, DOWN], MAJOR_OUTAGE),
        ([DOWN, Reading("unknown")], MAJOR_OUTAGE),
        ([Reading("unknown"), Reading("unknown")], NO_DATA),
        ([], NO_DATA),
        ([Reading("maintenance"), Reading("maintenance")], MAINTENANCE),
        ([Reading("maintenance"), DOWN], MAJOR_OUTAGE),
        ([Reading("maintenance"), UP], OPERATIONAL),
    ],
)
def test_an_application_state_follows_its_checks(readings: list[Reading], expected: str) -> None:
    assert application_state(readings) == expected


def test_one_province_down_of_sixty_three_is_a_partial_outage() -> None:
    assert application_state([UP] * 62 + [DOWN]) == PARTIAL_OUTAGE


def test_announced_maintenance_wins_over_what_the_checks_say() -> None:
    assert application_state([DOWN, DOWN], in_maintenance=True) == MAINTENANCE


def test_the_banner_shows_the_worst_system_but_not_the_unmeasured_ones() -> None:
    assert overall_state([OPERATIONAL, PARTIAL_OUTAGE, DEGRADED]) == PARTIAL_OUTAGE
    assert overall_state([OPERATIONAL, NO_DATA]) == OPERATIONAL
    assert overall_state([NO_DATA]) == NO_DATA


def test_a_scheduled_maintenance_covers_its_planned_window() -> None:
    plan = MaintenancePlan(at(20), at(22))
    periods = maintenance_periods(plan)
    assert periods == [(at(20), at(22))]
    assert in_periods(periods, at(21)) and not in_periods(periods, at(22))


def test_a_started_maintenance_lasts_until_completed_even_past_its_plan() -> None:
    plan = MaintenancePlan(at(20), at(22), started_at=at(20.5), finished_at=at(23))
    assert maintenance_periods(plan) == [(at(20), at(20.5)), (at(20.5), at(23))]
    running = MaintenancePlan(at(20), at(22), started_at=at(19))
    assert maintenance_periods(running) == [(at(19), FOREVER)]
    assert in_periods(maintenance_periods(running), at(19) + timedelta(days=3))


def test_a_cancelled_maintenance_stops_covering_when_cancelled() -> None:
    plan = MaintenancePlan(at(20), at(22), finished_at=at(21))
    assert maintenance_periods(plan) == [(at(20), at(21))]
    early = MaintenancePlan(at(20), at(22), finished_at=at(12))
    assert maintenance_periods(early) == []


def test_a_day_with_an_hour_of_total_outage_is_major_with_its_uptime() -> None:
    series = {
        "web": Series(UP, [Point(at(9), DOWN), Point(at(10), UP)]),
        "login": Series(UP, [Point(at(9), DOWN), Point(at(10), UP)]),
    }
    summary = summarise_day(DAY, series, [])
    assert summary.worst == MAJOR_OUTAGE
    assert summary.uptime_pct == pytest.approx(100 * 23 / 24, abs=0.01)
    assert summary.seconds[MAJOR_OUTAGE] == 3600
    assert summary.seconds[OPERATIONAL] == 23 * 3600


def test_one_check_of_two_down_is_partial_and_counts_half() -> None:
    series = {"a": Series(UP, [Point(at(0), DOWN)]), "b": Series(UP)}
    summary = summarise_day(DAY, series, [])
    assert summary.worst == PARTIAL_OUTAGE
    assert summary.uptime_pct == 50.0


def test_slow_answers_make_a_degraded_day_without_lowering_uptime() -> None:
    series = {"a": Series(UP, [Point(at(8), SLOW), Point(at(8.5), UP)])}
    summary = summarise_day(DAY, series, [])
    assert (summary.worst, summary.uptime_pct) == (DEGRADED, 100.0)


def test_a_maintenance_under_way_covers_the_rest_of_the_day() -> None:
    series = {"a": Series(UP, [Point(at(20), DOWN)])}
    running = maintenance_periods(MaintenancePlan(at(30), at(32), started_at=at(19)))
    summary = summarise_day(DAY, series, running, end=at(21))
    assert summary.seconds == {OPERATIONAL: 19 * 3600, MAINTENANCE: 2 * 3600}


def test_maintenance_is_neither_up_nor_down_time() -> None:
    series = {"a": Series(UP, [Point(at(20), DOWN)])}
    summary = summarise_day(DAY, series, [(at(20), at(24))])
    assert summary.worst == MAINTENANCE
    assert summary.uptime_pct == 100.0
    assert summary.measured_seconds == 20 * 3600


def test_today_is_summarised_up_to_now_and_a_check_never_seen_is_no_data() -> None:
    series = {"a": Series(None, [Point(at(6), UP)])}
    summary = summarise_day(DAY, series, [], end=at(12))
    assert summary.seconds == {NO_DATA: 6 * 3600, OPERATIONAL: 6 * 3600}
    assert summary.worst == OPERATIONAL
    assert summarise_day(DAY, {}, []).worst == NO_DATA


def test_the_day_is_the_treasury_day_in_ha_noi() -> None:
    start, end = day_bounds(DAY)
    assert start.astimezone(UTC) == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    assert end - start == timedelta(days=1)


def test_history_has_ninety_days_ending_today_and_fills_gaps() -> None:
    known = {DAY: DaySummary(DAY, PARTIAL_OUTAGE, 97.0, 97, 100)}
    days = history(known, DAY + timedelta(days=2))
    assert len(days) == 90
    assert days[-1].day == DAY + timedelta(days=2) and days[-1].worst == NO_DATA
    assert days[-3].worst == PARTIAL_OUTAGE


def test_uptime_over_days_is_weighted_by_what_was_measured() -> None:
    days = [
        DaySummary(DAY, OPERATIONAL, 100.0, 300, 300),
        DaySummary(DAY, MAJOR_OUTAGE, 0.0, 0, 100),
    ]
    assert combined_uptime(days) == 75.0
    assert combined_uptime([DaySummary(DAY, NO_DATA, None)]) is None


def test_todays_bar_is_at_least_as_bad_as_now() -> None:
    calm = DaySummary(DAY, OPERATIONAL, 100.0)
    assert with_live_state(calm, MAJOR_OUTAGE).worst == MAJOR_OUTAGE
    assert with_live_state(DaySummary(DAY, MAJOR_OUTAGE, 90.0), OPERATIONAL).worst == MAJOR_OUTAGE


def test_rollup_redoes_today_and_days_left_unfinished() -> None:
    today = DAY + timedelta(days=3)
    computed = {
        DAY: day_bounds(DAY)[1] + timedelta(minutes=5),  # finished: kept
        DAY + timedelta(days=1): day_bounds(DAY + timedelta(days=1))[0] + timedelta(hours=9),
    }
    assert days_to_roll(today, computed, DAY) == [
        DAY + timedelta(days=1),
        DAY + timedelta(days=2),
        today,
    ]
