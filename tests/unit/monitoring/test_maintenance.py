"""Maintenance windows in treasury time (Asia/Ho_Chi_Minh), recurring and one-off."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from libs.catalog.checks_model import LOCAL_TZ, OneOffWindow, WeeklyWindow
from services.monitoring.domain.maintenance import active_window, in_window

SUNDAY_NIGHT = WeeklyWindow(frozenset({6}), time(22, 0), timedelta(hours=4), "batch")


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=LOCAL_TZ)  # type: ignore[misc]


def test_a_weekly_window_covers_its_day_and_hour_in_local_time() -> None:
    assert in_window(SUNDAY_NIGHT, local(2026, 11, 29, 22, 0))  # a Sunday
    assert in_window(SUNDAY_NIGHT, local(2026, 11, 29, 23, 59))
    assert not in_window(SUNDAY_NIGHT, local(2026, 11, 29, 21, 59))
    assert not in_window(SUNDAY_NIGHT, local(2026, 11, 28, 22, 30))  # Saturday


def test_a_window_runs_on_past_midnight_into_the_next_day() -> None:
    assert in_window(SUNDAY_NIGHT, local(2026, 11, 30, 1, 59))  # Monday 01:59
    assert not in_window(SUNDAY_NIGHT, local(2026, 11, 30, 2, 0))


def test_utc_moments_are_read_in_treasury_time() -> None:
    # Sunday 22:30 in Hà Nội is 15:30 UTC
    assert in_window(SUNDAY_NIGHT, datetime(2026, 11, 29, 15, 30, tzinfo=UTC))
    assert not in_window(SUNDAY_NIGHT, datetime(2026, 11, 29, 22, 30, tzinfo=UTC))


def test_a_window_longer_than_a_day() -> None:
    weekend = WeeklyWindow(frozenset({5}), time(18, 0), timedelta(hours=40))
    assert in_window(weekend, local(2026, 11, 30, 9, 59))  # Saturday 18:00 + 40 h = Monday 10:00
    assert not in_window(weekend, local(2026, 11, 30, 10, 0))


def test_a_one_off_window_is_start_inclusive_end_exclusive() -> None:
    year_end = OneOffWindow(local(2026, 12, 31, 20, 0), local(2027, 1, 1, 6, 0), "năm mới")
    assert in_window(year_end, local(2026, 12, 31, 20, 0))
    assert not in_window(year_end, local(2027, 1, 1, 6, 0))
    assert active_window([SUNDAY_NIGHT, year_end], local(2027, 1, 1, 3, 0)) is year_end
    assert active_window([SUNDAY_NIGHT, year_end], local(2027, 1, 2, 3, 0)) is None
