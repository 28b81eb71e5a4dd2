"""The faults of a chaos run: a seeded schedule, and the hands that carry it out.

`plan` spreads the kills over the run so that each of the five services dies about as often
as the others, and places the broker and PostgreSQL restarts between them; the same seed
gives the same schedule. `Faults` kills a service with SIGKILL (no clean shutdown: whatever it
had in memory is gone) and lets `tools/supervisor.py` start it again, exactly as `make run`
would; the broker comes back empty (memory storage) and PostgreSQL after a short outage.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import psycopg

from tools.embedded import start_postgres, stop_postgres
from tools.suite import SERVICES, Suite
from tools.supervisor import RestartPolicy, Supervisor

KILL, BROKER, POSTGRES = "kill", "broker", "postgres"
#: Restarts come quickly (a crash loop is not what is being tested) but still back off.
FAST_RESTARTS = RestartPolicy(first_delay_s=0.5, max_delay_s=4.0, stable_after_s=10.0)


@dataclass(frozen=True)
class Fault:
    at_s: float
    kind: str
    target: str = ""

    def __str__(self) -> str:
        what = f"kill -9 {self.target}" if self.kind == KILL else f"restart {self.kind}"
        return f"{self.at_s:6.1f} s  {what}"


def plan(
    rng: random.Random, duration_s: float, kills: int, broker_restarts: int, pg_restarts: int
) -> list[Fault]:
    """Kills at random times in the run's middle 75 %, the victims taken round the five
    services in a shuffled order; infrastructure restarts evenly spaced, with some jitter."""
    start, end = 0.1 * duration_s, 0.85 * duration_s
    order = list(SERVICES)
    rng.shuffle(order)
    victims = [order[i % len(order)] for i in range(kills)]
    times = sorted(rng.uniform(start, end) for _ in victims)
    faults = [Fault(round(t, 1), KILL, v) for t, v in zip(times, victims, strict=True)]
    infra = [BROKER] * broker_restarts + [POSTGRES] * pg_restarts
    rng.shuffle(infra)
    step = (end - start) / max(1, len(infra))
    for i, kind in enumerate(infra):
        at = start + step * (i + rng.uniform(0.25, 0.75))
        faults.append(Fault(round(at, 1), kind))
    return sorted(faults, key=lambda f: f.at_s)


def postgres_restarter(admin_url: str, rng: random.Random) -> Callable[[], None]:
    """Stop and start the embedded PostgreSQL behind `admin_url` (tools/embedded.py), found by
    asking the server for its data directory: the same for tests and `make chaos`."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        row = conn.execute("SHOW data_directory").fetchone()
    assert row is not None
    datadir, port = Path(row[0]), urlparse(admin_url).port or 5432

    def restart() -> None:
        stop_postgres(datadir)
        time.sleep(rng.uniform(0.5, 2.0))  # an outage, not just a blink
        start_postgres(datadir, port, database="postgres")

    return restart


@dataclass
class Faults:
    suite: Suite
    restart_broker: Callable[[], None]
    restart_postgres: Callable[[], None]
    log_file: Path
    done: list[Fault] = field(default_factory=list)
    kills: Counter[str] = field(default_factory=Counter)
    restarts: Counter[str] = field(default_factory=Counter)
    #: Exits we did not cause (SIGKILL is ours): a service that crashed by itself.
    unplanned_exits: list[str] = field(default_factory=list)
    #: When (time.monotonic()) the last broker restart was over: it forgot all before.
    broker_back_at: float = 0.0
    _seen_exits: set[int] = field(default_factory=set)
    _pids: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.supervisor = Supervisor(self.suite, self.log_file, FAST_RESTARTS)
        for name in SERVICES:
            self.supervisor.started(name)
            self._pids[name] = self.suite.processes[name].pid

    async def carry_out(self, schedule: list[Fault], started: float) -> None:
        for fault in schedule:
            await asyncio.sleep(max(0.0, started + fault.at_s - time.monotonic()))
            await self.inflict(fault)

    async def inflict(self, fault: Fault) -> None:
        if fault.kind == KILL:
            await self._kill(fault.target)
        elif fault.kind == BROKER:
            await asyncio.to_thread(self.restart_broker)
            self.broker_back_at = time.monotonic()
        else:
            await asyncio.to_thread(self.restart_postgres)
        self.done.append(fault)
        self.supervisor.say(f"chaos: {fault}")

    async def _kill(self, service: str) -> None:
        """SIGKILL the service; one still down from an earlier kill is killed once it is back."""
        deadline = time.monotonic() + 60
        while self.suite.processes[service].poll() is not None and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        process = self.suite.processes[service]
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            self._seen_exits.add(process.pid)
            self.kills[service] += 1

    async def supervise(self, stop: asyncio.Event) -> None:
        """The supervisor's loop, as `make run` runs it, until `stop` is set."""
        while not stop.is_set():
            self._note_exits()
            await asyncio.to_thread(self.supervisor.tick)
            for name, process in self.suite.processes.items():
                if self._pids.get(name) != process.pid:
                    self._pids[name] = process.pid
                    self.restarts[name] += 1
            await asyncio.sleep(0.25)

    def _note_exits(self) -> None:
        for name, process in self.suite.processes.items():
            code = process.poll()
            if code is not None and process.pid not in self._seen_exits:
                self._seen_exits.add(process.pid)
                self.unplanned_exits.append(f"{name} exited with {code}")

    def all_running(self) -> bool:
        return all(p.poll() is None for p in self.suite.processes.values())
