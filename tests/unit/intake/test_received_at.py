"""When a caller may say a request was received (services/intake/domain/received.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.intake.domain.received import CLOCK_SKEW, received_at_problem

NOW = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)


def test_past_times_and_a_clocks_skew_are_accepted() -> None:
    for received in (NOW - timedelta(days=3650), NOW, NOW + CLOCK_SKEW):
        assert received_at_problem(received, NOW) is None


def test_a_time_ahead_of_the_skew_before_1970_or_without_offset_is_refused() -> None:
    ahead = received_at_problem(NOW + CLOCK_SKEW + timedelta(seconds=1), NOW)
    assert ahead is not None and "future" in ahead and "5 minutes" in ahead
    early = received_at_problem(datetime(1969, 12, 31, tzinfo=UTC), NOW)
    assert early is not None and "1970" in early
    naive = received_at_problem(datetime(2026, 1, 1), NOW)
    assert naive is not None and "offset" in naive


def test_the_message_names_the_field_the_caller_gave() -> None:
    ahead = received_at_problem(NOW + timedelta(hours=1), NOW, "called_at")
    assert ahead is not None and ahead.startswith("called_at ") and "received_at" not in ahead
