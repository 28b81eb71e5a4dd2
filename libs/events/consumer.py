"""The consumer runner: batches from Kafka, applied with exactly-once effects (rule 5).

Each (topic, partition) is a stream whose events carry their source-log `position` and the
`prev` position the relay sent to the same partition. A sink applies a contiguous run of
events and records the last position in the same PostgreSQL transaction, so:
- a redelivered or replayed event (position ≤ recorded) is skipped;
- a hole (an event whose `prev` is beyond what we applied — the broker lost data and the
  relay has not republished yet) is never skipped over: the partition is rewound and read
  again until the stream is whole;
- an event the sink cannot apply goes to the dead-letter topic with the error, and the
  stream moves on.
Broker offsets are only a hint of where to resume; the recorded position is the truth.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from typing import Any, Protocol

import msgspec
import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from libs.events.envelope import Envelope, EnvelopeError, decode_envelope, encode_envelope
from libs.events.relay import ensure_topics
from libs.events.upcasting import UPCASTERS, UpcasterRegistry
from libs.platform.metrics import CONSUMER_LAG, DEAD_LETTERS, EVENTS_PROCESSED, EVENTS_SKIPPED

log = logging.getLogger(__name__)


class DeadLetterFn(Protocol):
    async def __call__(self, envelope: Envelope, error: BaseException) -> None: ...


class Sink(Protocol):
    """Where a consumer's effects go; `apply` must record the stream position atomically."""

    async def last_position(self, stream: str) -> int: ...

    async def apply(
        self, stream: str, envelopes: list[Envelope], dead_letter: DeadLetterFn
    ) -> None: ...


def upcast(envelope: Envelope, registry: UpcasterRegistry = UPCASTERS) -> Envelope:
    """Old versions of an event reach every sink in the newest shape (rule 4)."""
    event_type, data = registry.upcast(envelope.type, envelope.data)
    if event_type == envelope.type:
        return envelope
    return msgspec.structs.replace(envelope, type=event_type, data=data)


def contiguous_run(envelopes: list[Envelope], last: int) -> tuple[list[Envelope], bool]:
    """The events to apply after `last`, and whether a hole stops the run.

    Pure, so the rule that decides "skip, apply or rewind" is tested without a broker.
    """
    run: list[Envelope] = []
    waiting: list[Envelope] = []
    expected = last
    for envelope in envelopes:
        if envelope.position <= expected:
            continue
        if envelope.prev > expected:
            # Not applicable yet, but read on: after a broker lost its data, the relay's
            # republish (which fills the hole) comes *after* what it sent before noticing.
            waiting.append(envelope)
            continue
        run.append(envelope)
        expected = envelope.position
    return run, any(envelope.position > expected for envelope in waiting)


