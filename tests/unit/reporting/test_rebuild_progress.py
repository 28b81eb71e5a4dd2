"""The figures a rebuild shows: percent, rate and time left, the same on the CLI and the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.reporting.domain.rebuild_progress import Progress, progress_bar

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_percent_rate_and_time_left() -> None:
    p = Progress(
        events_done=2500, events_total=10_000, started_at=T0, now=T0 + timedelta(seconds=5)
    )
    assert (p.percent, p.rate_per_s, p.seconds_left) == (25.0, 500.0, 15.0)
    assert progress_bar(p).startswith("[#######-----------------------]  25.0 %")
    assert "2,500/10,000 events" in progress_bar(p) and "~15 s left" in progress_bar(p)


def test_a_republished_log_grows_the_total_and_never_reaches_100_before_the_swap() -> None:
    p = Progress(
        events_done=12_000, events_total=10_000, started_at=T0, now=T0 + timedelta(seconds=2)
    )
    assert p.total == 12_000 and p.percent == 99.9 and p.seconds_left == 0.0
    done = Progress(12_000, 10_000, T0, T0 + timedelta(seconds=3), finished=True)
    assert done.percent == 100.0 and done.seconds_left == 0.0


def test_nothing_read_yet_has_no_rate_and_no_estimate() -> None:
    p = Progress(events_done=0, events_total=0, started_at=T0, now=T0)
    assert (p.percent, p.rate_per_s, p.seconds_left) == (0.0, 0.0, None)
