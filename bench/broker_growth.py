"""What the broker's CPU per message does as it holds more batches (a raw limit).

The embedded broker (Tansu 0.6, memory store) keeps every produced batch as one object per
partition and has no retention. To answer a fetch that has new records it lists every
object of the partition (`dynostore.rs`, `fetch`), so the CPU a fetch costs grows with
all the batches the partition ever took. A system that runs for days on it (`make up`)
slows as its topics fill; Apache Kafka (deploy/) indexes its segments and does not.

Measured on a topic of its own (3 partitions, as deploy/'s compose makes them): four consumer
groups (as many as the services reading one topic) follow a producer that sends one record
per request at a steady rate, first with the topic nearly empty, then after it has taken
`held` more one-record batches. The rows are the broker's CPU per message sent, and the
ratio of the second to the first.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

GROUPS = 4
PARTITIONS = 3


async def _steady(
    producer: AIOKafkaProducer,
    bootstrap: str,
    topic: str,
    tag: str,
    broker_cpu: Callable[[], float],
    *,
    rate: float,
    seconds: float,
) -> float:
    """Broker CPU-ms per message while `GROUPS` groups follow `rate` messages/s."""
    consumers = [
        AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=f"{topic}.{tag}.{k}",
            auto_offset_reset="latest",
            fetch_max_wait_ms=50,  # as the services fetch
        )
        for k in range(GROUPS)
    ]
    for c in consumers:
        await c.start()
    # Assigned and positioned at the end before the timed part.
    await asyncio.gather(*(c.getmany(timeout_ms=2000) for c in consumers))
    done = asyncio.Event()

    async def follow(c: AIOKafkaConsumer) -> None:
        while not done.is_set():
            await c.getmany(timeout_ms=200)

    followers = [asyncio.create_task(follow(c)) for c in consumers]
    try:
        sent = 0
        before = broker_cpu()
        started = time.perf_counter()
        while time.perf_counter() - started < seconds:
            await (await producer.send(topic, b"x" * 512, key=str(sent).encode()))
            sent += 1
            ahead = sent / rate - (time.perf_counter() - started)
            if ahead > 0:
                await asyncio.sleep(ahead)
        spent = broker_cpu() - before
        return 1000 * spent / max(1, sent)
    finally:
        done.set()
        await asyncio.gather(*followers, return_exceptions=True)
        for c in consumers:
            with contextlib.suppress(Exception):
                await c.stop()


async def broker_growth(
    bootstrap: str,
    broker_cpu: Callable[[], float],
    *,
    held: int = 20_000,
    rate: float = 100.0,
    seconds: float = 6.0,
) -> dict[str, Any]:
    """The broker's CPU-ms per message on a fresh topic and after `held` more batches."""
    topic = f"bench.growth.{os.getpid()}.{int(time.time())}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, PARTITIONS, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False, linger_ms=0)
    await producer.start()
    try:
        fresh = await _steady(
            producer, bootstrap, topic, "fresh", broker_cpu, rate=rate, seconds=seconds
        )
        # One record per request: one stored batch each, spread over the partitions.
        for i in range(held):
            await (await producer.send(topic, b"x" * 512, key=str(i).encode()))
        grown = await _steady(
            producer, bootstrap, topic, "grown", broker_cpu, rate=rate, seconds=seconds
        )
    finally:
        await producer.stop()
    return {"fresh_ms": fresh, "grown_ms": grown, "held": held, "rate": rate}
