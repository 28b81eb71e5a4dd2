"""Plain aiokafka helpers for the service tests: read a whole topic, publish raw messages."""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from tests.support.waiting import eventually


async def read_topic(bootstrap: str, topic: str, timeout: float = 20) -> list[ConsumerRecord]:
    """Every message the topic holds right now, partition by partition in offset order."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:

        async def partitions() -> set[int] | None:
            await consumer.topics()  # refreshes the metadata
            return consumer.partitions_for_topic(topic)

        tps = [TopicPartition(topic, p) for p in sorted(await eventually(partitions, timeout))]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        records: dict[TopicPartition, list[ConsumerRecord]] = {tp: [] for tp in tps}

        async def read_to_end() -> bool:
            batch = await consumer.getmany(timeout_ms=200)
            for tp, got in batch.items():
                records[tp].extend(got)
            positions = [await consumer.position(tp) for tp in tps]
            return all(position >= ends[tp] for position, tp in zip(positions, tps, strict=True))

        await eventually(read_to_end, timeout, interval=0)
        return [record for tp in tps for record in records[tp]]
    finally:
        await consumer.stop()


async def publish(bootstrap: str, topic: str, messages: Iterable[tuple[int, bytes, bytes]]) -> None:
    """Send (partition, key, value) messages in order and wait until the broker has them all."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for partition, key, value in messages:
            await producer.send_and_wait(topic, value=value, key=key, partition=partition)
    finally:
        await producer.stop()
