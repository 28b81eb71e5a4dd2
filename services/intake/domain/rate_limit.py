"""Per-address rate limit of the public intake (SPEC §8), as token buckets on an injected clock.

A bucket holds `burst` tokens and refills at `per_minute`; a request takes one. The refusal
says how long to wait (HTTP Retry-After). Buckets of addresses that went quiet are forgotten,
so a scan from many addresses cannot grow the table without bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


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
