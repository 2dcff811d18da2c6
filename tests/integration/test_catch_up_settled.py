"""The periodic catch-up leaves alone what live delivery is about to bring (issue 15): it
takes only events that have been in the store for `settled_seconds`, its checkpoint stops
before the first younger one, and a younger event the broker never brings is still applied
by a later catch-up. Real PostgreSQL."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import asyncpg
import pytest

from shared.consumer import Consumer, handles
from shared.contracts.base import EventEnvelope, EventMetadata
from shared.contracts.events import CaseAssigned
from shared.contracts.vocab import Role
from shared.eventstore.store import EventStore
from shared.runtime import migrate_service

pytestmark = pytest.mark.integration


async def _seen(conn: asyncpg.Connection, event: CaseAssigned, envelope: EventEnvelope) -> None:
    await conn.execute(
        "INSERT INTO notifications.settled_seen (event_id, assignee) VALUES ($1, $2)",
        envelope.event_id,
        event.assignee,
    )


async def _assign(pool: asyncpg.Pool, assignee: str) -> EventEnvelope:
    case_id = uuid4()
    event = CaseAssigned(
        case_id=case_id, assignee=assignee, role=Role.SOCIAL_WORKER, assigned_by="t"
    )
    meta = EventMetadata(case_id=case_id, office="lumajang", actor="staff:t")
    async with pool.acquire() as conn, conn.transaction():
        [env] = await EventStore(owner="casework").append(conn, f"case-{case_id}", 0, [event], meta)
    return env


async def _assignees(pool: asyncpg.Pool) -> list[str]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT assignee FROM notifications.settled_seen ORDER BY 1")
    return [r["assignee"] for r in rows]


async def test_periodic_catch_up_takes_only_settled_events_and_misses_none(
    database_url: str, pool: asyncpg.Pool
) -> None:
    await migrate_service(database_url, "notifications", None)
    async with pool.acquire() as conn:
        await conn.execute(
            "CREATE TABLE notifications.settled_seen (event_id uuid PRIMARY KEY, assignee text)"
        )
    consumer = Consumer(pool, "notifications", handles(CaseAssigned, _seen))
    settled = 1.5

    old = await _assign(pool, "sw-old")
    await asyncio.sleep(settled + 0.3)
    young = await _assign(pool, "sw-young")
    also_old_later = await _assign(pool, "sw-after-young")

    # The settled one only: the checkpoint stops before the young one (and what follows).
    assert await consumer.catch_up(settled_seconds=settled) == 1
    assert await _assignees(pool) == ["sw-old"]
    async with pool.acquire() as conn:
        position = await conn.fetchval("SELECT position FROM notifications.store_checkpoint")
    assert position == old.global_position

    # Live delivery brings the young one meanwhile: the later catch-up finds it applied.
    await consumer.apply(young)
    await asyncio.sleep(settled + 0.3)
    # The one live delivery never brought is taken now that it has settled.
    assert await consumer.catch_up(settled_seconds=settled) == 1
    assert await _assignees(pool) == ["sw-after-young", "sw-old", "sw-young"]
    async with pool.acquire() as conn:
        position = await conn.fetchval("SELECT position FROM notifications.store_checkpoint")
    assert position == also_old_later.global_position
