"""Time to resolve in business hours, net of waiting for the requester, on the treasury calendar
(Monday–Friday 07:30–11:30 and 13:00–16:30, holidays and Tết off)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from libs.calendar import load_business_calendar
from services.reporting.domain.durations import net_business_hours
from services.reporting.domain.periods import LOCAL_TZ

CALENDAR = load_business_calendar(Path(__file__).resolve().parents[3] / "catalog")


def hours(a: datetime, b: datetime) -> float:
    return CALENDAR.business_time_between(a, b) / timedelta(hours=1)


def local(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL_TZ)


def test_without_pauses_it_is_the_business_time_between_receipt_and_resolution() -> None:
    # Friday 15:30 → Monday 09:30: one hour on Friday, two on Monday; the weekend is off.
    assert net_business_hours(local(11, 20, 15, 30), local(11, 23, 9, 30), (), hours) == 3.0


def test_waiting_for_the_requester_is_taken_out_in_business_time() -> None:
    # (Tuesday 24 November 2026 is Vietnam Cultural Day, a holiday: Wednesday and Thursday.)
    received, resolved = local(11, 25, 8), local(11, 26, 16)
    gross = net_business_hours(received, resolved, (), hours)
    assert gross == pytest.approx(7.0 + 7.0)
    # waiting from Wednesday 10:00 to Thursday 08:30: 1.5 + 3.5 + 1 business hours
    pause = (local(11, 25, 10), local(11, 26, 8, 30))
    waited = hours(*pause)
    assert waited == pytest.approx(1.5 + 3.5 + 1.0)
    assert net_business_hours(received, resolved, [pause], hours) == pytest.approx(gross - waited)


def test_a_pause_over_the_weekend_removes_nothing_the_calendar_did_not_count() -> None:
    received, resolved = local(11, 20, 16), local(11, 23, 8)
    pause = (local(11, 20, 17), local(11, 23, 7))  # after hours Friday → before Monday
    assert net_business_hours(received, resolved, [pause], hours) == pytest.approx(1.0)


def test_overlapping_pauses_and_one_still_open_are_clipped_and_counted_once() -> None:
    received, resolved = local(11, 23, 8), local(11, 23, 11)  # 3 business hours
    pauses = [
        (local(11, 23, 9), local(11, 23, 10)),
        (local(11, 23, 9, 30), local(11, 23, 10, 30)),  # overlaps the first
        (local(11, 23, 7), local(11, 23, 7, 45)),  # starts before receipt: clipped
        (local(11, 23, 10, 45), None),  # still open at resolution: counts up to it
    ]
    # taken out: 09:00–10:30 (1.5 h), 08:00–07:45 (nothing), 10:45–11:00 (0.25 h)
    assert net_business_hours(received, resolved, pauses, hours) == pytest.approx(1.25)


def test_tet_is_not_business_time_so_a_ticket_over_tet_resolves_in_few_hours() -> None:
    # Tết 2026: Monday 16 to Friday 20 February; Friday 13 16:00 → Monday 23 08:00.
    before, after = local(2, 13, 16, year=2026), local(2, 23, 8, year=2026)
    assert net_business_hours(before, after, (), hours) == pytest.approx(0.5 + 0.5)


def test_a_resolution_before_receipt_counts_nothing() -> None:
    assert net_business_hours(local(11, 23, 9), local(11, 23, 8), (), hours) == 0.0
