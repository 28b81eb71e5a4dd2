"""Keeps the suite of `make run` alive, as systemd or Kubernetes would.

A service that exits is started again after a delay that doubles with each failure in a row
(1 s, 2 s, 4 s … at most a minute) and is forgotten once it has stayed up for a minute, so a
crash loop does not spin the machine and a rare crash restarts at once. The broker and the
embedded PostgreSQL are watched the same way. Each event is a line on the console and in
`logs/supervisor.log`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tools.suite import Suite


@dataclass(frozen=True)
class RestartPolicy:
    first_delay_s: float = 1.0
    max_delay_s: float = 60.0
    stable_after_s: float = 60.0

    def delay_after(self, failures_in_a_row: int) -> float:
        return min(self.max_delay_s, self.first_delay_s * 2 ** max(0, failures_in_a_row - 1))


@dataclass
class Watched:
    """Something that is not a service process but must stay up (the broker, PostgreSQL)."""

    is_alive: Callable[[], bool]
    restart: Callable[[], None]


@dataclass
class Supervisor:
    suite: Suite
    log_file: Path
    policy: RestartPolicy = field(default_factory=RestartPolicy)
    watched: dict[str, Watched] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, int] = field(default_factory=dict)
    _started_at: dict[str, float] = field(default_factory=dict)
    _restart_at: dict[str, float] = field(default_factory=dict)

    def say(self, line: str) -> None:
        stamp = datetime.now(UTC).astimezone().isoformat(timespec="seconds")
        print(f"[supervisor] {line}", flush=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("a", encoding="utf-8") as log:
            log.write(f"{stamp} {line}\n")

    def started(self, name: str) -> None:
        self._started_at[name] = self.clock()

    def tick(self) -> None:
        """One look at everything: restart what is due, schedule what has just died."""
        for name, thing in self.watched.items():
            if not thing.is_alive():
                self.say(f"{name} is down; starting it again")
                try:
                    thing.restart()
                    self.say(f"{name} is back")
                except Exception as error:  # keep supervising the rest
                    self.say(f"{name} could not be started: {error!r}")
        for name in list(self.suite.processes):
            self._look_at(name)

    def _look_at(self, name: str) -> None:
        now = self.clock()
        due = self._restart_at.get(name)
        if due is not None:
            if now >= due:
                del self._restart_at[name]
                self.suite.start(name)
                self._started_at[name] = now
                self.say(f"{name} restarted (pid {self.suite.processes[name].pid})")
            return
        code = self.suite.processes[name].poll()
        if code is None:
            return
        if now - self._started_at.get(name, now) >= self.policy.stable_after_s:
            self._failures[name] = 0
        self._failures[name] = self._failures.get(name, 0) + 1
        delay = self.policy.delay_after(self._failures[name])
        self._restart_at[name] = now + delay
        self.say(
            f"{name} exited with {code}; restarting in {delay:g} s"
            f" (failure {self._failures[name]} in a row; see {self.suite.log_dir}/{name}.log)"
        )
