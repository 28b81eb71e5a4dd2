"""The kit loop that runs the morning round at 07:00 of each working day (and catches up).

It looks at the injected clock at least once a second (so a test's shifted clock, or a clock
that jumps, is noticed at once), asks `next_step` what today's round needs, and does it. At
start-up that is also how a round missed while the service was down, or cut off by a crash,
gets run, resumed or reported. A step that fails (the database, the mail relay) is retried
after `RETRY_S`; the round's own progress makes the retry safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from prometheus_client import Counter

from services.monitoring.adapters.round_runner import Clock, MorningRound
from services.monitoring.domain.morning_round import RoundTimes, WorkingDays, next_step
from services.monitoring.domain.readiness_round import RunInProgress

log = logging.getLogger(__name__)

POLL_S = 1.0
RETRY_S = 30.0
ROUNDS = Counter(
    "hotro_readiness_rounds_total", "Morning rounds started by the scheduler", ["trigger"]
)


async def tick(round_: MorningRound, calendar: WorkingDays, times: RoundTimes, clock: Clock) -> str:
    """One look at the clock and one step; the action taken (for tests and logs)."""
    now = clock()
    day = times.day_of(now)
    step = next_step(now, calendar, times, await round_.progress(day.isoformat()))
    if step.action == "start":
        trigger = "catch_up" if step.late else "schedule"
        ROUNDS.labels(trigger).inc()
        try:
            await round_.run(day, trigger, "scheduler", step.late)
        except RunInProgress:
            return "wait"
    elif step.action in ("resume", "report"):
        await round_.carry_on(day)
    return step.action


async def schedule_rounds(
    round_: MorningRound,
    calendar: WorkingDays,
    times: RoundTimes,
    clock: Clock,
    stop: asyncio.Event,
) -> None:
    """Until `stop`: every working day's round at its time, and whatever is left of today's."""
    try:
        while not stop.is_set():
            pause = POLL_S
            try:
                await tick(round_, calendar, times, clock)
            except Exception:
                log.exception("morning round step failed; retrying in %ss", RETRY_S)
                pause = RETRY_S
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)
    finally:
        await round_.close()
