"""Starts the six services as separate processes (used by `make run` and the e2e tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from libs.platform.caller import new_internal_key

SERVICES = ("intake", "routing", "escalation", "monitoring", "reporting", "knowledge")
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Suite:
    database_url: str
    bootstrap: str
    log_dir: Path
    ports: dict[str, int]
    admin_token: str
    #: The key the gateway signs forwarded calls with (libs/platform/caller.py).
    internal_key: str = field(default_factory=new_internal_key)
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def env_for(self, service: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "DATABASE_URL": self.database_url,
                "KAFKA_BOOTSTRAP_SERVERS": self.bootstrap,
                "HOTRO_ADMIN_TOKEN": self.admin_token,
                "HOTRO_INTERNAL_KEY": self.internal_key,
                "PYTHONPATH": str(ROOT),
                "PYTHONUNBUFFERED": "1",
                "HOTRO_MAIL_SINK_DIR": str(self.log_dir / "outbox"),
            }
        )
        env.update({f"HOTRO_{name.upper()}_PORT": str(port) for name, port in self.ports.items()})
        env.update(self.extra_env)
        return env

    def start(self, service: str) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = (self.log_dir / f"{service}.log").open("ab")
        self.processes[service] = subprocess.Popen(
            [sys.executable, "-m", f"services.{service}.main"],
            cwd=ROOT,
            env=self.env_for(service),
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def start_all(self) -> None:
        for service in SERVICES:
            self.start(service)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def wait_ready(self, timeout_s: float = 60.0, services: tuple[str, ...] = SERVICES) -> None:
        deadline = time.monotonic() + timeout_s
        pending = set(services)
        while pending and time.monotonic() < deadline:
            for service in list(pending):
                process = self.processes.get(service)
                if process is not None and process.poll() is not None:
                    raise RuntimeError(
                        f"{service} exited with {process.returncode}; see {self.log_dir}/{service}.log"
                    )
                try:
                    if httpx.get(f"{self.url(service)}/readyz", timeout=1).status_code == 200:
                        pending.discard(service)
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
        if pending:
            raise TimeoutError(
                f"not ready after {timeout_s}s: {sorted(pending)} (logs in {self.log_dir})"
            )

    def stop(self, service: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes.pop(service, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self, service: str) -> None:
        self.stop(service, signal.SIGKILL)

    def stop_all(self) -> None:
        for service in list(self.processes):
            process = self.processes[service]
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for service in list(self.processes):
            self.stop(service)
