"""One chaos run on a running suite: traffic, faults and poison at once, then settle and check."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tools.chaos.faults import Fault, Faults, plan, postgres_restarter
from tools.chaos.invariants import Checker, Findings
from tools.chaos.ledger import Ledger
from tools.chaos.load import Rates, Traffic
from tools.chaos.poison import Poison
from tools.suite import Suite

#: The suite's settings for a chaos run: the load comes from one address, so the per-address
#: and per-sender limits would refuse it (they are tested elsewhere); no probes of the
#: estate, so that after the run every log stops growing and "caught up" has one meaning.
#: A start-up that hangs (PostgreSQL restarted under it) gives up well within the settling.
CHAOS_ENV = {
    "HOTRO_STARTUP_TIMEOUT_S": "60",
    "HOTRO_RATE_SUBMIT": "0",
    "HOTRO_RATE_PUBLIC": "0",
    "HOTRO_RATE_SMTP_SENDER": "0",
    "HOTRO_CHECKER_ENABLED": "0",
    "HOTRO_REBALANCE_TIMEOUT_S": "3",
}


@dataclass(frozen=True)
class ChaosConfig:
    seed: int = 17
    duration_s: float = 30.0
    kills: int = 5
    broker_restarts: int = 1
    postgres_restarts: int = 1
    poison: int = 3
    rates: Rates = field(default_factory=Rates)
    #: How long clients keep retrying after the load stops.
    grace_s: float = 60.0
    settle_timeout_s: float = 180.0


@dataclass
class ChaosResult:
    config: ChaosConfig
    ledger: Ledger
    faults: Faults
    schedule: list[Fault]
    poison: Poison
    findings: Findings
    load_s: float
    drain_s: float
    #: From the last answer a client got to the first check that found everything in place.
    settle_s: float | None

    @property
    def problems(self) -> list[str]:
        return self.findings.problems()


def chaos(
    suite: Suite,
    config: ChaosConfig,
    *,
    admin_url: str,
    restart_broker: Callable[[], None],
) -> ChaosResult:
    """Run it (blocking). `admin_url` finds the embedded PostgreSQL to restart."""
    return asyncio.run(_chaos(suite, config, admin_url, restart_broker))


async def _chaos(
    suite: Suite, config: ChaosConfig, admin_url: str, restart_broker: Callable[[], None]
) -> ChaosResult:
    rng = random.Random(config.seed)
    run = f"{rng.getrandbits(16):04x}"
    ledger = Ledger(run)
    schedule = plan(
        rng, config.duration_s, config.kills, config.broker_restarts, config.postgres_restarts
    )
    faults = Faults(
        suite,
        restart_broker,
        postgres_restarter(admin_url, random.Random(config.seed + 1)),
        suite.log_dir / "chaos-supervisor.log",
    )
    poison = Poison(suite.bootstrap, suite.extra_env.get("HOTRO_TOPIC_PREFIX", ""), run)
    checker = Checker(suite, ledger, poison)
    traffic = Traffic(suite, ledger, config.rates, random.Random(config.seed + 2), config.grace_s)
    stop_supervising = asyncio.Event()
    supervising = asyncio.create_task(faults.supervise(stop_supervising))
    started = time.monotonic()
    try:
        inflicting = asyncio.create_task(faults.carry_out(schedule, started))
        poisoning = asyncio.create_task(_poison_now_and_then(poison, config, started))
        await traffic.run(config.duration_s)
        load_end = traffic.stopped_at
        await asyncio.gather(inflicting, poisoning)
        checker.poison_since = faults.broker_back_at
        drained = time.monotonic()
        findings, settle_s = await _settle(checker, config.settle_timeout_s)
    finally:
        stop_supervising.set()
        await supervising
    return ChaosResult(
        config,
        ledger,
        faults,
        schedule,
        poison,
        findings,
        load_s=load_end - started,
        drain_s=drained - load_end,
        settle_s=settle_s,
    )


async def _poison_now_and_then(poison: Poison, config: ChaosConfig, started: float) -> None:
    """Poison spread over the run, the last after every fault so that it must be found."""
    for i in range(config.poison):
        at = config.duration_s * (0.2 + 0.75 * (i + 1) / config.poison)
        await asyncio.sleep(max(0.0, started + at - time.monotonic()))
        for _ in range(20):
            if await poison.inject() is not None:
                break
            await asyncio.sleep(1.0)


async def _settle(checker: Checker, timeout_s: float) -> tuple[Findings, float | None]:
    """Check until nothing is missing any more, or the time is up (a bounded wait)."""
    start = time.monotonic()
    while True:
        findings = await checker.check()
        if not findings.may_still_heal():
            return findings, time.monotonic() - start
        if time.monotonic() - start > timeout_s:
            return findings, None
        await asyncio.sleep(1.0)
