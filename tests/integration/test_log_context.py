"""Log context is cleared between messages (issue 12, point 9): a dead-letter line never
carries the case id of an unrelated earlier message, on a real PostgreSQL."""

from __future__ import annotations

from uuid import uuid4

import asyncpg
import orjson
import pytest
import structlog
from structlog.testing import capture_logs

from shared.consumer import Consumer, handles
from shared.contracts.base import EventEnvelope, EventMetadata
from shared.contracts.events import CaseAssigned
from shared.contracts.vocab import Role
from shared.eventstore.store import EventStore
from shared.logging import bind_context, get_logger
from shared.runtime import migrate_service

pytestmark = pytest.mark.integration

log = get_logger(__name__)


async def _saw(conn: asyncpg.Connection, event: CaseAssigned, envelope: EventEnvelope) -> None:
    log.warning("handler_saw", assignee=event.assignee)  # carries what deliver bound


async def _consumer_with_one_case(database_url: str, pool: asyncpg.Pool) -> tuple[Consumer, bytes]:
    await migrate_service(database_url, "notifications", None)
    case_id = uuid4()
    event = CaseAssigned(case_id=case_id, assignee="sw-1", role=Role.SOCIAL_WORKER, assigned_by="t")
    meta = EventMetadata(case_id=case_id, office="lumajang", actor="staff:t")
    async with pool.acquire() as conn, conn.transaction():
        [env] = await EventStore(owner="casework").append(conn, f"case-{case_id}", 0, [event], meta)
    consumer = Consumer(pool, "notifications", handles(CaseAssigned, _saw), attempts=1)
    return consumer, orjson.dumps(env.model_dump(mode="json"))


async def test_dead_letter_line_does_not_carry_the_previous_messages_case_id(
    database_url: str, pool: asyncpg.Pool
) -> None:
    consumer, message_a = await _consumer_with_one_case(database_url, pool)
    case_x = orjson.loads(message_a)["case_id"]
    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as lines:
        await consumer.deliver(message_a, topic="slrt.casework.events")
        await consumer.deliver(b"\xffnot an envelope", topic="slrt.casework.events")

    [saw] = [x for x in lines if x["event"] == "handler_saw"]
    assert saw["case_id"] == case_x  # message A was logged with its case
    [dead] = [x for x in lines if x["event"] == "event_dead_lettered"]
    assert dead["reason"].startswith("undecodable")
    assert case_x not in orjson.dumps(dead, default=str).decode()
    assert "case_id" not in dead and "correlation_id" not in dead and "event_id" not in dead
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM notifications.dead_letters") == 1


async def test_a_delivery_and_a_catch_up_leave_the_callers_context_as_it_was(
    database_url: str, pool: asyncpg.Pool
) -> None:
    consumer, message_a = await _consumer_with_one_case(database_url, pool)
    case_x = orjson.loads(message_a)["case_id"]
    bind_context(loop="kafka")
    try:
        await consumer.deliver(message_a, topic="slrt.casework.events")
        assert structlog.contextvars.get_contextvars().get("loop") == "kafka"
        assert "case_id" not in structlog.contextvars.get_contextvars()
        # From the store: the event was applied already; a second consumer applies it.
        other = Consumer(pool, "notifications", handles(CaseAssigned, _saw))
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM notifications.processed_events")
        with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as lines:
            assert await other.catch_up() == 1
            log.warning("after_catch_up")
        [saw] = [x for x in lines if x["event"] == "handler_saw"]
        assert saw["case_id"] == case_x and saw["via"] == "store"
        [after] = [x for x in lines if x["event"] == "after_catch_up"]
        assert "case_id" not in after and after["loop"] == "kafka"
    finally:
        bind_context()
