"""The supervisor's back-off: quick after a rare crash, slow in a crash loop, bounded."""

from __future__ import annotations

from tools.supervisor import RestartPolicy


def test_the_delay_doubles_with_each_failure_in_a_row_up_to_the_maximum() -> None:
    policy = RestartPolicy(first_delay_s=1, max_delay_s=60)
    assert [policy.delay_after(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_the_first_failure_restarts_after_the_first_delay() -> None:
    assert RestartPolicy(first_delay_s=0.5).delay_after(1) == 0.5
