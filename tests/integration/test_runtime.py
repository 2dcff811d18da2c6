"""The shared runtime on the real broker: relay → Kafka → idempotent consumer, and DLQ."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID, uuid4

import asyncpg
import orjson
import pytest
from aiokafka import AIOKafkaProducer

from shared.contracts.base import EventEnvelope, EventMetadata
from shared.contracts.events import INTAKE_TOPIC, CaseAssigned
from shared.contracts.vocab import Role
from shared.runtime import ServiceRuntime
from shared.settings import Settings
from tests.servicekit import eventually

pytestmark = pytest.mark.integration

applied: list[EventEnvelope] = []


async def _record(conn: asyncpg.Connection, env: EventEnvelope) -> None:
    applied.append(env)


@pytest.fixture
async def two_runtimes(settings: Settings):  # type: ignore[no-untyped-def]
    """A publisher ('casework' owns CaseAssigned) and a consumer ('notifications')."""
    applied.clear()
    publisher = ServiceRuntime("casework", migrations=None, settings=settings)
    consumer = ServiceRuntime(
        "notifications",
        migrations=None,
        handlers={"CaseAssigned": _record},
        settings=settings,
    )
    await publisher.start()
    await consumer.start()
    try:
        yield publisher, consumer
    finally:
        await consumer.stop()
        await publisher.stop()


async def test_event_travels_once_through_outbox_and_kafka(
    two_runtimes: tuple[ServiceRuntime, ServiceRuntime],
) -> None:
    publisher, consumer = two_runtimes
    case_id = uuid4()
    meta = EventMetadata(case_id=case_id, office="lumajang", actor="staff:t")
    event = CaseAssigned(case_id=case_id, assignee="sw-1", role=Role.SOCIAL_WORKER, assigned_by="t")
    async with publisher.pool.acquire() as conn, conn.transaction():
        [env] = await publisher.store.append(conn, f"case-{case_id}", 0, [event], meta)

    await eventually(lambda: _has(case_id))
    # At-least-once: the same envelope again (as a redelivery would) is not applied twice.
    assert consumer.consumer is not None
    assert await consumer.consumer.apply(env) is False
    async with consumer.pool.acquire() as conn:
        n = await conn.fetchval(
            "SELECT count(*) FROM notifications.processed_events WHERE event_id = $1", env.event_id
        )
        sent = await conn.fetchval(
            "SELECT sent_at IS NOT NULL FROM eventstore.outbox WHERE global_position = $1",
            env.global_position,
        )
    assert n == 1 and sent
    assert [e.event_id for e in applied if e.case_id == case_id] == [env.event_id]


async def _has(case_id: UUID) -> bool:
    return any(e.case_id == case_id for e in applied)


async def test_undecodable_message_is_dead_lettered_with_reason(
    two_runtimes: tuple[ServiceRuntime, ServiceRuntime], settings: Settings
) -> None:
    _, consumer = two_runtimes
    # notifications subscribes to the casework topic; send garbage there.
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    marker = uuid4().hex
    try:
        await producer.send_and_wait(
            f"{settings.kafka_topic_prefix}slrt.casework.events",
            f"not json {marker}".encode(),
            key=b"x",
        )
    finally:
        await producer.stop()

    async def dead() -> object:
        async with consumer.pool.acquire() as conn:
            return await conn.fetchrow(
                "SELECT reason, raw FROM notifications.dead_letters WHERE raw = $1",
                f"not json {marker}".encode(),
            )

    row = await eventually(dead)
    assert row["reason"].startswith("undecodable")
    assert INTAKE_TOPIC  # the topics module is importable for consumers
    _ = orjson, Path
