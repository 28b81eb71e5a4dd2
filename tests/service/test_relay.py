"""The outbox relay against a real PostgreSQL and a real broker (ARCHITECTURE.md rules 2 and 5)."""

from __future__ import annotations

import asyncio
import zlib
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import msgspec
import psycopg
import pytest
from aiokafka import ConsumerRecord
from eventsourcing.domain import Aggregate, event
from prometheus_client import REGISTRY

from libs.events.envelope import Envelope, decode_envelope
from libs.events.relay import OutboxRelay, RelayStateStore, partition_for
from libs.events.topics import DEFAULT_PARTITIONS
from libs.platform.eventstore import ServiceApplication, envelope_mapper, open_application
from tests.service.kafka_tools import read_topic
from tests.support.infra import Infra
from tests.support.waiting import eventually

pytestmark = pytest.mark.service

SCHEMA = "meters"
SERVICE = "relaytest"


class Meter(Aggregate):
    """A tiny aggregate: opened, then read many times; a note is internal (never published)."""

    @event("Opened")
    def __init__(self, name: str) -> None:
        self.name = name
        self.reading = 0

    @event("Read")
    def read(self, value: int) -> None:
        self.reading = value

    @event("Noted")
    def note(self, text: str) -> None:
        self.last_note = text


class MeterChanged(msgspec.Struct, frozen=True, kw_only=True):
    TYPE: ClassVar[str] = "hotro.test.meter-changed.v1"
    meter: str
    version: int
    reading: int


class MeterApplication(ServiceApplication):
    name = "meters"


def to_contract(domain_event: Any) -> tuple[str, msgspec.Struct] | None:
    if isinstance(domain_event, Meter.Opened | Meter.Read):
        meter = str(domain_event.originator_id)
        reading = getattr(domain_event, "value", 0)
        return meter, MeterChanged(
            meter=meter, version=domain_event.originator_version, reading=reading
        )
    return None


def save_events(app: MeterApplication, meters: list[Meter], rounds: int) -> int:
    """One save() per event; returns how many of them are published (notes are internal)."""
    published = 0
    for n in range(rounds):
        for meter in meters:
            meter.read(n * 10 + 1)
            app.save(meter)
            published += 1
        meters[n % len(meters)].note(f"round {n}")
        app.save(meters[n % len(meters)])
    return published


def open_meters(app: MeterApplication, count: int) -> list[Meter]:
    meters = [Meter(name=f"meter-{i}") for i in range(count)]
    for meter in meters:
        app.save(meter)
    return meters


def make_relay(app: MeterApplication, infra: Infra, database_url: str, topic: str) -> OutboxRelay:
    return OutboxRelay(
        service=SERVICE,
        recorder=app.recorder,
        to_envelope=envelope_mapper(app, "hotro/test", to_contract),
        bootstrap=infra.bootstrap,
        topic=topic,
        database_url=database_url,
        schema=SCHEMA,
        batch_size=7,  # several batches per run
        idle_sleep_s=0.02,
    )


@asynccontextmanager
async def running(relay: OutboxRelay) -> AsyncIterator[OutboxRelay]:
    await relay.start()
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        yield relay
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await relay.stop()


def decoded(records: list[ConsumerRecord]) -> list[tuple[int, Envelope]]:
    return [(record.partition, decode_envelope(record.value)) for record in records]


def public_positions(app: MeterApplication) -> list[int]:
    """The notification ids of every published (non-internal) event in the log."""
    notifications = app.recorder.select_notifications(1, 10_000)
    return [n.id for n in notifications if to_contract(app.mapper.to_domain_event(n)) is not None]


def assert_ordered_streams(messages: list[tuple[int, Envelope]], expected: list[int]) -> None:
    """Each partition holds its events once, in log order, with an unbroken `prev` chain."""
    assert sorted(e.position for _, e in messages) == expected  # every event exactly once
    by_partition: dict[int, list[Envelope]] = defaultdict(list)
    for partition, envelope in messages:
        assert partition == partition_for(envelope.subject, DEFAULT_PARTITIONS)
        by_partition[partition].append(envelope)
    for envelopes in by_partition.values():
        previous = 0
        for envelope in envelopes:
            assert envelope.position > previous
            assert envelope.prev == previous
            previous = envelope.position
    versions: dict[str, list[int]] = defaultdict(list)  # one meter's events keep their order
    for _, envelope in messages:
        versions[envelope.subject].append(envelope.data["version"])
    assert all(v == sorted(v) for v in versions.values())


def broker_resets() -> float:
    return REGISTRY.get_sample_value("hotro_relay_broker_resets_total", {"service": SERVICE}) or 0.0


async def relay_caught_up(relay: OutboxRelay, app: MeterApplication) -> None:
    async def done() -> bool:
        return relay.state.position == await asyncio.to_thread(app.recorder.max_notification_id)

    await eventually(done, timeout=20)


