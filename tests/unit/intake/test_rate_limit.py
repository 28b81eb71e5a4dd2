"""The public form's per-address token bucket, on a clock the test moves."""

from __future__ import annotations

from services.intake.domain.rate_limit import RateLimiter


def test_a_burst_passes_then_the_address_waits_for_the_refill() -> None:
    limiter = RateLimiter(per_minute=60, burst=3)
    assert [limiter.take("10.0.0.1", 0.0) for _ in range(3)] == [0, 0, 0]
    assert limiter.take("10.0.0.1", 0.0) == 1
    assert limiter.take("10.0.0.2", 0.0) == 0  # another address has its own bucket
    assert limiter.take("10.0.0.1", 1.0) == 0


def test_forgotten_addresses_do_not_grow_the_table_without_bound() -> None:
    limiter = RateLimiter(per_minute=60, burst=2, max_keys=100)
    for i in range(1000):
        limiter.take(f"a{i}", float(i))
    assert len(limiter._buckets) <= 100
