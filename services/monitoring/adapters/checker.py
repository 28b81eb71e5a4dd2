"""The continuous checker: every check at its own interval, many at once, none waiting on another.

Each check is scheduled on its own grid (first run at start, then every `interval_s` from
then, not from when the last run ended), runs as a task of its own, and waits only for a
slot of the concurrency bound (`asyncio.Semaphore`) — its timeout counts from when it got the
slot. A check whose previous run is still going skips that turn (counted) rather than piling
up; a hanging target holds one slot for at most its timeout and delays nobody else's
schedule. Time comes from an injected clock: tests call `run_due()` with a clock they move.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta

from libs.catalog.checks_model import Check
from services.monitoring.adapters.metrics import CHECK_DURATION, CHECK_RESULTS, CHECKS_SKIPPED
from services.monitoring.adapters.probes import Clock, run_probe
from services.monitoring.domain.evaluation import Observation, Result, evaluate

log = logging.getLogger(__name__)

Record = Callable[[Check, Result], Awaitable[object]]
Probe = Callable[[Check, Clock], Awaitable[Observation]]
#: The loop looks at the schedule at least this often (real seconds), whatever the clock says.
MAX_SLEEP_S = 1.0


class Checker:
    def __init__(
        self,
        checks: Iterable[Check],
        record: Record,
        clock: Clock,
        concurrency: int = 64,
        probe: Probe = run_probe,
    ) -> None:
        self.checks = [c for c in checks if c.interval_s > 0]
        self.record = record
        self.clock = clock
        self.probe = probe
        self.slots = asyncio.Semaphore(concurrency)
        self.running: dict[str, asyncio.Task[Result | None]] = {}
        self.next_due: dict[str, datetime] = {}

    async def check_once(self, check: Check) -> Result:
        """Probe, evaluate and record one check now (also what the morning round calls)."""
        async with self.slots:
            seen = await self.probe(check, self.clock)
        result = evaluate(check, seen)
        outcome = "degraded" if result.degraded else ("ok" if result.ok else "failed")
        CHECK_RESULTS.labels(check.kind, outcome).inc()
        CHECK_DURATION.labels(check.kind).observe(result.duration_ms / 1000)
        await self.record(check, result)
        return result

    async def _guarded(self, check: Check) -> Result | None:
        try:
            return await self.check_once(check)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("recording a check result failed", extra={"check_id": check.id})
            return None
        finally:
            self.running.pop(check.id, None)

    def run_due(self) -> list[asyncio.Task[Result | None]]:
        """Start every check that is due now; the tasks started."""
        now = self.clock()
        started = []
        for check in self.checks:
            due = self.next_due.setdefault(check.id, now)
            if due > now:
                continue
            step = timedelta(seconds=check.interval_s)
            following = due + step
            self.next_due[check.id] = following if following > now else now + step
            if check.id in self.running:
                CHECKS_SKIPPED.labels(check.kind).inc()
                continue
            task = asyncio.create_task(self._guarded(check), name=f"check:{check.id}")
            self.running[check.id] = task
            started.append(task)
        return started

    def seconds_to_next(self) -> float:
        if not self.next_due:
            return MAX_SLEEP_S
        wait = (min(self.next_due.values()) - self.clock()).total_seconds()
        return min(max(wait, 0.01), MAX_SLEEP_S)

    async def run(self, stop: asyncio.Event) -> None:
        """The kit loop: until `stop`, start what is due and sleep until the next one."""
        try:
            while not stop.is_set():
                self.run_due()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.seconds_to_next())
        finally:
            for task in list(self.running.values()):
                task.cancel()
            await asyncio.gather(*self.running.values(), return_exceptions=True)