class ConsumerRunner:
    def __init__(
        self,
        *,
        name: str,
        bootstrap: str,
        topics: list[str],
        sink: Sink,
        dead_letter_topic: str,
        rebalance_timeout_s: float = 6.0,
        max_records: int = 500,
    ) -> None:
        self.name = name
        self.bootstrap = bootstrap
        self.topics = topics
        self.sink = sink
        self.dead_letter_topic = dead_letter_topic
        self.max_records = max_records
        timeout_ms = int(rebalance_timeout_s * 1000)
        self._consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=bootstrap,
            group_id=name,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            rebalance_timeout_ms=timeout_ms,
            session_timeout_ms=max(timeout_ms, 6000),
            heartbeat_interval_ms=1000,
            metadata_max_age_ms=5000,
        )
        self._producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
        self.ready = asyncio.Event()
        #: Per partition, the offset just past the last record this runner received.
        self._read_to: dict[TopicPartition, int] = {}
        #: Per partition, the highest end (high watermark) seen: an end lower than it is a loss.
        self._highwater_seen: dict[TopicPartition, int] = {}
        #: Partitions read past a hole before their end: rewound once the end is reached.
        self._holes_behind: set[TopicPartition] = set()
        #: Partitions whose last record was read again because we started at their end.
        self._end_read: set[TopicPartition] = set()

    async def start(self) -> None:
        await self._producer.start()
        await self._consumer.start()

    async def stop(self) -> None:
        await self._consumer.stop()
        await self._producer.stop()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                batch = await self._consumer.getmany(timeout_ms=200, max_records=self.max_records)
                self.ready.set()
                for tp, records in batch.items():
                    self._read_to[tp] = records[-1].offset + 1
                    await self._handle_partition(tp, records)
                if batch:
                    await self._consumer.commit()
                await self._rewind_offsets_beyond_the_end()
            except Exception:  # broker restarts and DB hiccups: log, pause, carry on
                log.exception("consumer cycle failed; retrying", extra={"consumer": self.name})
                await asyncio.sleep(0.5)

    async def _rewind_offsets_beyond_the_end(self) -> None:
        """A fetch offset past a partition's end, not reached by reading: start it over.

        Kafka answers such a fetch with OffsetOutOfRange (auto_offset_reset applies); Tansu 0.6
        answers with no records and no error. After the broker lost its data, an offset from
        before the loss (a committed one, or one held across the restart) can lie beyond what
        the relay's republish has written, and the partition was read no more: no record, so
        no hole seen (found by the chaos run). Re-reading is safe, positions decide. Tansu's
        high watermark can trail the end of a batch we did read, hence "not reached by reading".
        """
        for tp in self._consumer.assignment():
            highwater = self._consumer.highwater(tp)
            if highwater is None:
                continue
            if highwater < self._highwater_seen.get(tp, 0):
                # A log's end never moves back: the broker lost the partition. What it holds
                # now may sit below our position (a poison message has no stream position
                # to betray a hole, found by the chaos run), so it is all read again.
                log.warning(
                    "partition's end moved back; reading it from the start",
                    extra={
                        "consumer": self.name,
                        "topic": tp.topic,
                        "partition": tp.partition,
                        "highwater": highwater,
                        "before": self._highwater_seen[tp],
                    },
                )
                await self._consumer.seek_to_beginning(tp)
                self._read_to.pop(tp, None)
                self._holes_behind.discard(tp)
                self._highwater_seen[tp] = highwater
                continue
            self._highwater_seen[tp] = highwater
            offset = await self._consumer.position(tp)
            if offset == highwater > 0 and tp not in self._read_to and tp not in self._end_read:
                # Starting exactly at the end shows nothing, not even a hole: read the last
                # record once. After a broker loss the committed offset can be the end of a
                # new log whose every record we miss (found by the chaos run); that record's
                # `prev` then betrays the hole, and the hole rewinds the partition.
                self._end_read.add(tp)
                self._consumer.seek(tp, highwater - 1)
                continue
            if offset > highwater and offset != self._read_to.get(tp):
                log.warning(
                    "fetch offset beyond the partition's end; reading it from the start",
                    extra={
                        "consumer": self.name,
                        "topic": tp.topic,
                        "partition": tp.partition,
                        "offset": offset,
                        "highwater": highwater,
                    },
                )
                await self._consumer.seek_to_beginning(tp)
                self._read_to.pop(tp, None)
                self._holes_behind.discard(tp)

    async def _handle_partition(self, tp: TopicPartition, records: list[ConsumerRecord]) -> None:
        try:
            await self._take(tp, records)
        except Exception:
            # Read the batch again: nothing in it is skipped, neither an event whose effect
            # failed nor a poison message whose dead letter could not be sent (issue 17).
            self._consumer.seek(tp, records[0].offset)
            raise

    async def _take(self, tp: TopicPartition, records: list[ConsumerRecord]) -> None:
        stream = f"{tp.topic}:{tp.partition}"
        envelopes: list[Envelope] = []
        for record in records:
            try:
                envelopes.append(upcast(decode_envelope(record.value)))
            except EnvelopeError as error:
                await self._dead_letter_raw(tp, record, error)
        last = await self.sink.last_position(stream)
        run, hole = contiguous_run(envelopes, last)
        skipped = len(envelopes) - len(run)
        if run:
            await self.sink.apply(stream, run, self._dead_letter)
        highwater = self._consumer.highwater(tp)
        at_end = highwater is None or records[-1].offset + 1 >= highwater
        # A hole seen before the end is remembered: the events waiting behind it are behind
        # our position once the filler comes, and a filler that ends the log shows no hole of
        # its own (found by the chaos run: a consumer stuck with nothing left to read).
        hole = hole or tp in self._holes_behind
        if hole and at_end:  # the filler may still be ahead of us: rewind only at the end
            log.warning(
                "hole in stream; rewinding until the relay has republished",
                extra={"consumer": self.name, "stream": stream, "last": last},
            )
            await asyncio.sleep(0.5)
            await self._consumer.seek_to_beginning(tp)
            self._holes_behind.discard(tp)
            skipped = 0
        elif hole:
            self._holes_behind.add(tp)
        EVENTS_PROCESSED.labels(self.name, tp.topic).inc(len(run))
        if skipped:
            EVENTS_SKIPPED.labels(self.name, tp.topic).inc(skipped)
        if highwater is not None and records:
            CONSUMER_LAG.labels(self.name, tp.topic, str(tp.partition)).set(
                max(0, highwater - records[-1].offset - 1)
            )

    async def _dead_letter(self, envelope: Envelope, error: BaseException) -> None:
        log.error(
            "event dead-lettered",
            extra={
                "consumer": self.name,
                "event_id": envelope.id,
                "ticket_id": envelope.subject,
                "error": repr(error),
            },
        )
        payload = {
            "consumer": self.name,
            "error": repr(error),
            "traceback": "".join(traceback.format_exception(error))[-4000:],
            "event": orjson.loads(encode_envelope(envelope)),
        }
        await self._send_dead_letter(envelope.subject.encode(), payload)

    async def _dead_letter_raw(
        self, tp: TopicPartition, record: ConsumerRecord, error: BaseException
    ) -> None:
        log.error(
            "undecodable message dead-lettered",
            extra={"consumer": self.name, "topic": tp.topic, "offset": record.offset},
        )
        payload = {
            "consumer": self.name,
            "error": repr(error),
            "topic": tp.topic,
            "partition": tp.partition,
            "offset": record.offset,
            "raw": (record.value or b"").decode("utf-8", "replace"),
        }
        await self._send_dead_letter(record.key, payload)

    async def _send_dead_letter(self, key: bytes | None, payload: dict[str, Any]) -> None:
        # No relay watches this topic. After the embedded broker lost its data, a send to it
        # makes the broker create it by itself, and what such a send writes is acknowledged
        # yet never readable (Tansu 0.6, found by the chaos run): make it properly first.
        # Dead letters are rare, so the check costs nothing that matters.
        await ensure_topics(self.bootstrap, [self.dead_letter_topic])
        await self._producer.send_and_wait(
            self.dead_letter_topic, value=orjson.dumps(payload), key=key
        )
        DEAD_LETTERS.labels(self.name, self.dead_letter_topic).inc()
