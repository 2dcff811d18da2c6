"""This machine's raw limits, measured in the same run as the system: the baselines."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


async def pg_commit_rate(dsn: str, concurrency: int, seconds: float) -> dict[str, float]:
    """Single-row INSERT transactions, `concurrency` connections in parallel, for `seconds`.

    The row looks like an event (uuid, text, jsonb) so the comparison is fair.
    """
    setup = await asyncpg.connect(dsn)
    await setup.execute(
        "DROP TABLE IF EXISTS bench_raw; CREATE TABLE bench_raw ("
        "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, k uuid NOT NULL, "
        "t text NOT NULL, data jsonb NOT NULL)"
    )
    await setup.close()
    conns = [await asyncpg.connect(dsn) for _ in range(concurrency)]
    latencies: list[float] = []
    count = 0
    deadline = time.perf_counter() + seconds
    payload = '{"nik": "3508010101900001", "office": "lumajang", "text": "%s"}' % ("x" * 400)

    async def worker(conn: asyncpg.Connection) -> None:
        nonlocal count
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            await conn.execute(
                "INSERT INTO bench_raw (k, t, data) VALUES (gen_random_uuid(), 'ev', $1::jsonb)",
                payload,
            )
            latencies.append(time.perf_counter() - t0)
            count += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    elapsed = time.perf_counter() - started
    for c in conns:
        await c.close()
    return {
        "commits_per_s": count / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }


async def kafka_rates(bootstrap: str, messages: int, *, idempotence: bool) -> dict[str, float]:
    """Produce `messages` 1 KiB records in gathered batches, then consume them all."""
    topic = f"bench.raw.{os.getpid()}.{int(time.time())}"
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=idempotence, acks="all", linger_ms=0
    )
    await producer.start()
    value = b"x" * 1024
    try:
        await producer.send_and_wait(topic, value, key=b"warm")  # creates the topic
        started = time.perf_counter()
        batch = 1000
        for i in range(0, messages, batch):
            futures: list[Any] = [
                await producer.send(topic, value, key=str(j % 64).encode())
                for j in range(i, min(i + batch, messages))
            ]
            await asyncio.gather(*futures)
        produce_s = time.perf_counter() - started
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    got = 0
    started = time.perf_counter()
    try:
        while got < messages + 1:
            records = await consumer.getmany(timeout_ms=1000, max_records=5000)
            if not records:
                break
            got += sum(len(v) for v in records.values())
    finally:
        await consumer.stop()
    consume_s = time.perf_counter() - started
    return {
        "produce_per_s": messages / produce_s,
        "consume_per_s": got / consume_s if consume_s else float("nan"),
    }


def mean(xs: list[float]) -> float:
    return statistics.fmean(xs) if xs else float("nan")
