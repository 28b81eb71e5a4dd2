"""Starting the simulated estate as a process of its own (for `make run` and the tests).

Ready means `control.json` carries the new process's pid: by then every port serves and the
checks file is written (serve.py), so the caller may start the monitoring service at once.
`is_alive` and `restart` fit the supervisor of `make run` (tools/supervisor.py `Watched`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class EstateProcess:
    state: Path  # HOTRO_STATE_DIR of the estate
    checks_out: Path
    log: Path
    checks_in: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def control_file(self) -> Path:
        return self.state / "estate" / "control.json"

    def command(self) -> list[str]:
        line = [sys.executable, "-m", "tools.estate", "serve", "--checks-out", str(self.checks_out)]
        return line + (["--checks-in", str(self.checks_in)] if self.checks_in else [])

    def start(self, timeout_s: float = 30.0) -> EstateProcess:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "HOTRO_STATE_DIR": str(self.state), "PYTHONPATH": str(ROOT)}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), cwd=ROOT, env={**env, **self.env}, stdout=log, stderr=log
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the simulated estate exited; see {self.log}")
            if self._ready():
                return self
            time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"the simulated estate was not ready after {timeout_s}s; see {self.log}")

    def _ready(self) -> bool:
        try:
            info = json.loads(self.control_file.read_text())
        except (OSError, ValueError):
            return False
        return self.process is not None and info.get("pid") == self.process.pid

    def is_alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def restart(self) -> None:
        self.stop()
        self.start()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
