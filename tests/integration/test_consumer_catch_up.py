"""Catch-up from the event store never gets stuck behind one bad event: a handler that
fails for an event is retried (bounded, with back-off), then the event is dead-lettered
with its reason (table and dead-letter topic, with its key, event id and correlation id)
and the checkpoint moves past it; exactly once still holds. Real PostgreSQL and broker."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import orjson
import pytest
import structlog
from aiokafka import AIOKafkaConsumer
from structlog.testing import capture_logs

from shared.consumer import Consumer, handles
from shared.contracts.base import EventEnvelope, EventMetadata
from shared.contracts.events import CaseAssigned, dead_letter_topic
from shared.contracts.vocab import Role
from shared.db import create_pool
from shared.eventstore.store import EventStore
from shared.kafka import make_producer
from shared.logging import get_logger
from shared.refusal import Refused
from shared.runtime import migrate_service
from shared.settings import Settings, topic_name

pytestmark = pytest.mark.integration

log = get_logger(__name__)
CASE_TOPIC = CaseAssigned.topic


class Probe:
    """A handler that keeps what it saw and fails for the assignees it is told to."""

    def __init__(self, failing: dict[str, Exception]) -> None:
        self.failing = failing
        self.calls: list[str] = []

    async def __call__(
        self, conn: asyncpg.Connection, event: CaseAssigned, envelope: EventEnvelope
    ) -> None:
        self.calls.append(event.assignee)
        log.warning("probe_saw", assignee=event.assignee)
        if event.assignee in self.failing:
            raise self.failing[event.assignee]
        await conn.execute(
            "INSERT INTO notifications.probe_seen (event_id, assignee) VALUES ($1, $2)",
            envelope.event_id,
            event.assignee,
        )


async def _prepare(database_url: str, pool: asyncpg.Pool) -> None:
    await migrate_service(database_url, "notifications", None)
    async with pool.acquire() as conn:
        await conn.execute(
            "CREATE TABLE notifications.probe_seen (event_id uuid PRIMARY KEY, assignee text)"
        )


async def _assign(pool: asyncpg.Pool, assignee: str) -> EventEnvelope:
    """One case assigned, in a transaction of its own (as casework writes it)."""
    case_id = uuid4()
    event = CaseAssigned(
        case_id=case_id, assignee=assignee, role=Role.SOCIAL_WORKER, assigned_by="t"
    )
    meta = EventMetadata(case_id=case_id, office="lumajang", actor="staff:t")
    async with pool.acquire() as conn, conn.transaction():
        [env] = await EventStore(owner="casework").append(conn, f"case-{case_id}", 0, [event], meta)
    return env


def _real_dead_letter_publisher(settings: Settings) -> tuple[Any, Any]:
    """What the runtime gives a consumer: the original key and headers to the service's
    dead-letter topic, through a real producer."""
    producer = make_producer(settings, client_id="test-catch-up-dead-letters")

    async def publish(
        _topic: str, raw: bytes, headers: Sequence[tuple[str, bytes]], key: bytes | None
    ) -> None:
        await producer.send_and_wait(
            topic_name(settings, dead_letter_topic("notifications")),
            value=raw,
            key=key,
            headers=list(headers),
        )

    return producer, publish


async def _dead_letters_on_kafka(settings: Settings, want: int) -> list[Any]:
    consumer = AIOKafkaConsumer(
        topic_name(settings, dead_letter_topic("notifications")),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        seen: list[Any] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(seen) < want:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                seen.extend(records)
        return seen
    finally:
        await consumer.stop()


async def _count(pool: asyncpg.Pool, sql: str) -> int:
    async with pool.acquire() as conn:
        return int(await conn.fetchval(sql))


async def test_a_failing_event_is_dead_lettered_and_catch_up_moves_past_it(
    database_url: str, pool: asyncpg.Pool, settings: Settings
) -> None:
    await _prepare(database_url, pool)
    first = await _assign(pool, "sw-1")
    bad = await _assign(pool, "sw-bad")
    third = await _assign(pool, "sw-3")
    probe = Probe({"sw-bad": RuntimeError("boom: no such recipient")})
    producer, publish = _real_dead_letter_publisher(settings)
    await producer.start()
    try:
        consumer = Consumer(
            pool, "notifications", handles(CaseAssigned, probe), dead_letter=publish, backoff=0.01
        )
        with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as lines:
            assert await consumer.catch_up() == 2
    finally:
        await producer.stop()

    # The others are applied; the bad one was tried three times, then set aside. (The
    # batch's transaction, without savepoints, is rolled back at the bad event, and what
    # came before it applied again: its effect once, as `probe_seen` shows.)
    assert probe.calls == ["sw-1", "sw-bad", "sw-1", "sw-bad", "sw-bad", "sw-3"]
    async with pool.acquire() as conn:
        seen = await conn.fetch("SELECT assignee FROM notifications.probe_seen ORDER BY 1")
        [dead] = await conn.fetch("SELECT * FROM notifications.dead_letters")
        checkpoint = await conn.fetchrow("SELECT * FROM notifications.store_checkpoint")
        processed = await conn.fetch("SELECT event_id FROM notifications.processed_events")
    assert [r["assignee"] for r in seen] == ["sw-1", "sw-3"]
    assert {r["event_id"] for r in processed} == {first.event_id, third.event_id}
    # Dead-lettered with its reason, key and headers, as live delivery would.
    assert dead["event_id"] == bad.event_id and dead["event_type"] == "CaseAssigned"
    assert dead["topic"] == CASE_TOPIC
    assert dead["reason"].startswith("failed: RuntimeError('boom: no such recipient")
    assert dead["reason_code"] is None
    assert dead["key"] == str(bad.case_id).encode()
    headers = dict(dead["headers"])
    assert headers["event_id"] == str(bad.event_id)
    assert headers["correlation_id"] == str(bad.correlation_id)
    assert orjson.loads(dead["raw"])["event_id"] == str(bad.event_id)
    # The checkpoint passed it (it stands on the last event read).
    assert bad.global_position is not None and third.global_position is not None
    assert checkpoint["position"] == third.global_position > bad.global_position

    [record] = await _dead_letters_on_kafka(settings, 1)
    assert record.key == str(bad.case_id).encode()
    kafka_headers = {k: v.decode() for k, v in record.headers}
    assert kafka_headers["event_id"] == str(bad.event_id)
    assert kafka_headers["correlation_id"] == str(bad.correlation_id)
    assert kafka_headers["source_topic"] == CASE_TOPIC
    assert kafka_headers["reason"].startswith("failed: RuntimeError('boom")

    # Log context is per event: the dead-letter line carries the bad case, the next event's
    # lines carry their own case, never the bad one's.
    [dead_line] = [x for x in lines if x["event"] == "event_dead_lettered"]
    assert dead_line["case_id"] == str(bad.case_id) and dead_line["via"] == "store"
    assert dead_line["event_id"] == str(bad.event_id)
    [after] = [x for x in lines if x["event"] == "probe_saw" and x["assignee"] == "sw-3"]
    assert after["case_id"] == str(third.case_id)
    assert str(bad.case_id) not in orjson.dumps(after, default=str).decode()

    # A second catch-up applies nothing twice and does not meet the bad event again; what
    # comes later flows.
    assert await consumer.catch_up() == 0
    fourth = await _assign(pool, "sw-4")
    assert await consumer.catch_up() == 1
    assert probe.calls[6:] == ["sw-4"]
    assert await _count(pool, "SELECT count(*) FROM notifications.probe_seen") == 3
    assert await _count(pool, "SELECT count(*) FROM notifications.dead_letters") == 1
    async with pool.acquire() as conn:
        cp = await conn.fetchval("SELECT position FROM notifications.store_checkpoint")
    assert cp == fourth.global_position


async def test_a_refusal_keeps_its_code_and_a_live_dead_letter_is_not_repeated(
    database_url: str, pool: asyncpg.Pool
) -> None:
    await _prepare(database_url, pool)
    refused = await _assign(pool, "sw-unknown")
    fine = await _assign(pool, "sw-2")
    probe = Probe({"sw-unknown": Refused("registration_unknown", "no such registration")})
    consumer = Consumer(pool, "notifications", handles(CaseAssigned, probe), backoff=0.01)
    # Live delivery met it first and dead-lettered it with the refusal's code.
    await consumer.deliver(orjson.dumps(refused.model_dump(mode="json")), topic=CASE_TOPIC)
    assert await _count(pool, "SELECT count(*) FROM notifications.dead_letters") == 1

    # Catch-up (the broker lost the rest): retries it, does not dead-letter it twice,
    # applies the other, and passes both.
    assert await consumer.catch_up() == 1
    assert probe.calls.count("sw-unknown") == 6 and probe.calls[-1] == "sw-2"
    async with pool.acquire() as conn:
        [dead] = await conn.fetch("SELECT * FROM notifications.dead_letters")
        cp = await conn.fetchval("SELECT position FROM notifications.store_checkpoint")
    assert dead["event_id"] == refused.event_id
    assert dead["reason_code"] == "registration_unknown"
    assert dead["reason"] == "registration_unknown: no such registration"
    assert cp == fine.global_position
    assert await consumer.catch_up() == 0
    assert probe.calls.count("sw-unknown") == 6


async def test_an_event_that_fails_once_is_applied_on_retry(
    database_url: str, pool: asyncpg.Pool
) -> None:
    await _prepare(database_url, pool)
    env = await _assign(pool, "sw-flaky")

    class Flaky(Probe):
        async def __call__(
            self, conn: asyncpg.Connection, event: CaseAssigned, envelope: EventEnvelope
        ) -> None:
            if not self.calls:
                self.calls.append("failed")
                raise ConnectionError("transient")
            await super().__call__(conn, event, envelope)

    probe = Flaky({})
    consumer = Consumer(pool, "notifications", handles(CaseAssigned, probe), backoff=0.01)
    assert await consumer.catch_up() == 1
    assert probe.calls == ["failed", "sw-flaky"]
    assert await _count(pool, "SELECT count(*) FROM notifications.dead_letters") == 0
    async with pool.acquire() as conn:
        ids = await conn.fetch("SELECT event_id FROM notifications.processed_events")
    assert [r["event_id"] for r in ids] == [env.event_id]
    assert isinstance(env.event_id, UUID)


async def test_catch_up_leaves_out_what_live_delivery_applied_and_reads_to_the_end(
    database_url: str, pool: asyncpg.Pool
) -> None:
    """Live delivery applied most events; catch-up, in pages smaller than the store, hands
    the handler only the ones it missed (none twice), and its checkpoint ends at the head
    even where a whole page held only applied events."""
    await _prepare(database_url, pool)
    envs = [await _assign(pool, f"sw-{i}") for i in range(23)]
    missed = {envs[i].event_id for i in (4, 17, 22)}  # the broker never brought these
    probe = Probe({})
    consumer = Consumer(pool, "notifications", handles(CaseAssigned, probe))
    for env in envs:
        if env.event_id not in missed:
            await consumer.deliver(orjson.dumps(env.model_dump(mode="json")), topic=CASE_TOPIC)
    assert len(probe.calls) == 20
    probe.calls.clear()
    assert await consumer.catch_up(batch=3) == 3
    assert sorted(probe.calls) == ["sw-17", "sw-22", "sw-4"]
    assert await consumer.catch_up(batch=3) == 0  # nothing twice
    assert len(probe.calls) == 3
    assert await _count(pool, "SELECT count(*) FROM notifications.probe_seen") == 23
    async with pool.acquire() as conn:
        position = await conn.fetchval("SELECT position FROM notifications.store_checkpoint")
    assert position == max(e.global_position for e in envs if e.global_position)


async def test_a_catch_up_over_applied_events_saves_its_checkpoint_once(
    database_url: str, pool: asyncpg.Pool
) -> None:
    """A periodic catch-up mostly walks events live delivery has applied. Pages that hold
    only those move the checkpoint in memory; it is written once, at the end (a commit per
    page, in every service at once, stalled live delivery every half-minute). A page with
    something to apply still saves it at once, so a crash never re-applies much."""
    await _prepare(database_url, pool)
    envs = [await _assign(pool, f"sw-{i}") for i in range(12)]
    missed = {envs[7].event_id}  # the broker never brought this one
    probe = Probe({})
    applied_live = Consumer(pool, "notifications", handles(CaseAssigned, probe))
    for env in envs:
        if env.event_id not in missed:
            await applied_live.deliver(orjson.dumps(env.model_dump(mode="json")), topic=CASE_TOPIC)
    probe.calls.clear()
    statements: list[str] = []
    # The service's own kind of pool (its JSON codecs), every connection's statements kept.
    watched = await create_pool(database_url, min_size=2, max_size=2)
    held = [await watched.acquire() for _ in range(2)]
    for conn in held:
        conn.add_query_logger(lambda record: statements.append(record.query))
    for conn in held:
        await watched.release(conn)
    try:
        consumer = Consumer(watched, "notifications", handles(CaseAssigned, probe))
        assert await consumer.catch_up(batch=2) == 1  # six pages, one with the missed event
    finally:
        await watched.close()
    assert probe.calls == ["sw-7"]
    saves = [s for s in statements if 'INTO "notifications".store_checkpoint' in s]
    # After the page that applied sw-7, and once at the end for the pages after it.
    assert len(saves) == 2
    # Each page is read as keys; whole rows only for the page that held sw-7.
    row_reads = [s for s in statements if "global_position = ANY($1::bigint[])" in s]
    assert len(row_reads) == 1
    async with pool.acquire() as conn:
        position = await conn.fetchval("SELECT position FROM notifications.store_checkpoint")
    assert position == max(e.global_position for e in envs if e.global_position)
