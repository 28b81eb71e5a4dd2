"""`python -m bench.routing`: routing decisions per second, in memory and as the consumer stores them.

1. *Domain*: `route_ticket` (rules, signals, the trained model, the policy version) on the
   labelled tickets of `catalog/training/`, one core, no I/O.
2. *Consumer*: the routing consumer's own path — decide a batch of submitted tickets (with
   the duplicate check against the ticket index) and store the decisions and the tracking
   position in one transaction, as `EventSourcedSink` does — against an embedded
   PostgreSQL started for the run (state under .hotro/bench-routing/, fresh each run).
   Every tenth ticket reports the same outage, so links are made too.

Prints a table and writes the figures to .hotro/bench-routing/last.json.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from libs.catalog import load_catalog
from libs.catalog.requester import resolve_requester_unit
from libs.events.envelope import Envelope
from libs.events.schemas import Requester, TicketSubmitted, data_of
from libs.events.sinks import EventSourcedSink
from libs.platform.eventstore import open_application
from services.routing.adapters.classifier import Classifier
from services.routing.adapters.corpus import HOLDOUT, TRAIN, load_examples
from services.routing.adapters.model_store import ModelStore
from services.routing.adapters.store import RoutingApplication, RoutingDecider
from services.routing.adapters.ticket_index import TicketIndex
from services.routing.domain.learning import train_model
from services.routing.domain.route import route_ticket
from tools.embedded import free_port, remove_tree, start_postgres, stop_postgres
from tools.suite import ROOT

STATE = ROOT / ".hotro" / "bench-routing"
BATCH = 500  # the consumer's max_records
UNITS = ("KBNN-HNI", "KBNN-HCM", "KBNN-DNG", "CUC-CNTT", "STC-HNI", "BO-YT")
OUTAGE = "Không vào được TABMIS, báo lỗi kết nối máy chủ"


def domain_rate(decisions: int) -> dict[str, Any]:
    catalog = load_catalog()
    examples = [*load_examples(catalog, TRAIN), *load_examples(catalog, HOLDOUT)]
    model = train_model(load_examples(catalog, TRAIN))
    requesters = [resolve_requester_unit(catalog, code) for code in UNITS]
    texts = itertools.cycle(examples)
    at = datetime.now(UTC)
    started = time.perf_counter()
    for i in range(decisions):
        example = next(texts)
        route_ticket(
            catalog=catalog,
            subject=example.text,
            description="",
            picked_application=example.pick,
            requester=requesters[i % len(requesters)],
            received_at=at,
            model=model,
        )
    seconds = time.perf_counter() - started
    return {"decisions": decisions, "seconds": seconds, "per_s": decisions / seconds}


def _submitted(i: int, text: str, start: datetime) -> TicketSubmitted:
    return TicketSubmitted(
        ticket_id=str(uuid.uuid4()),
        number=f"YC-2026-{i:06d}",
        channel="web",
        requester=Requester(name="Bench", unit_code="KBNN-HNI"),
        subject=text,
        description="",
        received_at=start + timedelta(seconds=20 * i),
        unit_kind="kbnn_province",
        unit_province="HNI",
    )


async def consumer_rate(database_url: str, decisions: int) -> dict[str, Any]:
    catalog = load_catalog()
    app = open_application(RoutingApplication, database_url, "routing")
    index = TicketIndex(database_url, "routing", app)
    index.ensure_tables()
    classifier = Classifier(ModelStore(database_url, "routing"), catalog, index)
    classifier.start()
    sink = EventSourcedSink(
        name="routing.decisions", app=app, decide=RoutingDecider(catalog, index, classifier)
    )
    examples = itertools.cycle(load_examples(catalog, HOLDOUT))
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    envelopes = []
    for i in range(decisions):
        text = OUTAGE if i % 10 == 0 else next(examples).text
        event = _submitted(i, text, start)
        envelopes.append(
            Envelope(
                id=f"bench:{i}",
                source="hotro/intake",
                type=TicketSubmitted.TYPE,
                subject=event.ticket_id,
                time=start,
                data=data_of(event),
                position=i + 1,
            )
        )

    async def dead_letter(envelope: Envelope, error: BaseException) -> None:
        raise RuntimeError(f"{envelope.id}: {error!r}")

    started = time.perf_counter()
    for first in range(0, decisions, BATCH):
        await sink.apply("bench:0", envelopes[first : first + BATCH], dead_letter)
    seconds = time.perf_counter() - started
    index.catch_up()
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE parent_id IS NOT NULL), count(*)"
            " FROM routing.ticket_index"
        ).fetchone()
    linked, indexed = (int(row[0]), int(row[1])) if row else (0, 0)
    return {
        "decisions": decisions,
        "seconds": seconds,
        "per_s": decisions / seconds,
        "batch": BATCH,
        "linked": linked,
        "indexed": indexed,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=3000)
    args = parser.parse_args(argv)
    print("bench.routing: domain decisions ...", flush=True)
    domain = domain_rate(args.decisions)
    remove_tree(STATE)
    STATE.mkdir(parents=True)
    pg_dir = STATE / "postgres"
    try:
        admin_url = start_postgres(pg_dir, free_port(), database="postgres")
        database_url = admin_url.rsplit("/", 1)[0] + "/routing_bench"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute('CREATE DATABASE "routing_bench"')
        print("bench.routing: consumer decisions on PostgreSQL ...", flush=True)
        consumer = asyncio.run(consumer_rate(database_url, args.decisions))
    finally:
        stop_postgres(pg_dir)
    figures = {
        "at": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "domain": domain,
        "consumer": consumer,
    }
    print(f"{'routing decisions':<46}{'count':>8}{'seconds':>9}{'per s':>9}")
    print(
        f"{'domain: classify + policy, in memory':<46}{domain['decisions']:>8}"
        f"{domain['seconds']:>9.2f}{domain['per_s']:>9.0f}"
    )
    print(
        f"{'consumer: + duplicate check, stored, batch 500':<46}{consumer['decisions']:>8}"
        f"{consumer['seconds']:>9.2f}{consumer['per_s']:>9.0f}"
    )
    print(f"(consumer run: {consumer['linked']} reports linked to an open outage)")
    (STATE / "last.json").write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
