"""Business calendar over real Vietnamese dates: Tết, 30/4–1/5 bridges, lunch, weekends."""

from __future__ import annotations

import time as walltime
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from libs.calendar.business import Calendar, CalendarRangeError
from libs.catalog.loader import CatalogError
from services.escalation.adapters.sla_config import (
    SlaConfigError,
    load_adjustments,
    load_sla_policy,
)

from ._vn import VN, vn

H = timedelta(hours=1)
M = timedelta(minutes=1)


def test_holidays_package_has_tet_2024_and_the_known_swaps() -> None:
    """Pins what `holidays` 0.108 gives for VN, so an upgrade that changes it fails loudly."""
    public = holidays.country_holidays("VN", years=[2024, 2025, 2026])
    for day in range(8, 15):
        assert date(2024, 2, day) in public, f"Tết 2024: 2024-02-{day:02d}"
    assert date(2024, 4, 29) in public and date(2025, 5, 2) in public
    assert {date(2024, 5, 4), date(2025, 4, 26), date(2026, 8, 22)} <= public.weekend_workdays
    # The New Year 2026 swap (12729/VPCP-KGVX) is missing: our adjustments file supplies it.
    assert date(2026, 1, 2) not in public


@pytest.mark.parametrize(
    ("t", "working", "why"),
    [
        (vn(2024, 3, 4, 7, 29), False, "before opening"),
        (vn(2024, 3, 4, 7, 30), True, "opening"),
        (vn(2024, 3, 4, 11, 29), True, "late morning"),
        (vn(2024, 3, 4, 11, 30), False, "lunch starts"),
        (vn(2024, 3, 4, 12, 15), False, "lunch"),
        (vn(2024, 3, 4, 13, 0), True, "afternoon opening"),
        (vn(2024, 3, 4, 16, 30), False, "closing"),
        (vn(2024, 3, 2, 9, 0), False, "ordinary Saturday"),
        (vn(2024, 2, 8, 9, 0), False, "Tết 2024, 29 Tết"),
        (vn(2024, 2, 14, 9, 0), False, "Tết 2024, last day"),
        (vn(2024, 2, 15, 9, 0), True, "first day after Tết 2024"),
        (vn(2024, 4, 29, 9, 0), False, "2024 bridge day"),
        (vn(2024, 5, 4, 9, 0), True, "2024 compensatory Saturday"),
        (vn(2025, 4, 26, 9, 0), True, "2025 compensatory Saturday"),
        (vn(2025, 5, 2, 9, 0), False, "2025 bridge day"),
        (vn(2026, 1, 2, 9, 0), False, "2026 New Year bridge (adjustments file)"),
        (vn(2026, 1, 10, 9, 0), True, "2026 compensatory Saturday (adjustments file)"),
        (vn(2024, 9, 3, 9, 0), False, "National Day 2024, second day"),
        (datetime(2024, 3, 4, 1, 0, tzinfo=UTC), True, "UTC input is 08:00 in Hanoi"),
    ],
)
def test_is_working_time(treasury: Calendar, t: datetime, working: bool, why: str) -> None:
    assert treasury.is_working_time(t) is working, why


