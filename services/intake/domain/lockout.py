"""The failed-token lockout (issue 17): an address that presents too many unknown tokens is
refused for a while. Pure, on an injected clock.

Failures are counted per client address, never per token or account: a lockout keyed on what
the attacker sends (a user name, a token prefix) would let anyone disable someone else's
token by failing with it. Here an attacker can only lock out the address they send from.
A success does not clear the count, or one valid token would let its holder guess for free.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class FailureLockout:
    """`max_failures` within `window_s` locks the address for `lockout_s`; 0 turns it off."""

    max_failures: int = 20
    window_s: float = 300.0
    lockout_s: float = 900.0
    max_keys: int = 100_000
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _locked_until: dict[str, float] = field(default_factory=dict)

    def locked_for(self, key: str, now: float) -> float:
        """Seconds left of `key`'s lockout; 0 when it may try."""
        until = self._locked_until.get(key)
        if until is None:
            return 0.0
        if until <= now:
            del self._locked_until[key]
            return 0.0
        return until - now

    def failed(self, key: str, now: float) -> float:
        """Record one failure; the lockout it starts (seconds), or 0 if still below the limit."""
        if self.max_failures <= 0:
            return 0.0
        times = self._failures.get(key)
        if times is None:
            if len(self._failures) >= self.max_keys:
                self._forget_old(now)
            times = self._failures[key] = deque()
        times.append(now)
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if len(times) < self.max_failures:
            return 0.0
        del self._failures[key]
        self._locked_until[key] = now + self.lockout_s
        return self.lockout_s

    def _forget_old(self, now: float) -> None:
        """Drop counts whose failures all left the window, and finished lockouts; a flood
        of fresh addresses beyond `max_keys` clears the counts (never a running lockout)."""
        self._failures = {
            k: t for k, t in self._failures.items() if t and t[-1] > now - self.window_s
        }
        self._locked_until = {k: u for k, u in self._locked_until.items() if u > now}
        if len(self._failures) >= self.max_keys:
            self._failures.clear()
