"""Reads reporting's topics from their beginning, partition by partition, for a rebuild.

Where the log is read from: Kafka, the topics reporting's live consumer reads. Each service's
PostgreSQL event store holds the same events, but it is that service's own schema (ARCHITECTURE
rule 1: no service reads another's tables), and the broker ends up holding all of it: topics
keep every event (`retention.ms: -1`, deploy/k8s/README.md) and, when the embedded broker
loses its data, each relay republishes its whole log. Positions are the source logs', so a
republished or repeated event is recognised, exactly as the live consumer does.

No consumer group: the reader assigns itself every partition and never commits, so it takes
nothing from the live consumer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from libs.events.consumer import upcast
from libs.events.envelope import Envelope, EnvelopeError, decode_envelope

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Chunk:
    """Records of one partition as read, decoded; `offsets[i]` is `envelopes[i]`'s offset."""

    tp: TopicPartition
    stream: str
    envelopes: list[Envelope]
    offsets: list[int]
    records: int
    at_end: bool


class LogReader:
    def __init__(self, bootstrap: str, topics: Sequence[str]) -> None:
        self.bootstrap = bootstrap
        self.topics = list(topics)
        self._consumer: AIOKafkaConsumer | None = None
        self.partitions: list[TopicPartition] = []

    async def open(self) -> int:
        """Assign every partition from its beginning; the number of messages they hold."""
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            metadata_max_age_ms=5000,
            max_partition_fetch_bytes=4 * 1024 * 1024,
        )
        await self._consumer.start()
        self.partitions = []
        await self._consumer.topics()  # fetches the metadata partitions_for_topic reads
        for topic in self.topics:
            found = self._consumer.partitions_for_topic(topic) or set()
            self.partitions += [TopicPartition(topic, p) for p in sorted(found)]
        self._consumer.assign(self.partitions)
        await self._consumer.seek_to_beginning(*self.partitions)
        return await self.messages_held()

    async def messages_held(self) -> int:
        assert self._consumer is not None
        begin = await self._consumer.beginning_offsets(self.partitions)
        end = await self._consumer.end_offsets(self.partitions)
        return sum(end[tp] - begin[tp] for tp in self.partitions)

    async def close(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()

    async def read(self, max_records: int = 5000) -> list[Chunk]:
        assert self._consumer is not None
        batch = await self._consumer.getmany(timeout_ms=200, max_records=max_records)
        chunks = [self._chunk(tp, records) for tp, records in batch.items() if records]
        await self._restart_partitions_beyond_their_end()
        return chunks

    def _chunk(self, tp: TopicPartition, records: list[ConsumerRecord]) -> Chunk:
        envelopes, offsets = [], []
        for record in records:
            try:
                envelopes.append(upcast(decode_envelope(record.value)))
                offsets.append(record.offset)
            except EnvelopeError:
                pass  # the live consumer dead-lettered it already
        assert self._consumer is not None
        highwater = self._consumer.highwater(tp)
        at_end = highwater is None or records[-1].offset + 1 >= highwater
        return Chunk(tp, f"{tp.topic}:{tp.partition}", envelopes, offsets, len(records), at_end)

    async def _restart_partitions_beyond_their_end(self) -> None:
        """After the broker lost its data, an offset held from before can lie past the new end
        (the live consumer's reason, libs/events/consumer.py): read such a partition again."""
        assert self._consumer is not None
        for tp in self.partitions:
            highwater = self._consumer.highwater(tp)
            if highwater is not None and await self._consumer.position(tp) > highwater:
                log.warning("rebuild: offset beyond the end; reading again", extra={"tp": str(tp)})
                await self._consumer.seek_to_beginning(tp)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        assert self._consumer is not None
        self._consumer.seek(tp, offset)

    async def rewind(self, tp: TopicPartition) -> None:
        assert self._consumer is not None
        await asyncio.sleep(0.5)
        await self._consumer.seek_to_beginning(tp)

    def pause(self, tp: TopicPartition) -> None:
        assert self._consumer is not None
        self._consumer.pause(tp)

    def resume(self, tp: TopicPartition) -> None:
        assert self._consumer is not None
        self._consumer.resume(tp)