@pytest.mark.parametrize(
    ("start", "duration", "due", "why"),
    [
        (vn(2024, 3, 4, 9, 0), H, vn(2024, 3, 4, 10, 0), "plain morning"),
        (vn(2024, 3, 4, 11, 0), H, vn(2024, 3, 4, 13, 30), "lunch break not counted"),
        (vn(2024, 3, 4, 11, 0), 30 * M, vn(2024, 3, 4, 11, 30), "ends at the period's end"),
        (vn(2024, 3, 4, 12, 0), H, vn(2024, 3, 4, 14, 0), "starts during lunch"),
        (vn(2024, 3, 1, 17, 0), H, vn(2024, 3, 4, 8, 30), "Friday 17:00 → Monday"),
        (vn(2024, 3, 1, 16, 0), H, vn(2024, 3, 4, 8, 0), "Friday 16:00 → Monday"),
        (vn(2024, 3, 3, 10, 0), H, vn(2024, 3, 4, 8, 30), "starts on Sunday"),
        (vn(2024, 3, 4, 9, 0), 37 * H + 30 * M, vn(2024, 3, 11, 9, 0), "one working week"),
        (vn(2024, 2, 7, 15, 0), 8 * H, vn(2024, 2, 15, 15, 30), "eve of Tết 2024, 8 h"),
        (vn(2024, 2, 7, 15, 0), 24 * H, vn(2024, 2, 19, 16, 30), "eve of Tết 2024, 24 h"),
        (vn(2024, 4, 26, 16, 0), 2 * H, vn(2024, 5, 2, 9, 0), "30/4–1/5 2024 with bridge"),
        (vn(2024, 5, 3, 16, 0), H, vn(2024, 5, 4, 8, 0), "into the compensatory Saturday"),
        (vn(2025, 4, 25, 16, 0), H, vn(2025, 4, 26, 8, 0), "into 2025's working Saturday"),
        (vn(2025, 4, 29, 16, 0), H, vn(2025, 5, 5, 8, 0), "30/4–4/5 2025 with bridge"),
        (vn(2025, 12, 31, 16, 0), H, vn(2026, 1, 5, 8, 0), "New Year 2026, 1–4 January"),
        (vn(2024, 3, 4, 9, 0), timedelta(0), vn(2024, 3, 4, 9, 0), "zero duration"),
        (vn(2024, 3, 2, 9, 0), timedelta(0), vn(2024, 3, 2, 9, 0), "zero, off hours"),
    ],
)
def test_add_business_time(
    treasury: Calendar, start: datetime, duration: timedelta, due: datetime, why: str
) -> None:
    got = treasury.add_business_time(start, duration)
    assert got == due, why
    assert got.tzinfo == VN
    if duration:
        assert treasury.business_time_between(start, got) == duration


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (vn(2024, 3, 1, 16, 0), vn(2024, 3, 4, 8, 0), H),
        (vn(2024, 3, 4, 11, 0), vn(2024, 3, 4, 13, 30), H),
        (vn(2024, 3, 4, 0, 0), vn(2024, 3, 11, 0, 0), 37 * H + 30 * M),
        (vn(2024, 2, 8, 0, 0), vn(2024, 2, 15, 0, 0), timedelta(0)),
        (vn(2024, 3, 4, 10, 0), vn(2024, 3, 4, 9, 0), -H),
    ],
)
def test_business_time_between(
    treasury: Calendar, a: datetime, b: datetime, expected: timedelta
) -> None:
    assert treasury.business_time_between(a, b) == expected


def test_working_days_in_2024(treasury: Calendar) -> None:
    """262 weekdays − 12 weekday holidays + the 4 May working Saturday."""
    year = treasury.business_time_between(vn(2024, 1, 1), vn(2025, 1, 1))
    assert year == 251 * (7 * H + 30 * M)


def test_very_long_durations_are_cheap(treasury: Calendar) -> None:
    start = vn(2024, 1, 2, 8, 0)
    t0 = walltime.perf_counter()
    for _ in range(1000):
        due = treasury.add_business_time(start, 10_000 * H)
    assert walltime.perf_counter() - t0 < 0.5
    assert treasury.business_time_between(start, due) == 10_000 * H
    with pytest.raises(CalendarRangeError):
        treasury.add_business_time(start, 1_000_000 * H)


@settings(max_examples=150, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2021, 1, 1), max_value=datetime(2034, 1, 1)),
    minutes=st.integers(min_value=1, max_value=200_000),
)
def test_add_then_measure_round_trips(treasury: Calendar, start: datetime, minutes: int) -> None:
    start = start.replace(tzinfo=VN)
    due = treasury.add_business_time(start, minutes * M)
    assert due > start
    assert treasury.is_working_time(due - timedelta(microseconds=1))
    assert treasury.business_time_between(start, due) == minutes * M


