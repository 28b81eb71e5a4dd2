"""The consumer runner and its sinks against a real PostgreSQL and a real broker (rule 5)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaConnectionError
from eventsourcing.domain import Aggregate, event
from prometheus_client import REGISTRY
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from libs.events.consumer import ConsumerRunner, Sink
from libs.events.envelope import Envelope, encode_envelope
from libs.events.relay import ensure_topics, partition_for
from libs.events.sinks import EventSourcedSink, ProjectionSink, UnitOfWork
from libs.events.topics import DEADLETTER, DEFAULT_PARTITIONS
from libs.platform.eventstore import ServiceApplication, open_application
from tests.service.kafka_tools import publish, read_topic
from tests.support.infra import Infra
from tests.support.waiting import eventually

pytestmark = pytest.mark.service

SCHEMA = "projection"
SINK = "test.counts"


class Source:
    """Plays the outbox relay: one log of positions, `prev` per partition, key = subject."""

    def __init__(self) -> None:
        self.position = 0
        self.last_in_partition: dict[int, int] = {}

    def next(self, subject: str, **data: Any) -> Envelope:
        self.position += 1
        partition = partition_for(subject, DEFAULT_PARTITIONS)
        envelope = Envelope(
            id=f"{subject}:{self.position}",
            source="hotro/test",
            type="hotro.test.happened.v1",
            subject=subject,
            time=datetime.now(UTC),
            data=data or {"n": self.position},
            position=self.position,
            prev=self.last_in_partition.get(partition, 0),
        )
        self.last_in_partition[partition] = self.position
        return envelope


def messages(envelopes: Iterable[Envelope]) -> list[tuple[int, bytes, bytes]]:
    return [
        (partition_for(e.subject, DEFAULT_PARTITIONS), e.subject.encode(), encode_envelope(e))
        for e in envelopes
    ]


@pytest.fixture
async def topics(infra: Infra, topic_prefix: str) -> tuple[str, str]:
    topic, dead = f"{topic_prefix}hotro.test.v1", f"{topic_prefix}{DEADLETTER}"
    await ensure_topics(infra.bootstrap, [topic, dead])
    return topic, dead


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[AsyncConnectionPool[Any]]:
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        database_url, min_size=1, max_size=4, open=False
    )
    await pool.open(wait=True, timeout=30)
    yield pool
    await pool.close()


async def project(conn: AsyncConnection[Any], envelope: Envelope) -> None:
    """A tiny read model: events per subject, plus the order in which they were applied."""
    if envelope.data.get("boom"):
        raise RuntimeError(f"projection refuses {envelope.id}")
    await conn.execute(
        f'INSERT INTO "{SCHEMA}".applied (position, subject) VALUES (%s, %s)',
        (envelope.position, envelope.subject),
    )
    await conn.execute(
        f'INSERT INTO "{SCHEMA}".per_subject AS c (subject, events) VALUES (%s, 1)'
        " ON CONFLICT (subject) DO UPDATE SET events = c.events + 1",
        (envelope.subject,),
    )


@pytest.fixture
async def sink(pool: AsyncConnectionPool[Any]) -> ProjectionSink:
    sink = ProjectionSink(name=SINK, pool=pool, schema=SCHEMA, project=project)
    await sink.ensure_tables()
    async with pool.connection() as conn:
        await conn.execute(
            f'CREATE TABLE "{SCHEMA}".applied (seq bigserial PRIMARY KEY,'
            " position bigint NOT NULL, subject text NOT NULL)"
        )
        await conn.execute(
            f'CREATE TABLE "{SCHEMA}".per_subject (subject text PRIMARY KEY, events int NOT NULL)'
        )
    return sink


async def table(pool: AsyncConnectionPool[Any]) -> tuple[dict[str, int], list[int]]:
    """The read model: (events per subject, positions in the order they were applied)."""
    async with pool.connection() as conn:
        counts = await conn.execute(f'SELECT subject, events FROM "{SCHEMA}".per_subject')
        per_subject = {row[0]: row[1] for row in await counts.fetchall()}
        order = await conn.execute(f'SELECT position FROM "{SCHEMA}".applied ORDER BY seq')
        return per_subject, [row[0] for row in await order.fetchall()]


async def applied(pool: AsyncConnectionPool[Any]) -> list[int]:
    return (await table(pool))[1]


def skipped(group: str, topic: str) -> float:
    value = REGISTRY.get_sample_value(
        "hotro_events_skipped_total", {"consumer": group, "topic": topic}
    )
    return value or 0.0


@asynccontextmanager
async def running(
    infra: Infra, group: str, topics: tuple[str, str], sink: Sink, max_records: int = 500
) -> AsyncIterator[ConsumerRunner]:
    runner = ConsumerRunner(
        name=group,
        bootstrap=infra.bootstrap,
        topics=[topics[0]],
        sink=sink,
        dead_letter_topic=topics[1],
        rebalance_timeout_s=3,
        max_records=max_records,
    )
    await runner.start()
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        yield runner
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await runner.stop()


async def dead_letters(infra: Infra, topic: str, count: int) -> list[dict[str, Any]]:
    async def arrived() -> list[dict[str, Any]]:
        found = [orjson.loads(r.value) for r in await read_topic(infra.bootstrap, topic)]
        assert len(found) >= count, found
        return found

    found = await eventually(arrived, timeout=20, interval=0.3)
    assert len(found) == count, found
    return found


async def test_redelivery_and_replay_leave_the_projection_identical(
    infra: Infra,
    topic_prefix: str,
    topics: tuple[str, str],
    pool: AsyncConnectionPool[Any],
    sink: ProjectionSink,
) -> None:
    topic = topics[0]
    source = Source()
    subjects = ["ticket-a", "ticket-b", "ticket-c", "ticket-d"]
    first = [source.next(s) for _ in range(4) for s in subjects]
    await publish(infra.bootstrap, topic, messages(first))

    group = f"{topic_prefix}g1"
    async with running(infra, group, topics, sink):
        await eventually(lambda: _has(pool, len(first)))
        # the same messages again (a producer retry, a relay that republished), then one
        # new event per subject behind them on the same partitions
        sentinels = [source.next(s) for s in subjects]
        await publish(infra.bootstrap, topic, messages(first + sentinels))
        await eventually(lambda: _has(pool, len(first) + len(sentinels)))
        assert skipped(group, topic) == len(first)

    counts, order = await table(pool)
    assert counts == dict.fromkeys(subjects, 5)
    assert sorted(order) == list(range(1, source.position + 1))  # each once
    snapshot = await table(pool)

    # a new consumer group starts from the beginning of the topic: it reads all 36 messages
    # again and changes nothing, because the sink's positions, not offsets, decide
    group2 = f"{topic_prefix}g2"
    async with running(infra, group2, topics, sink):
        await eventually(lambda: skipped(group2, topic) == 2 * len(first) + len(sentinels))
    assert await table(pool) == snapshot
    await assert_tracked_last(sink, topic, sentinels)


async def assert_tracked_last(sink: Sink, topic: str, envelopes: list[Envelope]) -> None:
    """The position a sink tracks per stream is the last one sent to that partition."""
    last: dict[int, int] = {}
    for envelope in envelopes:
        partition = partition_for(envelope.subject, DEFAULT_PARTITIONS)
        last[partition] = max(last.get(partition, 0), envelope.position)
    for partition, position in last.items():
        assert await sink.last_position(f"{topic}:{partition}") == position


async def _has(pool: AsyncConnectionPool[Any], count: int) -> bool:
    return len(await applied(pool)) >= count


async def test_poison_event_is_dead_lettered_and_the_stream_moves_on(
    infra: Infra,
    topic_prefix: str,
    topics: tuple[str, str],
    pool: AsyncConnectionPool[Any],
    sink: ProjectionSink,
) -> None:
    topic, dead = topics
    source = Source()
    before = source.next("ticket-a")
    poison = source.next("ticket-a", boom=True)
    after = [source.next("ticket-a"), source.next("ticket-b")]
    await publish(infra.bootstrap, topic, messages([before, poison, *after]))

    group = f"{topic_prefix}poison"
    async with running(infra, group, topics, sink):
        await eventually(lambda: _has(pool, 3))
        [letter] = await dead_letters(infra, dead, 1)

    order = await applied(pool)
    assert sorted(order) == [1, 3, 4]
    assert [p for p in order if p != 4] == [1, 3]  # ticket-a's events in log order
    assert (await table(pool))[0] == {"ticket-a": 2, "ticket-b": 1}
    assert letter["consumer"] == group
    assert "projection refuses ticket-a:2" in letter["error"]
    assert "RuntimeError" in letter["traceback"]
    assert letter["event"]["id"] == poison.id
    assert letter["event"]["position"] == poison.position
    assert letter["event"]["data"] == {"boom": True}
    # the poison event's position counts as handled: a replay does not retry it forever
    stream = f"{topic}:{partition_for('ticket-a', DEFAULT_PARTITIONS)}"
    assert await sink.last_position(stream) == 3


async def test_undecodable_bytes_are_dead_lettered(
    infra: Infra,
    topic_prefix: str,
    topics: tuple[str, str],
    pool: AsyncConnectionPool[Any],
    sink: ProjectionSink,
) -> None:
    topic, dead = topics
    source = Source()
    first, second = source.next("ticket-a"), source.next("ticket-a")
    partition = partition_for("ticket-a", DEFAULT_PARTITIONS)
    garbage = [b"\xffnot an envelope", b'{"id": "half an envelope"}']
    await publish(
        infra.bootstrap,
        topic,
        [
            *messages([first]),
            *[(partition, b"ticket-a", raw) for raw in garbage],
            *messages([second]),
        ],
    )

    group = f"{topic_prefix}garbage"
    async with running(infra, group, topics, sink):
        await eventually(lambda: _has(pool, 2))
        letters = await dead_letters(infra, dead, 2)

    assert await applied(pool) == [1, 2]
    assert [letter["offset"] for letter in letters] == [1, 2]
    assert letters[0]["raw"] == "\ufffdnot an envelope"
    assert letters[1]["raw"] == '{"id": "half an envelope"}'
    for letter in letters:
        assert letter["consumer"] == group
        assert (letter["topic"], letter["partition"]) == (topic, partition)
        assert "EnvelopeError" in letter["error"]


async def test_a_poison_message_is_read_again_when_its_dead_letter_could_not_be_sent(
    infra: Infra,
    topic_prefix: str,
    topics: tuple[str, str],
    pool: AsyncConnectionPool[Any],
    sink: ProjectionSink,
) -> None:
    """Found by the chaos run (issue 17): the broker refused the dead letter once, and the
    poison and the rest of its batch were skipped, neither dead-lettered nor applied."""
    topic, dead = topics
    event = Source().next("ticket-a")
    partition = partition_for("ticket-a", DEFAULT_PARTITIONS)
    await publish(
        infra.bootstrap, topic, [(partition, b"ticket-a", b"{poison"), *messages([event])]
    )

    async with running(infra, f"{topic_prefix}dlq-refused", topics, sink) as runner:
        send = runner._producer.send_and_wait
        refusals = [KafkaConnectionError("the broker is restarting")]

        async def refused_once(*args: Any, **kwargs: Any) -> Any:
            if refusals:
                raise refusals.pop()
            return await send(*args, **kwargs)

        runner._producer.send_and_wait = refused_once  # type: ignore[method-assign]
        await eventually(lambda: _has(pool, 1))
        letters = await dead_letters(infra, dead, 1)

    assert not refusals, "the dead letter was never refused: the test proved nothing"
    assert await applied(pool) == [1]
    assert letters[0]["raw"] == "{poison"


async def test_hole_waits_for_the_missing_event(
    infra: Infra,
    topic_prefix: str,
    topics: tuple[str, str],
    pool: AsyncConnectionPool[Any],
    sink: ProjectionSink,
    caplog: pytest.LogCaptureFixture,
) -> None:
    topic = topics[0]
    source = Source()
    first, missing, third = (source.next("ticket-a") for _ in range(3))
    await publish(infra.bootstrap, topic, messages([first, third]))  # `third.prev` = 2

    caplog.set_level(logging.WARNING, logger="libs.events.consumer")
    async with running(infra, f"{topic_prefix}hole", topics, sink):
        await eventually(lambda: _has(pool, 1))
        await eventually(lambda: any("hole in stream" in r.getMessage() for r in caplog.records))
        assert await applied(pool) == [1]  # the runner has seen 3 and not applied it

        await publish(infra.bootstrap, topic, messages([missing]))  # lands *after* 3
        await eventually(lambda: _has(pool, 3))

    assert await applied(pool) == [1, 2, 3]  # in log order
    assert await sink.last_position(f"{topic}:{partition_for('ticket-a', 6)}") == 3


async def test_republish_after_loss_is_read_through_small_batches(
    infra: Infra,
    topic_prefix: str,
    topics: tuple[str, str],
    pool: AsyncConnectionPool[Any],
    sink: ProjectionSink,
) -> None:
    """After a broker lost its data the topic holds what the relay sent before it noticed
    (a hole for a consumer that was behind), then the relay's republish from the start.
    Reading two records at a time, the runner must read on past the hole, not rewind onto it.
    """
    topic = topics[0]
    source = Source()
    log = [source.next("ticket-a") for _ in range(6)]
    # 1..2 before the loss; then 5..6, sent before the relay noticed (3..4 were lost with the
    # broker's data); then the relay's republish of 1..6
    await publish(infra.bootstrap, topic, messages(log[:2] + log[4:] + log))
    async with running(infra, f"{topic_prefix}behind", topics, sink, max_records=2):
        await eventually(lambda: _has(pool, 6), timeout=20)
    assert await applied(pool) == [1, 2, 3, 4, 5, 6]


async def test_events_waiting_behind_a_hole_are_read_again_when_the_filler_ends_the_log(
    infra: Infra,
    topic_prefix: str,
    topics: tuple[str, str],
    pool: AsyncConnectionPool[Any],
    sink: ProjectionSink,
) -> None:
    """Two at a time, 1 and 3 come first (3 waits for 2, before the end: read on), then 2
    alone ends the log with no hole of its own. The runner must go back for 3 (found by the
    chaos run: a consumer stuck with the rest of its partition behind it)."""
    topic = topics[0]
    source = Source()
    one, two, three = (source.next("ticket-a") for _ in range(3))
    await publish(infra.bootstrap, topic, messages([one, three, two]))
    async with running(infra, f"{topic_prefix}filler", topics, sink, max_records=2):
        await eventually(lambda: _has(pool, 3), timeout=20)
    assert await applied(pool) == [1, 2, 3]


async def test_a_committed_offset_at_the_end_of_records_never_read_is_caught_up(
    infra: Infra,
    topic_prefix: str,
    topics: tuple[str, str],
    pool: AsyncConnectionPool[Any],
    sink: ProjectionSink,
) -> None:
    """After a broker loss the group's committed offset can be exactly the end of a new log
    none of which this consumer applied: starting at the end shows no record and no hole.
    The runner reads the last record once, whose `prev` shows what it missed."""
    topic = topics[0]
    group = f"{topic_prefix}at-end"
    source = Source()
    one, two, three = (source.next("ticket-a") for _ in range(3))
    await publish(infra.bootstrap, topic, messages([one]))
    async with running(infra, group, topics, sink):
        await eventually(lambda: _has(pool, 1))
    await publish(infra.bootstrap, topic, messages([two, three]))
    tp = TopicPartition(topic, partition_for("ticket-a", DEFAULT_PARTITIONS))
    committer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=infra.bootstrap,
        group_id=group,
        enable_auto_commit=False,
        session_timeout_ms=6000,
        rebalance_timeout_ms=3000,
    )
    await committer.start()
    try:
        while tp not in committer.assignment():  # a member of the group, to commit for it
            await committer.getmany(timeout_ms=200)
        end = (await committer.end_offsets([tp]))[tp]
        await committer.commit({tp: end})  # as if every record had been read
    finally:
        await committer.stop()

    async with running(infra, group, topics, sink):
        await eventually(lambda: _has(pool, 3), timeout=20)
    assert await applied(pool) == [1, 2, 3]


class Receipt(Aggregate):
    """What the decision creates: one new aggregate (a fresh id) per event it is given."""

    @event("Issued")
    def __init__(self, event_id: str, subject: str) -> None:
        self.event_id = event_id
        self.subject = subject


class ReceiptApplication(ServiceApplication):
    name = "receipts"


def decide(envelope: Envelope, work: UnitOfWork) -> list[Receipt]:
    if envelope.data.get("boom"):
        raise ValueError("a poison event")
    return [Receipt(event_id=envelope.id, subject=envelope.subject)]


def receipts(app: ReceiptApplication) -> list[str]:
    """The event ids every stored Receipt was issued for, in log order."""
    return [
        app.mapper.to_domain_event(n).event_id  # type: ignore[attr-defined]
        for n in app.recorder.select_notifications(1, 10_000)
    ]


async def test_event_sourced_sink_creates_nothing_twice(
    infra: Infra, database_url: str, topic_prefix: str, topics: tuple[str, str]
) -> None:
    topic = topics[0]
    app = await asyncio.to_thread(open_application, ReceiptApplication, database_url, "receipts")
    try:
        sink = EventSourcedSink(name="test.receipts", app=app, decide=decide)
        source = Source()
        envelopes = [source.next(s) for _ in range(3) for s in ("t-1", "t-2", "t-3")]
        await publish(infra.bootstrap, topic, messages(envelopes))

        def issued() -> list[str]:
            return receipts(app)

        group = f"{topic_prefix}es1"
        async with running(infra, group, topics, sink):
            await eventually(lambda: len(issued()) >= len(envelopes))
            await publish(infra.bootstrap, topic, messages(envelopes))  # redelivery
            await eventually(lambda: skipped(group, topic) == len(envelopes))
        group2 = f"{topic_prefix}es2"
        async with running(infra, group2, topics, sink):  # replay from the start
            await eventually(lambda: skipped(group2, topic) == 2 * len(envelopes))

        assert sorted(issued()) == sorted(e.id for e in envelopes)  # one receipt per event
        await assert_tracked_last(sink, topic, envelopes)
    finally:
        app.close()


async def test_event_sourced_sink_dead_letters_a_poison_event_and_keeps_its_batch(
    infra: Infra, database_url: str, topic_prefix: str, topics: tuple[str, str]
) -> None:
    topic, dead = topics
    app = await asyncio.to_thread(open_application, ReceiptApplication, database_url, "receipts")
    try:
        sink = EventSourcedSink(name="test.receipts", app=app, decide=decide)
        source = Source()
        good = [source.next("t-1"), source.next("t-2")]
        poison = source.next("t-1", boom=True)
        later = [source.next("t-1"), source.next("t-3")]
        await publish(infra.bootstrap, topic, messages([*good, poison, *later]))

        async with running(infra, f"{topic_prefix}es-poison", topics, sink):
            await eventually(lambda: len(receipts(app)) >= 4)
            [letter] = await dead_letters(infra, dead, 1)

        assert sorted(receipts(app)) == sorted(e.id for e in [*good, *later])
        assert letter["event"]["id"] == poison.id
        assert "a poison event" in letter["error"]
    finally:
        app.close()


async def test_a_database_outage_is_no_poison_the_event_is_applied_once_it_is_back(
    infra: Infra, database_url: str, topic_prefix: str, topics: tuple[str, str]
) -> None:
    """Found by the chaos run (issue 17): PostgreSQL restarted while routing decided; the
    error was taken for a poison event, dead-lettered, and the position recorded without the
    decision once the database was back — the ticket was never routed."""
    topic = topics[0]
    app = await asyncio.to_thread(open_application, ReceiptApplication, database_url, "receipts")
    # Down for the batch and for the event tried alone: what a restart in between looks like.
    outages = [psycopg.OperationalError("terminating connection due to administrator command")] * 2

    def decide_during_an_outage(envelope: Envelope, work: UnitOfWork) -> list[Receipt]:
        if outages:  # the decision reads the database too (routing's ticket index does)
            raise outages.pop()
        return decide(envelope, work)

    try:
        sink = EventSourcedSink(name="test.receipts", app=app, decide=decide_during_an_outage)
        event = Source().next("t-1")
        await publish(infra.bootstrap, topic, messages([event]))
        async with running(infra, f"{topic_prefix}es-outage", topics, sink):
            await eventually(lambda: receipts(app) == [event.id])
        assert not outages
        assert not await read_topic(infra.bootstrap, topics[1], timeout=2)
    finally:
        app.close()


async def test_a_consumer_that_lived_through_a_broker_loss_reads_the_republish(
    infra: Infra,
    topic_prefix: str,
    topics: tuple[str, str],
    pool: AsyncConnectionPool[Any],
    sink: ProjectionSink,
) -> None:
    """Found by the chaos run: the broker came back empty while a consumer held its fetch
    offset, and the relay's republish left the partition shorter than that offset. Tansu
    answers a fetch beyond the end with no records and no OffsetOutOfRange, so the consumer
    waited there for good: no hole seen, no rewind, the stream stuck where it was."""
    topic = topics[0]
    source = Source()
    log = [source.next("ticket-a") for _ in range(8)]
    # before the loss the partition held more than the log: what an earlier loss left behind
    # (events sent before the relay noticed, then its republish from the start)
    await publish(infra.bootstrap, topic, messages(log[5:] + log))
    async with running(infra, f"{topic_prefix}lived", topics, sink):
        await eventually(lambda: _has(pool, 8))

        await asyncio.to_thread(infra.restart_broker)  # comes back empty
        await eventually(lambda: _topic_made(infra, topics), timeout=20)
        later = [source.next("ticket-a") for _ in range(2)]
        # the relay's republish, then what came after: 10 messages, fewer than the 11 read
        await publish(infra.bootstrap, topic, messages(log + later))
        await eventually(lambda: _has(pool, 10), timeout=30)

    assert await applied(pool) == list(range(1, 11))
    assert await sink.last_position(f"{topic}:{partition_for('ticket-a', 6)}") == 10


async def _topic_made(infra: Infra, topics: tuple[str, str]) -> bool:
    """The restarted broker reachable and the topics made again, as every service does."""
    try:
        await ensure_topics(infra.bootstrap, list(topics))
    except Exception as error:
        raise AssertionError(f"broker not reachable yet: {error!r}") from error
    return True


async def test_an_offset_beyond_the_partitions_end_is_read_from_the_start(
    infra: Infra,
    topic_prefix: str,
    topics: tuple[str, str],
    pool: AsyncConnectionPool[Any],
    sink: ProjectionSink,
) -> None:
    """Found by the chaos run: after the broker lost its data a consumer's offset lay beyond
    the end of the republished partition. Tansu answers such a fetch with no records and no
    OffsetOutOfRange, so without a rewind the stream stayed where it was, no hole ever seen."""
    topic = topics[0]
    source = Source()
    log = [source.next("ticket-a") for _ in range(5)]
    await publish(infra.bootstrap, topic, messages(log))
    group = f"{topic_prefix}beyond"
    tp = TopicPartition(topic, partition_for("ticket-a", DEFAULT_PARTITIONS))
    stale = AIOKafkaConsumer(
        topic, bootstrap_servers=infra.bootstrap, group_id=group, rebalance_timeout_ms=3000
    )
    await stale.start()
    try:  # an offset from before the loss: the partition held more then
        await eventually(lambda: tp in stale.assignment(), timeout=20)
        await stale.commit({tp: 40})
    finally:
        await stale.stop()
    async with running(infra, group, topics, sink):
        await eventually(lambda: _has(pool, 5), timeout=20)
    assert await applied(pool) == [1, 2, 3, 4, 5]
