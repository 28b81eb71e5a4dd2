"""`make run`: the whole suite on one machine, on the embedded default or on existing servers."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
import time
from pathlib import Path

from libs.events.relay import ensure_topics
from libs.events.topics import ALL_TOPICS
from tools.embedded import Broker, start_postgres, stop_postgres
from tools.suite import ROOT, SERVICES, Suite

STATE = Path(os.environ.get("HOTRO_STATE_DIR", ROOT / ".hotro"))


def admin_token() -> tuple[str, bool]:
    """HOTRO_ADMIN_TOKEN, else one generated on the first run and kept under the state folder."""
    if os.environ.get("HOTRO_ADMIN_TOKEN"):
        return os.environ["HOTRO_ADMIN_TOKEN"], False
    path = STATE / "admin-token"
    if path.exists():
        return path.read_text().strip(), False
    token = secrets.token_urlsafe(32)
    path.write_text(token + "\n")
    path.chmod(0o600)
    return token, True


def main() -> int:
    STATE.mkdir(parents=True, exist_ok=True)
    log_dir = STATE / "logs"
    pg_dir = STATE / "postgres"
    database_url = os.environ.get("DATABASE_URL")
    embedded_pg = not database_url
    if embedded_pg:
        database_url = start_postgres(pg_dir, int(os.environ.get("HOTRO_PG_PORT", "54329")))
    broker = None
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if not bootstrap:
        broker = Broker(int(os.environ.get("HOTRO_BROKER_PORT", "19092")), log_dir / "broker.log")
        broker.start()
        bootstrap = broker.bootstrap
    assert database_url is not None
    asyncio.run(ensure_topics(bootstrap, list(ALL_TOPICS)))
    token, fresh = admin_token()
    ports = {name: 8000 + i for i, name in enumerate(SERVICES)}
    suite = Suite(
        database_url,
        bootstrap,
        log_dir,
        ports,
        token,
        extra_env={"HOTRO_MAIL_SINK_DIR": str(STATE / "outbox")},
    )
    suite.start_all()
    try:
        suite.wait_ready(timeout_s=120)
        print(
            f"\nHotro is running. Gateway: http://127.0.0.1:{ports['intake']}  (API docs at /docs)"
        )
        print(
            f"  PostgreSQL: {database_url}\n  Kafka: {bootstrap}\n  Logs: {log_dir}/<service>.log"
        )
        print("  Sent mail (local sink): " + str(STATE / "outbox"))
        if fresh:
            print(f"  Bootstrap admin token (shown once, kept in {STATE / 'admin-token'}): {token}")
        else:
            print(f"  Admin token: in {STATE / 'admin-token'} or HOTRO_ADMIN_TOKEN")
        print("Press Ctrl-C to stop.\n", flush=True)
        stop = False

        def on_signal(*_: object) -> None:
            nonlocal stop
            stop = True

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        while not stop:
            for name, process in suite.processes.items():
                if process.poll() is not None:
                    print(f"{name} exited ({process.returncode}); see {log_dir}/{name}.log")
                    stop = True
            time.sleep(0.5)
    finally:
        print("Stopping…", flush=True)
        suite.stop_all()
        if broker:
            broker.stop()
        if embedded_pg:
            stop_postgres(pg_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
