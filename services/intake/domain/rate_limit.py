"""Rate limits of what reaches Hotro without a token (SPEC §8): every unauthenticated request
of the gateway per client address, and SMTP per sender; token buckets on an injected clock.

A bucket holds `burst` tokens and refills at `per_minute`; a request takes one. The refusal
says how long to wait (HTTP Retry-After). Buckets of addresses that went quiet are forgotten,
so a scan from many addresses cannot grow the table without bound.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass, field
from fnmatch import fnmatchcase


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class RateLimiter:
    per_minute: float
    burst: int
    max_keys: int = 100_000
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def take(self, key: str, now: float) -> float:
        """0 when allowed; else the seconds to wait before the next request can pass."""
        rate = self.per_minute / 60.0
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * rate)
        bucket.at = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return math.ceil((1 - bucket.tokens) / rate) if rate > 0 else 60.0

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled completely: they carry no information."""
        rate = self.per_minute / 60.0
        self._buckets = {
            k: b for k, b in self._buckets.items() if b.tokens + (now - b.at) * rate < self.burst
        }
        if len(self._buckets) >= self.max_keys:
            self._buckets.clear()


@dataclass(frozen=True)
class RateRule:
    """One class of unauthenticated requests and its per-address budget; the first rule whose
    method and path pattern (`fnmatch`, `*` crosses `/`) match decides. `per_minute` 0 = free."""

    name: str
    methods: frozenset[str]
    paths: tuple[str, ...]
    per_minute: float
    burst: int

    def matches(self, method: str, path: str) -> bool:
        return (not self.methods or method in self.methods) and any(
            fnmatchcase(path, pattern) for pattern in self.paths
        )

    def limiter(self) -> RateLimiter:
        return RateLimiter(per_minute=self.per_minute, burst=self.burst)


def rule_for(rules: tuple[RateRule, ...], method: str, path: str) -> RateRule | None:
    normalised = path.rstrip("/") or "/"
    return next((rule for rule in rules if rule.matches(method, normalised)), None)


def parse_rate(text: str) -> tuple[float, int]:
    """A rate setting, `PER_MINUTE/BURST` (`60/30`) or `0` for no limit."""
    per_minute, _, burst = text.strip().partition("/")
    try:
        rate, size = float(per_minute), int(burst or "0")
    except ValueError:
        raise ValueError(f"expected PER_MINUTE/BURST such as 60/30, or 0; got {text!r}") from None
    if rate < 0 or size < 0 or (rate > 0 and size < 1):
        raise ValueError(f"expected a positive rate and a burst of at least 1; got {text!r}")
    return rate, size


def address_key(host: str) -> str:
    """The bucket of a client address: IPv4 as is, IPv6 by its /64 (one site's subnet, whose
    addresses an attacker could otherwise rotate through at will)."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
