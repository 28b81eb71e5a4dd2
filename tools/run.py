"""`make run`: the whole suite on one machine, on the embedded default or on existing servers."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from libs.events.relay import ensure_topics
from libs.events.topics import ALL_TOPICS
from libs.platform.caller import new_internal_key
from services.reporting.adapters.analyst_role import analyst_settings, psql_command
from tools.embedded import Broker, postgres_running, start_postgres, stop_postgres
from tools.estate import EstateProcess
from tools.state_lock import lock_holder, take_state_lock
from tools.suite import ROOT, SERVICES, Suite
from tools.supervisor import Supervisor, Watched

STATE = Path(os.environ.get("HOTRO_STATE_DIR", ROOT / ".hotro"))


def kept_secret(path: Path, env: str, make: Callable[[], str]) -> tuple[str, bool]:
    """`env` when set, else the value kept under the state folder, made on the first run."""
    if os.environ.get(env):
        return os.environ[env], False
    if path.exists():
        return path.read_text().strip(), False
    value = make()
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value, True


def one_instance(state: Path) -> IO[str] | None:
    """The state folder's lock, or None when another `make run` holds it (it is left alone)."""
    handle = take_state_lock(state)
    if handle is None:
        print(
            f"Hotro is already running from {state} (pid {lock_holder(state)}); nothing was"
            " started or stopped. Stop it first (Ctrl-C in its terminal), or set"
            " HOTRO_STATE_DIR for a second, separate instance.",
            file=sys.stderr,
        )
    return handle


def service_ports() -> dict[str, int]:
    """8000 for the gateway, 8001… for the rest; HOTRO_<SERVICE>_PORT moves one."""
    return {
        name: int(os.environ.get(f"HOTRO_{name.upper()}_PORT", 8000 + i))
        for i, name in enumerate(SERVICES)
    }


def main() -> int:
    STATE.mkdir(parents=True, exist_ok=True)
    lock = one_instance(STATE)
    if lock is None:
        return 1
    log_dir = STATE / "logs"
    pg_dir = STATE / "postgres"
    pg_port = int(os.environ.get("HOTRO_PG_PORT", "54329"))
    database_url = os.environ.get("DATABASE_URL")
    embedded_pg = not database_url
    if embedded_pg:
        database_url = start_postgres(pg_dir, pg_port)
    broker = None
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if not bootstrap:
        broker = Broker(int(os.environ.get("HOTRO_BROKER_PORT", "19092")), log_dir / "broker.log")
        broker.start()
        bootstrap = broker.bootstrap
    assert database_url is not None
    asyncio.run(ensure_topics(bootstrap, list(ALL_TOPICS)))
    token, fresh = kept_secret(
        STATE / "admin-token", "HOTRO_ADMIN_TOKEN", lambda: secrets.token_urlsafe(32)
    )
    internal_key, _ = kept_secret(STATE / "internal-key", "HOTRO_INTERNAL_KEY", new_internal_key)
    ports = service_ports()
    extra_env = {"HOTRO_MAIL_SINK_DIR": str(STATE / "outbox"), "HOTRO_STATE_DIR": str(STATE)}
    estate = None
    if not os.environ.get("HOTRO_CHECKS_FILE"):
        # The shipped checks name the treasury's real hosts; here they point at a simulator.
        estate = EstateProcess(
            state=STATE, checks_out=STATE / "estate" / "checks.yaml", log=log_dir / "estate.log"
        ).start()
        extra_env["HOTRO_CHECKS_FILE"] = str(estate.checks_out)
    suite = Suite(
        database_url,
        bootstrap,
        log_dir,
        ports,
        token,
        internal_key=internal_key,
        extra_env=extra_env,
    )
    supervisor = Supervisor(suite, log_dir / "supervisor.log")
    if broker is not None:
        running_broker = broker
        supervisor.watched["broker"] = Watched(
            lambda: running_broker.process is not None and running_broker.process.poll() is None,
            running_broker.start,
        )
    if estate is not None:
        supervisor.watched["simulated estate"] = Watched(estate.is_alive, estate.restart)
    if embedded_pg:
        supervisor.watched["postgresql"] = Watched(
            lambda: postgres_running(pg_dir), lambda: start_postgres(pg_dir, pg_port) and None
        )
    suite.start_all()
    for name in SERVICES:
        supervisor.started(name)
    stop = False

    def on_signal(*_: object) -> None:
        nonlocal stop
        stop = True

    try:
        suite.wait_ready(timeout_s=120)
        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        print(
            f"\nHotro is running. Gateway: http://127.0.0.1:{ports['intake']}  (API docs at /docs)"
        )
        print(
            f"  PostgreSQL: {database_url}\n  Kafka: {bootstrap}\n  Logs: {log_dir}/<service>.log"
        )
        print("  Sent mail (local sink): " + str(STATE / "outbox"))
        if estate is not None:
            print(
                "  Simulated estate (checks point at it): python -m tools.estate status"
                " | down TABMIS | up TABMIS"
            )
        print("  Analysts (read-only SQL): " + psql_command(database_url, analyst_settings()))
        if fresh:
            print(f"  Bootstrap admin token (shown once, kept in {STATE / 'admin-token'}): {token}")
        else:
            print(f"  Admin token: in {STATE / 'admin-token'} or HOTRO_ADMIN_TOKEN")
        print("A service that exits is restarted. Press Ctrl-C to stop.\n", flush=True)
        while not stop:
            supervisor.tick()
            time.sleep(0.5)
    finally:
        print("Stopping…", flush=True)
        suite.stop_all()
        if estate is not None:
            estate.stop()
        if broker:
            broker.stop()
        if embedded_pg:
            stop_postgres(pg_dir)
        lock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
