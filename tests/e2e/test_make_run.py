"""`make run` as a newcomer meets it: one instance per state folder, crashed services restarted,
Ctrl-C stops everything cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from libs.platform.caller import ASSERTION_HEADER, Caller, sign_call
from tests.support.tickets import wait_until
from tools.embedded import free_port, remove_tree
from tools.suite import ROOT, SERVICES


def _text(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _run_env(state: Path, ports: dict[str, int]) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "HOTRO_ADMIN_TOKEN")
    }
    env.update(
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
        HOTRO_STATE_DIR=str(state),
        HOTRO_REBALANCE_TIMEOUT_S="3",
        **{f"HOTRO_{name.upper()}_PORT": str(port) for name, port in ports.items()},
    )
    return env


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[subprocess.Popen[str], Path, dict[str, int]]]:
    # Under the project (not /tmp/pytest-of-root, 0700): PostgreSQL runs as its own user.
    state = ROOT / ".hotro" / "test" / f"run-{uuid.uuid4().hex[:8]}"
    state.mkdir(parents=True)
    ports = {name: free_port() for name in (*SERVICES, "smtp", "pg", "broker")}
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.run"],
        cwd=ROOT,
        env=_run_env(state, ports),
        stdout=(state / "console.log").open("w"),
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until(
            lambda: "Hotro is running" in _text(state / "console.log"),
            180,
            "make run to be ready",
        )
        yield process, state, ports
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
        print(_text(state / "console.log")[-4000:])  # shown when a test of the module fails
        remove_tree(state)


def _service_pid(service: str, state: Path) -> int:
    """The pid of this instance's process of `service` (from /proc: no tool needed)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"services.{service}.main".encode() in cmdline and (
            f"HOTRO_STATE_DIR={state}".encode() in environ
        ):
            return int(entry.name)
    raise LookupError(f"no {service} process for {state}")


def test_a_second_start_on_the_same_state_folder_says_so_and_touches_nothing(
    running: tuple[subprocess.Popen[str], Path, dict[str, int]],
) -> None:
    _, state, ports = running
    second = subprocess.run(
        [sys.executable, "-m", "tools.run"],
        cwd=ROOT,
        env=_run_env(state, {**ports, "intake": free_port()}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 1
    assert "already running" in second.stderr
    time.sleep(1)
    assert all(_ready(ports[name]) for name in SERVICES), "the first instance was disturbed"


def _checks(state: Path, ports: dict[str, int]) -> dict[str, dict[str, object]]:
    """Monitoring's view of the estate, asked as the gateway would (signed)."""
    key = (state / "internal-key").read_text().strip().encode()
    target = "/api/v1/checks"
    signed = sign_call(Caller("test", "admin"), "GET", target, b"", key)
    answer = httpx.get(
        f"http://127.0.0.1:{ports['monitoring']}{target}",
        headers={ASSERTION_HEADER: signed},
        timeout=10,
    )
    answer.raise_for_status()
    return {c["id"]: c for c in answer.json()["data"]}


def test_the_shipped_checks_probe_the_simulated_estate_and_pass(
    running: tuple[subprocess.Popen[str], Path, dict[str, int]],
) -> None:
    _, state, ports = running
    assert (state / "estate" / "checks.yaml").exists()

    def tabmis_probed_ok() -> bool:
        checks = _checks(state, ports)
        tabmis = [c for c in checks.values() if c["application"] == "TABMIS"]
        results = [c["last_result"] for c in tabmis]
        return bool(tabmis) and all(r and r["ok"] for r in results)  # type: ignore[index]

    wait_until(tabmis_probed_ok, 120, "TABMIS's checks to pass against the simulator")
    status = subprocess.run(
        [sys.executable, "-m", "tools.estate", "status"],
        cwd=ROOT,
        env=_run_env(state, ports),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert status.returncode == 0, status.stderr
    assert "tabmis" in status.stdout.lower()


def test_a_service_killed_with_sigkill_is_restarted_by_the_supervisor(
    running: tuple[subprocess.Popen[str], Path, dict[str, int]],
) -> None:
    _, state, ports = running
    victim = _service_pid("routing", state)
    os.kill(victim, signal.SIGKILL)
    wait_until(
        lambda: "routing restarted" in _text(state / "logs" / "supervisor.log"),
        60,
        "the supervisor to restart routing",
    )
    wait_until(lambda: _ready(ports["routing"]), 90, "routing to be ready again")
    assert _service_pid("routing", state) != victim
    console = (state / "console.log").read_text()
    assert "routing exited with -9" in console


def test_ctrl_c_stops_every_process_cleanly(
    running: tuple[subprocess.Popen[str], Path, dict[str, int]],
) -> None:
    process, state, ports = running
    process.send_signal(signal.SIGINT)
    assert process.wait(90) == 0
    assert not any(_ready(ports[name]) for name in SERVICES)
    assert not (state / "postgres" / "postmaster.pid").exists()