async def test_relay_publishes_every_event_in_order(
    infra: Infra, database_url: str, topic_prefix: str
) -> None:
    topic = f"{topic_prefix}hotro.test.v1"
    app = await asyncio.to_thread(open_application, MeterApplication, database_url, SCHEMA)
    try:
        meters = await asyncio.to_thread(open_meters, app, 5)
        count = len(meters) + await asyncio.to_thread(save_events, app, meters, 6)

        resets = broker_resets()
        async with running(make_relay(app, infra, database_url, topic)) as relay:
            await relay_caught_up(relay, app)
            await relay._check_broker_kept_data()  # what the next cycle would do
        assert broker_resets() == resets  # a healthy broker is never taken for an empty one

        messages = decoded(await read_topic(infra.bootstrap, topic))
        assert len(messages) == count
        assert_ordered_streams(messages, await asyncio.to_thread(public_positions, app))
        assert len({p for p, _ in messages}) > 1  # several partitions really were used
        first = messages[0][1]
        assert first.source == "hotro/test" and first.type == MeterChanged.TYPE
        assert first.id == f"{first.subject}:{first.data['version']}"

        state = RelayStateStore(database_url, SCHEMA, topic).load()
        assert state.position == app.recorder.max_notification_id()
        assert state.published > 0 and state.sent_since_check == 0
        assert state.last_in_partition == {
            partition: max(e.position for p, e in messages if p == partition)
            for partition, _ in messages
        }
    finally:
        app.close()


async def test_new_relay_resumes_from_recorded_position(
    infra: Infra, database_url: str, topic_prefix: str
) -> None:
    topic = f"{topic_prefix}hotro.test.v1"
    app = await asyncio.to_thread(open_application, MeterApplication, database_url, SCHEMA)
    try:
        meters = await asyncio.to_thread(open_meters, app, 4)
        first = len(meters) + await asyncio.to_thread(save_events, app, meters, 4)
        resets = broker_resets()
        async with running(make_relay(app, infra, database_url, topic)) as relay:
            await relay_caught_up(relay, app)
        stopped_at = relay.state.position

        # saved while no relay runs: stored, so published later — once
        more = await asyncio.to_thread(save_events, app, meters, 3)
        more += await asyncio.to_thread(lambda: len(open_meters(app, 2)))
        async with running(make_relay(app, infra, database_url, topic)) as relay:
            assert relay.state.position == stopped_at  # it loaded where the first one stopped
            await relay_caught_up(relay, app)
        assert broker_resets() == resets

        messages = decoded(await read_topic(infra.bootstrap, topic))
        assert len(messages) == first + more
        assert_ordered_streams(messages, await asyncio.to_thread(public_positions, app))
    finally:
        app.close()


async def test_relay_republishes_after_broker_lost_its_data(
    infra: Infra, database_url: str, topic_prefix: str
) -> None:
    topic = f"{topic_prefix}hotro.test.v1"
    app = await asyncio.to_thread(open_application, MeterApplication, database_url, SCHEMA)
    relay = make_relay(app, infra, database_url, topic)
    await relay.start()
    try:
        meters = await asyncio.to_thread(open_meters, app, 4)
        count = len(meters) + await asyncio.to_thread(save_events, app, meters, 5)
        while await relay.publish_pending():
            pass
        assert len(await read_topic(infra.bootstrap, topic)) == count

        await asyncio.to_thread(infra.restart_broker)  # comes back empty
        host, port = infra.bootstrap.split(":")

        async def port_open() -> None:
            _, writer = await asyncio.open_connection(host, int(port))
            writer.close()
            await writer.wait_closed()

        await eventually(port_open, timeout=15)

        resets = broker_resets()

        async def first_cycle_after_restart() -> int:
            # the clients reconnect on their own; a cycle that meets a dropped connection
            # raises (run() retries it), so poll the way run() would
            try:
                return await relay.publish_pending()
            except Exception as error:
                raise AssertionError(f"broker not reachable yet: {error!r}") from error

        assert await eventually(first_cycle_after_restart, timeout=20) > 0
        assert broker_resets() == resets + 1  # noticed, once
        while await relay.publish_pending():
            pass
        assert broker_resets() == resets + 1

        messages = decoded(await read_topic(infra.bootstrap, topic))
        assert len(messages) == count  # everything again, each once
        assert_ordered_streams(messages, await asyncio.to_thread(public_positions, app))
        assert RelayStateStore(database_url, SCHEMA, topic).load() == relay.state
    finally:
        await relay.stop()
        app.close()


async def test_a_relay_whose_lock_connection_is_cut_takes_the_lock_again(
    infra: Infra, database_url: str, topic_prefix: str
) -> None:
    """Found by the chaos run (issue 17): PostgreSQL restarted while a freshly started relay
    waited for its lock; the relay stopped for good and its service never published again."""
    topic = f"{topic_prefix}hotro.test.v1"
    app = await asyncio.to_thread(open_application, MeterApplication, database_url, SCHEMA)
    holder = await psycopg.AsyncConnection.connect(database_url, autocommit=True)
    try:
        meters = await asyncio.to_thread(open_meters, app, 3)
        await asyncio.to_thread(save_events, app, meters, 2)
        await holder.execute(  # another instance holds the lock: this relay waits for it
            "SELECT pg_advisory_lock(%s)", (zlib.crc32(f"relay:{topic}".encode()),)
        )
        async with running(make_relay(app, infra, database_url, topic)) as relay:

            async def cut() -> bool:  # what a PostgreSQL restart does to the waiting relay
                cur = await holder.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    " AND query LIKE '%%pg_try_advisory_lock%%'"
                )
                return bool(await cur.fetchall())

            await eventually(cut, timeout=10)
            await holder.close()  # the other instance goes away: the lock is free
            await relay_caught_up(relay, app)
    finally:
        await holder.close()
        app.close()
