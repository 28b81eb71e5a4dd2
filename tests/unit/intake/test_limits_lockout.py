"""The failed-token lockout and the rules of the public rate limits: pure, on a moved clock."""

from __future__ import annotations

import pytest

from services.intake.api.limits import PUBLIC_RULES
from services.intake.domain.lockout import FailureLockout
from services.intake.domain.rate_limit import RateRule, address_key, parse_rate, rule_for


def test_an_address_is_locked_after_n_failures_within_the_window() -> None:
    lockout = FailureLockout(max_failures=3, window_s=60, lockout_s=120)
    assert [lockout.failed("10.0.0.9", t) for t in (0.0, 1.0)] == [0, 0]
    assert lockout.locked_for("10.0.0.9", 1.0) == 0
    assert lockout.failed("10.0.0.9", 2.0) == 120
    assert lockout.locked_for("10.0.0.9", 3.0) == pytest.approx(119)
    assert lockout.locked_for("10.0.0.9", 122.0) == 0  # the lockout ends by itself


def test_another_address_is_never_locked_by_someone_elses_failures() -> None:
    lockout = FailureLockout(max_failures=2, window_s=60, lockout_s=120)
    for t in range(10):
        lockout.failed("203.0.113.66", float(t))
    assert lockout.locked_for("203.0.113.66", 10.0) > 0
    assert lockout.locked_for("10.1.2.3", 10.0) == 0


def test_failures_older_than_the_window_do_not_count() -> None:
    lockout = FailureLockout(max_failures=3, window_s=60, lockout_s=120)
    assert [lockout.failed("a", t) for t in (0.0, 30.0, 61.0, 95.0)] == [0, 0, 0, 0]
    assert lockout.failed("a", 100.0) == 120  # 61, 95 and 100 are within one minute


def test_a_lockout_of_zero_failures_is_off() -> None:
    lockout = FailureLockout(max_failures=0)
    assert all(lockout.failed("a", float(t)) == 0 for t in range(100))
    assert lockout.locked_for("a", 100.0) == 0


def test_a_flood_of_addresses_does_not_grow_the_tables_without_bound() -> None:
    lockout = FailureLockout(max_failures=5, window_s=10, lockout_s=10, max_keys=100)
    for i in range(1000):
        lockout.failed(f"a{i}", float(i))
    assert len(lockout._failures) <= 100


def test_every_unauthenticated_request_falls_under_a_rule() -> None:
    names = {
        ("POST", "/api/v1/tickets"): "submit",
        ("POST", "/api/v1/tickets/"): "submit",
        ("GET", "/api/v1/tickets"): "public",
        ("POST", "/api/v1/status/subscriptions"): "subscribe",
        ("GET", "/api/v1/status"): "public",
        ("GET", "/status/feed.atom"): "public",
        ("DELETE", "/api/v1/tokens/x"): "public",
        ("GET", "/healthz"): "ops",
        ("GET", "/metrics"): "ops",
    }
    found = {key: getattr(rule_for(PUBLIC_RULES, *key), "name", None) for key in names}
    assert found == names


def test_a_rule_matches_by_method_and_glob() -> None:
    rule = RateRule("x", frozenset({"POST"}), ("/a/*",), 1, 1)
    assert rule.matches("POST", "/a/b/c") and not rule.matches("GET", "/a/b")
    assert not rule.matches("POST", "/b")


def test_rate_settings_are_per_minute_and_burst_or_zero() -> None:
    assert parse_rate("60/30") == (60.0, 30)
    assert parse_rate("0") == (0.0, 0)
    for bad in ("sixty", "10/0", "-1/3", "10/x"):
        with pytest.raises(ValueError, match=r"PER_MINUTE/BURST|positive"):
            parse_rate(bad)


def test_ipv6_clients_share_the_budget_of_their_64() -> None:
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:ffff::9")
    assert address_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:10.0.0.7") == "10.0.0.7"
    assert address_key("10.0.0.7") == "10.0.0.7" and address_key("unknown") == "unknown"
