"""The outbox relay: a service's eventsourcing notification log → its Kafka topic, in order.

Why it looks like this:
- Request handlers only save aggregates; publishing happens here, from the log, so an event
  that is stored is published eventually and one that is not stored never is (rule 2).
- The relay records how far it got (`position`) in the service's own schema and resumes
  from there after a restart.
- The embedded broker keeps topics in memory. Every half second the relay compares the
  topic's end offsets with what it found last time: a missing topic, a topic holding less
  than before, or one that did not grow although we sent to it means the broker lost its
  data, and the relay republishes from the start.
- Each message names the previous position sent to the same partition (`prev`), so a
  consumer can tell a contiguous stream from one with a hole and never skip over a hole.
- Only one relay per service publishes: a PostgreSQL advisory lock elects it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
import orjson
import psycopg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from libs.events.envelope import Envelope, encode_envelope
from libs.events.topics import DEFAULT_PARTITIONS
from libs.platform.metrics import BROKER_RESETS, EVENTS_PUBLISHED, RELAY_BACKLOG

log = logging.getLogger(__name__)

#: Maps one stored notification to the envelope to publish, or None for internal events.
ToEnvelope = Callable[[Any], Envelope | None]


def partition_for(key: str, partitions: int) -> int:
    """A stable partition per ticket: the relay chooses it so a republish lands identically."""
    return zlib.crc32(key.encode()) % partitions


@dataclass
class RelayState:
    position: int = 0
    #: The topic's end offsets, summed, at the last check that found nothing lost.
    published: int = 0
    last_in_partition: dict[int, int] | None = None
    #: Messages sent since that check: if any were, a healthy topic's sum must have grown.
    sent_since_check: int = 0

    def prev_for(self, partition: int) -> int:
        return (self.last_in_partition or {}).get(partition, 0)


class RelayStateStore:
    """The relay's progress, kept in the owning service's schema."""

    def __init__(self, database_url: str, schema: str, topic: str) -> None:
        self.database_url = database_url
        self.schema = schema
        self.topic = topic

        self._conn: psycopg.Connection[Any] | None = None

    def _connect(self) -> psycopg.Connection[Any]:
        """One kept connection: the relay saves after every batch."""
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.database_url, autocommit=True)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()

    def ensure_table(self) -> None:
        conn = self._connect()
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
        conn.execute(
            f'CREATE TABLE IF NOT EXISTS "{self.schema}".outbox_relay ('
            " topic text PRIMARY KEY, position bigint NOT NULL,"
            " published bigint NOT NULL, partitions jsonb NOT NULL DEFAULT '{}',"
            " sent_since_check bigint NOT NULL DEFAULT 0)"
        )

    def load(self) -> RelayState:
        row = (
            self._connect()
            .execute(
                "SELECT position, published, partitions, sent_since_check"
                f' FROM "{self.schema}".outbox_relay WHERE topic = %s',
                (self.topic,),
            )
            .fetchone()
        )
        if row is None:
            return RelayState(0, 0, {})
        return RelayState(row[0], row[1], {int(k): v for k, v in row[2].items()}, row[3])

    def save(self, state: RelayState) -> None:
        self._connect().execute(
            f'INSERT INTO "{self.schema}".outbox_relay'
            " (topic, position, published, partitions, sent_since_check)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (topic) DO UPDATE SET"
            " position = EXCLUDED.position, published = EXCLUDED.published,"
            " partitions = EXCLUDED.partitions, sent_since_check = EXCLUDED.sent_since_check",
            (
                self.topic,
                state.position,
                state.published,
                orjson.dumps(
                    {str(k): v for k, v in (state.last_in_partition or {}).items()}
                ).decode(),
                state.sent_since_check,
            ),
        )


async def ensure_topics(
    bootstrap: str, topics: list[str], partitions: int = DEFAULT_PARTITIONS
) -> None:
    """Create missing topics; an existing one is left as it is."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in missing]
                )
    finally:
        await admin.close()


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        recorder: Any,
        to_envelope: ToEnvelope,
        bootstrap: str,
        topic: str,
        database_url: str,
        schema: str,
        batch_size: int = 500,
        idle_sleep_s: float = 0.05,
        confirm_loss_after_s: float = 1.0,
        check_interval_s: float = 0.5,
    ) -> None:
        self.service = service
        self.recorder = recorder
        self.to_envelope = to_envelope
        self.bootstrap = bootstrap
        self.topic = topic
        self.store = RelayStateStore(database_url, schema, topic)
        self.database_url = database_url
        self.batch_size = batch_size
        self.idle_sleep_s = idle_sleep_s
        self.confirm_loss_after_s = confirm_loss_after_s
        self.check_interval_s = check_interval_s
        self._checked_at = -1e9
        self.state = RelayState()
        self._producer: AIOKafkaProducer | None = None
        self._probe: AIOKafkaConsumer | None = None
        self._partitions = DEFAULT_PARTITIONS

    async def start(self) -> None:
        await asyncio.to_thread(self.store.ensure_table)
        self.state = await asyncio.to_thread(self.store.load)
        await ensure_topics(self.bootstrap, [self.topic])
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap, acks="all", linger_ms=2, max_batch_size=262144
        )
        await self._producer.start()
        self._probe = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await self._probe.start()

    async def stop(self) -> None:
        if self._producer:
            await self._producer.stop()
        if self._probe:
            await self._probe.stop()
        await asyncio.to_thread(self.store.close)

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set; only the holder of the advisory lock publishes.

        The lock lives as long as its connection: when PostgreSQL restarts, both are gone, and
        the relay connects and takes the lock again (found by the chaos run: a relay whose
        lock connection broke while it waited for the lock had stopped for good)."""
        while not stop.is_set():
            try:
                await self._publish_while_locked(stop)
            except Exception:
                log.exception("relay lost its lock; taking it again", extra={"topic": self.topic})
                await asyncio.sleep(1.0)

    async def _publish_while_locked(self, stop: asyncio.Event) -> None:
        lock_conn = await psycopg.AsyncConnection.connect(self.database_url, autocommit=True)
        try:
            while not stop.is_set():
                if await self._try_lock(lock_conn):
                    break
                await asyncio.sleep(1.0)
            while not stop.is_set():
                try:
                    sent = await self.publish_pending()
                except Exception:  # the broker may be restarting: retry, never crash the service
                    log.exception("relay cycle failed; retrying", extra={"topic": self.topic})
                    await lock_conn.execute("SELECT 1")  # raises when the lock went with it
                    await asyncio.sleep(0.5)
                    continue
                if sent == 0:
                    await asyncio.sleep(self.idle_sleep_s)
        finally:
            await lock_conn.close()

    async def _try_lock(self, conn: psycopg.AsyncConnection[Any]) -> bool:
        key = zlib.crc32(f"relay:{self.topic}".encode())
        row = await (await conn.execute("SELECT pg_try_advisory_lock(%s)", (key,))).fetchone()
        return bool(row and row[0])

    async def publish_pending(self) -> int:
        """One cycle: now and then check the broker kept what we sent, then send the next batch."""
        now = time.monotonic()
        if now - self._checked_at >= self.check_interval_s:
            await self._check_broker_kept_data()
            self._checked_at = now
        notifications = await asyncio.to_thread(
            self.recorder.select_notifications, self.state.position + 1, self.batch_size
        )
        if not notifications:
            RELAY_BACKLOG.labels(self.service).set(0)
            return 0
        assert self._producer is not None
        last_in_partition = dict(self.state.last_in_partition or {})
        futures = []
        for notification in notifications:
            envelope = self.to_envelope(notification)
            if envelope is None:
                continue
            partition = partition_for(envelope.subject, self._partitions)
            prev = last_in_partition.get(partition, 0)
            value = encode_envelope(msgspec.structs.replace(envelope, prev=prev))
            futures.append(
                await self._producer.send(
                    self.topic, value=value, key=envelope.subject.encode(), partition=partition
                )
            )
            last_in_partition[partition] = envelope.position
        await asyncio.gather(*futures)
        self.state = RelayState(
            position=notifications[-1].id,
            published=self.state.published,
            last_in_partition=last_in_partition,
            sent_since_check=self.state.sent_since_check + len(futures),
        )
        await asyncio.to_thread(self.store.save, self.state)
        EVENTS_PUBLISHED.labels(self.service, self.topic).inc(len(futures))
        return len(notifications)

    async def _check_broker_kept_data(self) -> None:
        """A healthy topic never holds less than at the last check, and grows when we send.

        Not a count of messages: Tansu 0.6 reports a partition's end offset as its last
        *batch*'s base offset + 1, so only "less than before" or "no growth after sending"
        reliably means the broker lost data.
        """
        assert self._probe is not None
        partitions = await self._topic_partitions()
        if partitions is None:
            await ensure_topics(self.bootstrap, [self.topic])
            if self.state.position:
                await self._reset("topic was missing")
            return
        self._partitions = len(partitions)
        held = await self._messages_held(partitions)
        lost = held < self.state.published or (
            self.state.sent_since_check > 0 and held <= self.state.published
        )
        if lost:
            # The high watermark can trail the last acknowledged write for a moment: only a
            # shortfall that persists means the broker really lost data.
            await asyncio.sleep(self.confirm_loss_after_s)
            held = await self._messages_held(partitions)
            lost = held < self.state.published or (
                self.state.sent_since_check > 0 and held <= self.state.published
            )
        if lost:
            await self._reset(f"topic holds {held}; it held {self.state.published} before")
        elif held != self.state.published or self.state.sent_since_check:
            self.state.published, self.state.sent_since_check = held, 0
            await asyncio.to_thread(self.store.save, self.state)

    async def _messages_held(self, partitions: set[int]) -> int:
        assert self._probe is not None
        ends = await self._probe.end_offsets([TopicPartition(self.topic, p) for p in partitions])
        return sum(ends.values())

    async def _topic_partitions(self) -> set[int] | None:
        assert self._probe is not None
        await self._probe._client.force_metadata_update()
        partitions = self._probe.partitions_for_topic(self.topic)
        return set(partitions) if partitions else None

    async def _reset(self, why: str) -> None:
        log.warning(
            "broker lost its data; republishing from the start",
            extra={"topic": self.topic, "reason": why},
        )
        BROKER_RESETS.labels(self.service).inc()
        self.state = RelayState(0, 0, {})
        await asyncio.to_thread(self.store.save, self.state)
