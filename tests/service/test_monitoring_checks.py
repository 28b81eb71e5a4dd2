"""Monitoring's checks on real PostgreSQL and a real broker: results and state in its tables,
every change of state an event of its log published keyed by check id, a restart that loses
and repeats nothing, the checks API, the retention sweep, and start-up refusing a broken file."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from libs.catalog.checks_model import Check, Estate
from libs.events.envelope import decode_envelope
from libs.events.relay import OutboxRelay
from libs.events.schemas import CheckStateChanged, parse_data
from libs.events.topics import MONITORING
from libs.platform.eventstore import envelope_mapper, open_application
from services.monitoring.adapters.checker import Checker
from services.monitoring.adapters.recorder import Recorder
from services.monitoring.adapters.results import ResultStore
from services.monitoring.adapters.store import MonitoringApplication, to_contract
from services.monitoring.api import checks as checks_api
from services.monitoring.api.errors import install_error_handlers
from services.monitoring.domain.confirmation import DOWN, Transition
from tests.service.kafka_tools import read_topic
from tests.service.monitoring_targets import tcp_server
from tests.support.infra import Infra
from tests.unit.monitoring.factories import estate_from
from tools.suite import ROOT

pytestmark = pytest.mark.service
SCHEMA = "monitoring"
T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # Tuesday 08:00 in Hà Nội


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Switch:
    """A target the test takes down and brings back: up, it greets; down, it hangs up."""

    up: bool = True

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.up:
            writer.write(b"+OK san sang\r\n")
            await writer.drain()


@dataclass
class Monitoring:
    app: MonitoringApplication
    results: ResultStore
    recorder: Recorder
    estate: Estate
    clock: Clock

    def checker(self) -> Checker:
        return Checker(self.estate.checks, self.recorder.record, self.clock, concurrency=8)

    async def tick(self, checker: Checker, minutes: int = 1) -> None:
        self.clock.now += timedelta(minutes=minutes)
        await asyncio.gather(*checker.run_due())

    async def restarted(self) -> Monitoring:
        recorder = Recorder(self.app, self.results)
        await recorder.start(self.estate.checks)
        return Monitoring(self.app, self.results, recorder, self.estate, self.clock)


def estate_for(folder: Path, port: int) -> Estate:
    return estate_from(
        folder,
        f"""
        defaults: {{interval_s: 60, timeout_s: 2, confirm_failures: 2, confirm_recoveries: 2}}
        checks:
          - id: ttsp-gateway
            application: TTSP
            kind: tcp
            target: "127.0.0.1:{port}"
            name: "TTSP — cổng kết nối ngân hàng"
            priority: P1
            expect: {{query_response: [{{expect: "^[+]OK"}}]}}
          - id: portal-web
            application: PORTAL
            kind: http
            target: https://kbnn.vn/
            interval_s: 0
            maintenance: [{{weekly: {{days: [sun], start: "22:00", duration_min: 60}}}}]
        """,
    )


@pytest.fixture
async def switch_port() -> AsyncIterator[tuple[Switch, int]]:
    switch = Switch()
    async with tcp_server(switch.handle) as port:
        yield switch, port


@pytest.fixture
async def monitoring(
    database_url: str, switch_port: tuple[Switch, int], tmp_path: Path
) -> AsyncIterator[Monitoring]:
    app = await asyncio.to_thread(open_application, MonitoringApplication, database_url, SCHEMA)
    pool_kwargs: dict[str, Any] = {"min_size": 1, "max_size": 4, "open": False}
    from psycopg_pool import AsyncConnectionPool

    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(database_url, **pool_kwargs)
    await pool.open(wait=True)
    results = ResultStore(pool, SCHEMA)
    await results.ensure_tables()
    estate = estate_for(tmp_path, switch_port[1])
    recorder = Recorder(app, results)
    await recorder.start(estate.checks)
    try:
        yield Monitoring(app, results, recorder, estate, Clock(T0))
    finally:
        await pool.close()
        app.close()


def published(app: MonitoringApplication) -> list[tuple[str, CheckStateChanged]]:
    mapper = envelope_mapper(app, "hotro/monitoring", to_contract)
    out = []
    for notification in app.recorder.select_notifications(1, 1000):
        envelope = mapper(notification)
        if envelope is not None:
            data = parse_data(envelope.type, envelope.data)
            assert isinstance(data, CheckStateChanged)
            out.append((envelope.subject, data))
    return out


async def test_an_outage_is_confirmed_recorded_and_resolved_with_its_duration(
    monitoring: Monitoring, switch_port: tuple[Switch, int]
) -> None:
    switch, _ = switch_port
    checker = monitoring.checker()
    assert [c.id for c in checker.checks] == ["ttsp-gateway"]  # interval 0: morning round only
    await monitoring.tick(checker)
    await monitoring.tick(checker)  # up, up: confirmed up
    switch.up = False
    await monitoring.tick(checker)  # a single failure: still up
    assert monitoring.recorder.state_of("ttsp-gateway").state == "up"
    await monitoring.tick(checker)  # the second: down since the first
    switch.up = True
    await monitoring.tick(checker)
    await monitoring.tick(checker)  # up again

    events = await asyncio.to_thread(published, monitoring.app)
    assert [(key, e.previous, e.state) for key, e in events] == [
        ("ttsp-gateway", "unknown", "up"),
        ("ttsp-gateway", "up", "down"),
        ("ttsp-gateway", "down", "up"),
    ]
    down, up = events[1][1], events[2][1]
    assert down.since == T0 + timedelta(minutes=3) and down.at == T0 + timedelta(minutes=4)
    assert "closed the connection" in down.reason and down.failures == 2
    assert (down.application, down.kind, down.priority) == ("TTSP", "tcp", "P1")
    assert down.name == "TTSP — cổng kết nối ngân hàng"
    assert up.since - up.previous_since == timedelta(minutes=2)  # the outage lasted 2 minutes

    async with monitoring.results.pool.connection() as conn:
        cur = await conn.execute(
            f'SELECT ok, state FROM "{SCHEMA}".check_results ORDER BY checked_at, id'
        )
        rows = await cur.fetchall()
    assert rows == [
        (True, "unknown"),
        (True, "up"),
        (False, "up"),
        (False, "down"),
        (True, "down"),
        (True, "up"),
    ]


async def test_a_restart_resumes_the_count_and_repairs_a_change_it_did_not_finish(
    monitoring: Monitoring, switch_port: tuple[Switch, int]
) -> None:
    switch, _ = switch_port
    checker = monitoring.checker()
    await monitoring.tick(checker)
    await monitoring.tick(checker)
    switch.up = False
    await monitoring.tick(checker)  # one failure counted before the "crash"

    again = await monitoring.restarted()
    assert again.recorder.state_of("ttsp-gateway").failures == 1
    await again.tick(again.checker())  # the second failure after the restart confirms it
    assert again.recorder.state_of("ttsp-gateway").state == DOWN
    assert [e.state for _, e in await asyncio.to_thread(published, again.app)] == ["up", "down"]

    # a crash between the event store and the state table: the event is the truth
    check: Check = again.estate.by_id["ttsp-gateway"]
    at = again.clock.now + timedelta(minutes=1)
    await asyncio.to_thread(
        again.recorder._save_transition,
        check,
        Transition("up", "down", at, None, "", at, False, 0),
    )
    repaired = await again.restarted()
    assert repaired.recorder.state_of("ttsp-gateway").state == "up"
    rows = await repaired.results.states("ttsp-gateway")
    assert rows["ttsp-gateway"]["state"] == "up"
    assert len(await asyncio.to_thread(published, repaired.app)) == 3  # nothing doubled


async def test_the_checks_api_lists_every_check_and_one_with_its_results(
    monitoring: Monitoring,
) -> None:
    checker = monitoring.checker()
    for _ in range(3):
        await monitoring.tick(checker)
    http = FastAPI()
    install_error_handlers(http)
    http.include_router(checks_api.router, prefix="/api/v1")
    http.state.checks = checks_api.ChecksServices(
        monitoring.estate, monitoring.results, monitoring.clock
    )
    transport = httpx.ASGITransport(app=http)
    async with httpx.AsyncClient(transport=transport, base_url="http://monitoring") as client:
        listing = (await client.get("/api/v1/checks")).json()
        assert listing["count"] == 2
        by_id = {c["id"]: c for c in listing["data"]}
        gateway = by_id["ttsp-gateway"]
        assert (
            gateway["state"] == "up" and gateway["since"] == (T0 + timedelta(minutes=1)).isoformat()
        )
        assert gateway["last_result"]["ok"] is True and gateway["kind"] == "tcp"
        assert set(gateway) >= {"id", "application", "kind", "state", "since", "last_result"}
        assert (
            by_id["portal-web"]["state"] == "unknown" and by_id["portal-web"]["last_result"] is None
        )

        ups = (await client.get("/api/v1/checks", params={"state": "up"})).json()
        assert [c["id"] for c in ups["data"]] == ["ttsp-gateway"]

        one = (await client.get("/api/v1/checks/ttsp-gateway", params={"limit": 2})).json()
        assert [r["checked_at"] for r in one["recent_results"]] == [
            (T0 + timedelta(minutes=3)).isoformat(),
            (T0 + timedelta(minutes=2)).isoformat(),
        ]
        portal = (await client.get("/api/v1/checks/portal-web")).json()
        assert portal["maintenance"][0]["weekly"] == {
            "days": ["sun"],
            "start": "22:00",
            "duration_min": 60,
        }

        missing = await client.get("/api/v1/checks/nope")
        assert missing.status_code == 404
        assert missing.json()["detail"][0]["field"] == "check_id"
        bad = await client.get("/api/v1/checks", params={"state": "broken"})
        assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "state"


async def test_old_results_are_swept_and_the_state_stays(monitoring: Monitoring) -> None:
    checker = monitoring.checker()
    for _ in range(4):
        await monitoring.tick(checker, minutes=60 * 24 * 5)  # one result every five days
    deleted = await monitoring.results.sweep(monitoring.clock() - timedelta(days=7))
    assert deleted == 2
    assert len(await monitoring.results.recent("ttsp-gateway", 10)) == 2
    assert (await monitoring.results.states())["ttsp-gateway"]["state"] == "up"


async def test_state_changes_are_published_to_the_monitoring_topic_keyed_by_check(
    monitoring: Monitoring,
    infra: Infra,
    database_url: str,
    topic_prefix: str,
    switch_port: tuple[Switch, int],
) -> None:
    switch, _ = switch_port
    checker = monitoring.checker()
    await monitoring.tick(checker)
    await monitoring.tick(checker)
    switch.up = False
    await monitoring.tick(checker)
    await monitoring.tick(checker)
    topic = f"{topic_prefix}{MONITORING}"
    relay = OutboxRelay(
        service="monitoring",
        recorder=monitoring.app.recorder,
        to_envelope=envelope_mapper(monitoring.app, "hotro/monitoring", to_contract),
        bootstrap=infra.bootstrap,
        topic=topic,
        database_url=database_url,
        schema=SCHEMA,
        idle_sleep_s=0.02,
    )
    await relay.start()
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:

        async def two() -> list[Any]:
            records = await read_topic(infra.bootstrap, topic)
            assert len(records) == 2
            return records

        from tests.support.waiting import eventually

        records = await eventually(two, timeout=20)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await relay.stop()
    assert {r.key for r in records} == {b"ttsp-gateway"}
    envelopes = [decode_envelope(r.value) for r in records]
    assert [e.type for e in envelopes] == [CheckStateChanged.TYPE] * 2
    assert [e.data["state"] for e in envelopes] == ["up", "down"]
    assert envelopes[1].data["application"] == "TTSP" and envelopes[1].subject == "ttsp-gateway"


def test_a_broken_checks_file_stops_start_up_with_file_line_and_field(tmp_path: Path) -> None:
    checks = tmp_path / "checks.yaml"
    checks.write_text(
        "checks:\n"
        "  - id: tabmis-web\n"
        "    application: TABMISS\n"
        "    kind: http\n"
        "    target: https://tabmis.kbnn.vn/\n",
        encoding="utf-8",
    )
    env = dict(
        os.environ,
        HOTRO_CHECKS_FILE=str(checks),
        PYTHONPATH=str(ROOT),
        DATABASE_URL="postgresql://nobody@127.0.0.1:1/none",
        KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1",
        HOTRO_INTERNAL_KEY="k" * 48,
    )
    result = subprocess.run(
        [sys.executable, "-m", "services.monitoring.main"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 2, result.stderr
    assert f"{tmp_path.name}/checks.yaml:3: checks[0].application:" in result.stderr
    assert "'TABMISS' is not a known application" in result.stderr
    assert "Traceback" not in result.stderr
