"""When the scheduled reports are due, on the treasury calendar."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from libs.calendar import load_business_calendar
from services.reporting.domain.periods import LOCAL_TZ
from services.reporting.domain.schedule import due_periods

CALENDAR = load_business_calendar(Path(__file__).resolve().parents[3] / "catalog")
LONG_AGO = datetime(2020, 1, 1, tzinfo=LOCAL_TZ)


def labels(now: datetime, since: datetime = LONG_AGO) -> list[str]:
    return [p.label for p in due_periods(now, since, CALENDAR.is_working_day)]


def local(y: int, m: int, d: int, h: int = 7, minute: int = 30) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=LOCAL_TZ)


def test_the_week_is_due_on_monday_morning_and_stays_due_all_week() -> None:
    monday = local(2026, 11, 23)
    assert "2026-W47" in labels(monday)
    assert "2026-W47" not in labels(monday - timedelta(minutes=1))
    assert "2026-W47" in labels(local(2026, 11, 27, 16))


def test_the_month_is_due_on_the_first_working_day_not_the_first_day() -> None:
    # 1 November 2026 is a Sunday: October's report goes on Monday 2 November.
    assert "2026-10" not in labels(local(2026, 11, 1, 12))
    assert "2026-10" in labels(local(2026, 11, 2))
    # 1 and 2 January 2026 are holidays (New Year and its bridge), 3–4 a weekend: the 5th.
    assert "2025-12" not in labels(local(2026, 1, 2, 12))
    assert labels(local(2026, 1, 5)) == ["2026-W01", "2025-12", "2025-Q4"]


def test_a_quarter_with_tet_is_due_after_it_and_nothing_falls_due_before_since() -> None:
    # Q1 2026 holds Tết (16–20 February); its report is due on Wednesday 1 April.
    assert "2026-Q1" in labels(local(2026, 4, 1))
    assert "2026-Q1" not in labels(local(2026, 3, 31, 16))
    # delivery switched on after the due moment: that period is not sent late
    assert labels(local(2026, 4, 1, 9), since=local(2026, 4, 1, 8)) == []


def test_iso_week_53_is_due_on_the_monday_after_it() -> None:
    # 2026 has an ISO week 53 (28 December 2026 – 3 January 2027).
    assert "2026-W53" in labels(local(2027, 1, 4))
