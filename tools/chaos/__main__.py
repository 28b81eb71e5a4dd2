"""`make chaos`: a long chaos run on its own embedded PostgreSQL and broker, with its figures.

    python -m tools.chaos --kills 24 --duration 300 [--seed N] [--rate 1.0]

Exits 1 when a request was lost or doubled, a refused one appeared, a consumer is stuck or the
dead-letter topic holds something that is not the injected poison; the state folder
(.hotro/chaos/<run>, with every service's log) is then kept for reading.
"""

from __future__ import annotations

import argparse
import secrets
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from tests.support.infra import Infra, start_infra
from tools.chaos.figures import report, schedule_text
from tools.chaos.load import Rates
from tools.chaos.run import CHAOS_ENV, ChaosConfig, chaos
from tools.embedded import free_port, remove_tree
from tools.suite import ROOT, SERVICES, Suite


def arguments() -> ChaosConfig:
    parser = argparse.ArgumentParser(prog="python -m tools.chaos", description=__doc__)
    parser.add_argument("--kills", type=int, default=24, help="SIGKILLs, spread over the five")
    parser.add_argument("--duration", type=float, default=300, help="seconds of load")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--broker-restarts", type=int, default=3)
    parser.add_argument("--postgres-restarts", type=int, default=3)
    parser.add_argument("--poison", type=int, default=5, help="poison messages to inject")
    parser.add_argument("--rate", type=float, default=1.0, help="scales every channel's rate")
    args = parser.parse_args()
    return ChaosConfig(
        seed=args.seed,
        duration_s=args.duration,
        kills=args.kills,
        broker_restarts=args.broker_restarts,
        postgres_restarts=args.postgres_restarts,
        poison=args.poison,
        rates=Rates().scaled(args.rate),
    )


@contextmanager
def running_suite(infra: Infra, state: Path) -> Iterator[Suite]:
    """The five services on a fresh database and their own topics, as the e2e tests run them."""
    name = f"chaos_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(infra.admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    suite = Suite(
        database_url=infra.url_for(name),
        bootstrap=infra.bootstrap,
        log_dir=state / "logs",
        ports={service: free_port() for service in (*SERVICES, "smtp")},
        admin_token=secrets.token_urlsafe(16),
        extra_env={"HOTRO_TOPIC_PREFIX": f"{name}.", **CHAOS_ENV},
    )
    suite.start_all()
    try:
        suite.wait_ready(timeout_s=240)
        yield suite
    finally:
        suite.stop_all()


def main() -> int:
    config = arguments()
    # Under the project, not /tmp: the embedded PostgreSQL runs as its own user (infra.md).
    state = ROOT / ".hotro" / "chaos" / time.strftime("%Y%m%d-%H%M%S")
    state.mkdir(parents=True, exist_ok=True)
    failed = True
    try:
        with start_infra("embedded", state) as infra, running_suite(infra, state) as suite:
            print(f"Suite ready; {config.duration_s:.0f} s of load and faults (logs: {state})")
            result = chaos(
                suite, config, admin_url=infra.admin_url, restart_broker=infra.restart_broker
            )
            print("\nFault schedule:\n" + schedule_text(result) + "\n")
            print(report(result, shown_problems=60), flush=True)
            failed = bool(result.problems)
    finally:
        if failed:
            print(f"\nState and logs kept in {state}", file=sys.stderr)
        else:
            remove_tree(state)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