@pytest.mark.parametrize(
    ("start", "duration", "due"),
    [
        (vn(2024, 2, 9, 23, 0), 2 * H, vn(2024, 2, 10, 1, 0)),  # Tết eve night
        (vn(2024, 3, 1, 17, 0), H, vn(2024, 3, 1, 18, 0)),  # Friday evening
        (vn(2024, 4, 30, 12, 0), 48 * H, vn(2024, 5, 2, 12, 0)),  # holidays count
    ],
)
def test_twenty_four_seven_counts_nights_and_holidays(
    always: Calendar, start: datetime, duration: timedelta, due: datetime
) -> None:
    assert always.is_working_time(start)
    assert always.add_business_time(start, duration) == due
    assert always.business_time_between(start, due) == duration


@pytest.mark.parametrize("name", ["treasury", "always"])
def test_naive_datetimes_are_refused(calendars: dict[str, Calendar], name: str) -> None:
    cal = calendars[name]
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.is_working_time(datetime(2024, 3, 4, 9, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_business_time(datetime(2024, 3, 4, 9, 0), H)


def test_outside_the_calendar_range(treasury: Calendar) -> None:
    with pytest.raises(CalendarRangeError, match="outside"):
        treasury.is_working_time(vn(2009, 6, 3, 9, 0))


# -- loader errors ---------------------------------------------------------------------------

GOOD = (Path(__file__).resolve().parents[3] / "catalog" / "sla.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "field", "reason", "line_text"),
    [
        (
            "response: 30m, resolution: 8h",
            "response: 30x, resolution: 8h",
            "policies.standard.targets.P2.response",
            "duration",
            "P2: {response: 30x",
        ),
        ('["07:30", "11:30"]', "[07:30, 11:30]", "calendars.treasury.hours", "quoted", "hours:"),
        ("    policy: ito\n", "    policy: itto\n", "", "unknown policy 'itto'", None),
        (
            "      P4: {response: 4h, resolution: 40h}\n",
            "",
            "policies.standard.targets",
            "missing priorities: P4",
            "targets:",
        ),
        (
            "from: {month: 12, day: 20}",
            "from: {month: 2, day: 30}",
            "seasons[0].from",
            "day is out of range",
            "from:",
        ),
    ],
)
def test_sla_config_errors_name_file_line_field_and_reason(
    tmp_path: Path, old: str, new: str, field: str, reason: str, line_text: str | None
) -> None:
    assert old in GOOD
    bad = GOOD.replace(old, new, 1)
    (tmp_path / "sla.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(SlaConfigError) as info:
        load_sla_policy(tmp_path)
    err = info.value
    assert err.file.name == "sla.yaml"
    assert isinstance(err, CatalogError) and str(err).startswith(f"{err.file.parent.name}/sla.yaml")
    assert err.field == field
    assert reason in err.reason
    if line_text is not None:
        assert err.line is not None
        assert line_text in bad.splitlines()[err.line - 1]


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    (tmp_path / "sla.yaml").write_text("version: 1\ntimezone: [oops\n", encoding="utf-8")
    with pytest.raises(SlaConfigError, match="invalid YAML") as info:
        load_sla_policy(tmp_path)
    assert info.value.line is not None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("2024:\n    source: x\n    days_off: {2024-05-04: sat}\n", "weekend"),
        ("2024:\n    source: x\n    days_off: {2025-01-02: y}\n", "another year"),
        (
            "2024:\n    source: x\n    days_off: {2024-04-29: a}\n    working_days: {2024-04-29: b}\n",
            "both off and worked",
        ),
    ],
)
def test_adjustment_errors(tmp_path: Path, body: str, reason: str) -> None:
    path = tmp_path / "calendar_adjustments.yaml"
    path.write_text("country: VN\nyears:\n  " + body, encoding="utf-8")
    with pytest.raises(SlaConfigError, match=reason) as info:
        load_adjustments(path)
    assert info.value.file == path


def test_every_problem_is_reported(tmp_path: Path) -> None:
    bad = GOOD.replace("response: 30m", "response: 30x", 1).replace(
        "resolution: 40h", "resolution: 4", 1
    )
    (tmp_path / "sla.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(SlaConfigError) as info:
        load_sla_policy(tmp_path)
    fields = [p.field for p in info.value.problems]
    assert fields == [
        "policies.standard.targets.P2.response",
        "policies.standard.targets.P4.resolution",
    ]
