"""Deflection (ServiceNow's definition), as a plain rule of times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.knowledge.domain.deflection import outcome, session_problem

OPENED = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


def test_no_submission_within_the_window_is_a_deflection() -> None:
    assert outcome(OPENED, None, OPENED + DAY, DAY) == "deflected"
    assert (
        outcome(OPENED, OPENED + DAY + timedelta(minutes=1), OPENED + 2 * DAY, DAY) == "deflected"
    )


def test_a_submission_within_the_window_is_not() -> None:
    assert outcome(OPENED, OPENED + timedelta(hours=3), OPENED + 2 * DAY, DAY) == "submitted"


def test_before_the_window_has_passed_the_outcome_is_pending() -> None:
    assert outcome(OPENED, None, OPENED + timedelta(hours=23), DAY) == "pending"


def test_a_form_session_id_is_bounded_and_plain() -> None:
    assert session_problem(None) is None
    assert session_problem("a1b2c3d4e5") is None
    assert session_problem("short") is not None
    assert session_problem("has spaces in it") is not None
