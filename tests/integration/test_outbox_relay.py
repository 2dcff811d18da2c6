"""The outbox relay's own transaction, on the real database and broker: begun with its
lock in one round trip and committed with its marks in another (`OutboxRelay.drain_once`),
so a failure or a cancellation between the two must leave nothing behind. Events the
broker refused, or a stop interrupted, stay unsent and the lock is free; the next drain
sends them, marks them, and they are on the topic, in order."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import uuid4

import asyncpg
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.contracts.events import ComplaintRegistered
from shared.kafka import client_security, make_producer
from shared.outbox import OutboxRelay, _literal
from shared.runtime import migrate_service
from shared.settings import Settings, topic_name
from tests.integration.test_casework_projection import registration
from tests.integration.test_notifications_service import append

pytestmark = pytest.mark.integration

CASES = 5


class RefusingProducer:
    """A producer whose broker refuses every message (as a broker gone away does)."""

    async def send(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("broker unreachable")


class StuckProducer:
    """A producer whose broker never answers (the relay is stopped while it waits)."""

    def __init__(self) -> None:
        self.waiting = asyncio.Event()

    async def send(self, *args: Any, **kwargs: Any) -> Any:
        self.waiting.set()
        await asyncio.Event().wait()


async def _nothing_left_open(pool: asyncpg.Pool) -> None:
    """No transaction left open on any connection of the test's database, and the relay's
    lock free."""
    async with pool.acquire() as conn:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND state LIKE 'idle in transaction%'"
            )
            == 0
        )
        assert await conn.fetchval(
            "SELECT pg_try_advisory_xact_lock(hashtext('slrt.outbox.intake'))"
        )


async def _unsent(pool: asyncpg.Pool) -> int:
    async with pool.acquire() as conn:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM eventstore.outbox WHERE owner = 'intake' AND sent_at IS NULL"
            )
        )


async def _topic_case_ids(settings: Settings, expected: int) -> list[str]:
    consumer = AIOKafkaConsumer(
        topic_name(settings, ComplaintRegistered.topic),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **client_security(settings),
    )
    await consumer.start()
    try:
        seen: list[str] = []
        for _ in range(40):
            batches = await consumer.getmany(timeout_ms=500)
            seen += [orjson.loads(r.value)["case_id"] for rs in batches.values() for r in rs]
            if len(seen) >= expected:
                break
        return seen
    finally:
        await consumer.stop()


async def test_a_drain_that_fails_leaves_its_events_unsent_and_its_lock_free(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    assert settings.database_url
    await migrate_service(settings.database_url, "intake", None)
    cases = [uuid4() for _ in range(CASES)]
    for case_id in cases:
        await append(pool, "intake", [registration(case_id)], case_id, "lumajang")
    assert await _unsent(pool) == CASES

    refused = OutboxRelay(pool, "intake", RefusingProducer())
    with pytest.raises(ConnectionError):
        await refused.drain_once()
    assert await _unsent(pool) == CASES  # nothing marked
    await _nothing_left_open(pool)

    producer: AIOKafkaProducer = make_producer(settings, client_id="test-outbox-relay")
    await producer.start()
    try:
        relay = OutboxRelay(pool, "intake", producer, topic_prefix=settings.kafka_topic_prefix)
        assert await relay.drain_once() == CASES
        assert await relay.drain_once() == 0  # marked: a drain finds nothing more
    finally:
        await producer.stop()
    assert await _unsent(pool) == 0
    assert await _topic_case_ids(settings, CASES) == [str(c) for c in cases]


async def test_a_drain_cancelled_while_it_sends_leaves_nothing_open(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    """What a service's stop does to a relay in the middle of a drain."""
    assert settings.database_url
    await migrate_service(settings.database_url, "intake", None)
    case_id = uuid4()
    await append(pool, "intake", [registration(case_id)], case_id, "lumajang")
    stuck = StuckProducer()
    relay = OutboxRelay(pool, "intake", stuck)

    async def drain() -> int:
        return await relay.drain_once()

    draining = asyncio.create_task(drain())
    await asyncio.wait_for(stuck.waiting.wait(), 10)
    draining.cancel()
    with pytest.raises(asyncio.CancelledError):
        await draining
    assert await _unsent(pool) == 1
    await _nothing_left_open(pool)


def test_an_owner_is_quoted_as_a_literal() -> None:
    assert _literal("intake") == "'intake'"
    assert _literal("o'brien") == "'o''brien'"
