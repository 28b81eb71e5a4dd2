"""Poison on purpose: messages no consumer can read, put on intake's topic, and the dead-letter
topic read back whole, to tell the poison from anything else that ended there."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from libs.events.topics import DEADLETTER, INTAKE, topic_name


@dataclass
class Poison:
    bootstrap: str
    prefix: str
    run: str
    #: Each injected marker and when (time.monotonic()) the broker acknowledged it.
    injected: dict[str, float] = field(default_factory=dict)

    def marker(self, n: int) -> str:
        return f"CHAOS-POISON-{self.run}-{n}"

    async def inject(self) -> str | None:
        """One poison message: alternately broken JSON, and JSON that is no event at all."""
        marker = self.marker(len(self.injected) + 1)
        value = (
            f'{{"chaos": "{marker}", '.encode()
            if len(self.injected) % 2 == 0
            else orjson.dumps({"chaos": marker, "type": "hotro.ticket.submitted.v1"})
        )
        topic = topic_name(INTAKE, self.prefix)
        if not await self._exists(topic):
            return None  # just after a broker restart: sending would create it, wrongly made
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all")
        try:
            await producer.start()
            await producer.send_and_wait(topic, value=value, key=marker.encode())
        except Exception:  # the broker is restarting: this one is not injected
            return None
        finally:
            await producer.stop()
        self.injected[marker] = time.monotonic()
        return marker

    async def _exists(self, topic: str) -> bool:
        return bool(await self._partitions(topic))

    async def _partitions(self, topic: str) -> list[int]:
        """The topic's partitions; none when it does not exist (asking does not make it)."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        try:
            await admin.start()
            if topic not in await admin.list_topics():
                return []
            described = await admin.describe_topics([topic])
            return sorted(p["partition"] for p in described[0]["partitions"])
        except Exception:
            return []
        finally:
            await admin.close()

    async def dead_letters(self) -> list[dict[str, Any]]:
        """Everything on the dead-letter topic now, oldest first per partition."""
        topic = topic_name(DEADLETTER, self.prefix)
        # Not always DEFAULT_PARTITIONS: after a restart the broker may have made the topic
        # itself, with its own default, when a consumer sent a dead letter to it.
        partitions = await self._partitions(topic)
        if not partitions:
            return []
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            tps = [TopicPartition(topic, p) for p in partitions]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            ends = await consumer.end_offsets(tps)
            found: list[dict[str, Any]] = []
            idle = 0  # the broker may count records it cannot serve: stop when none come
            while idle < 4 and any([await consumer.position(tp) < ends[tp] for tp in tps]):
                batch = await consumer.getmany(timeout_ms=500)
                idle = 0 if batch else idle + 1
                for records in batch.values():
                    found.extend(orjson.loads(r.value) for r in records if r.value)
            return found
        finally:
            await consumer.stop()


def poison_in(letter: dict[str, Any]) -> str | None:
    """The marker a dead letter carries, if it is one of ours."""
    text = letter.get("raw") or orjson.dumps(letter.get("event") or {}).decode()
    start = text.find("CHAOS-POISON-")
    if start < 0:
        return None
    end = start + len("CHAOS-POISON-")
    while end < len(text) and (text[end].isalnum() or text[end] == "-"):
        end += 1
    return text[start:end]
