"""Report periods in Asia/Ho_Chi_Minh (SPEC §6): ISO weeks (53 too), months, quarters."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from services.reporting.domain.periods import (
    LOCAL_TZ,
    PeriodError,
    default_period,
    parse_period,
    period_containing,
)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LOCAL_TZ)


def test_an_iso_week_runs_from_monday_midnight_in_hanoi_time() -> None:
    week = parse_period("weekly", "2026-W48")
    assert (week.start, week.end) == (local(2026, 11, 23), local(2026, 11, 30))
    assert week.start.isoformat() == "2026-11-23T00:00:00+07:00"


def test_week_53_exists_only_in_long_iso_years() -> None:
    week = parse_period("weekly", "2026-W53")
    assert (week.first_day, week.next_day) == (date(2026, 12, 28), date(2027, 1, 4))
    with pytest.raises(PeriodError) as error:
        parse_period("weekly", "2025-W53")
    assert error.value.field == "period" and "no ISO week 53" in error.value.reason


def test_week_1_may_start_in_the_previous_year() -> None:
    assert parse_period("weekly", "2026-W01").first_day == date(2025, 12, 29)
    assert period_containing("weekly", date(2027, 1, 1)).label == "2026-W53"
    assert period_containing("weekly", date(2025, 12, 29)).label == "2026-W01"


def test_a_month_ends_at_midnight_so_2330_on_its_last_day_is_inside() -> None:
    november = parse_period("monthly", "2026-11")
    assert november.start <= local(2026, 11, 30, 23, 30) < november.end
    assert november.end == local(2026, 12, 1)
    assert parse_period("monthly", "2026-12").end == local(2027, 1, 1)


def test_a_quarter_crosses_into_the_next_year() -> None:
    q4 = parse_period("quarterly", "2026-Q4")
    assert (q4.start, q4.end) == (local(2026, 10, 1), local(2027, 1, 1))
    assert len(parse_period("quarterly", "2027-Q1").days()) == 90


def test_the_default_is_the_last_complete_period() -> None:
    assert default_period("monthly", date(2027, 1, 4)).label == "2026-12"
    assert default_period("quarterly", date(2027, 1, 4)).label == "2026-Q4"
    assert default_period("weekly", date(2027, 1, 4)).label == "2026-W53"
    assert parse_period("monthly", "2027-01").previous().label == "2026-12"


@pytest.mark.parametrize(
    ("kind", "label", "says"),
    [
        ("weekly", "2026-48", "ISO week"),
        ("weekly", "2026-W00", "no ISO week 00"),
        ("monthly", "2026-13", "month 13"),
        ("monthly", "11-2026", "a month such as"),
        ("quarterly", "2026-Q5", "quarter 5"),
        ("quarterly", "2026-q4", "a quarter such as"),
    ],
)
def test_a_malformed_period_names_the_field_and_the_reason(
    kind: str, label: str, says: str
) -> None:
    with pytest.raises(PeriodError) as error:
        parse_period(kind, label)
    assert error.value.field == "period"
    assert says in error.value.reason


def test_an_unknown_kind_names_the_kind() -> None:
    with pytest.raises(PeriodError) as error:
        parse_period("yearly", "2026")
    assert error.value.field == "kind"
