"""The staff web app's live pages hear of a run of events at once (issue 15.1): one write
of the case offices the run names, one read of those it lacks; the pages are told the
same changes, in the same order, as event by event, and a redelivery tells them nothing
new. Real PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import uuid4

import asyncpg
import orjson
import pytest

from services.dashboard.adapters.live_hub import LiveHub
from services.dashboard.bootstrap import MIGRATIONS
from services.dashboard.domain.live import Change
from services.dashboard.entrypoints.consumers import build_batch_handler, build_handlers
from shared.consumer import Consumer, Record, store_origin
from shared.contracts.base import EventEnvelope, EventMetadata
from shared.contracts.events import CaseAssigned
from shared.contracts.vocab import Role
from shared.eventstore.store import EventStore, read_all
from tests.integration.conftest import with_store_and_service

pytestmark = pytest.mark.integration


class RecordingHub(LiveHub):
    def __init__(self) -> None:
        super().__init__()
        self.told: list[Change] = []

    def publish(self, change: Change) -> int:
        self.told.append(change)
        return super().publish(change)


async def _events(pool: asyncpg.Pool) -> list[EventEnvelope]:
    """Six cases assigned; half of the later events carry no office in their metadata
    (the page must learn it from the case's earlier event, or from the table)."""
    store = EventStore("casework")
    async with pool.acquire() as conn, conn.transaction():
        for i in range(6):
            case_id = uuid4()
            for k, office in enumerate(("lumajang", None if i % 2 else "lumajang")):
                await store.append(
                    conn,
                    f"case-{case_id}",
                    k,
                    [
                        CaseAssigned(
                            case_id=case_id,
                            assignee=f"lmj-{k}",
                            role=Role.OFFICER,
                            assigned_by="lmj-kepala",
                        )
                    ],
                    EventMetadata(case_id=case_id, office=office, actor="staff:lmj-kepala"),
                )
    async with pool.acquire() as conn:  # as published, once committed
        envelopes, _ = await read_all(conn, limit=100, opened=False)
    return envelopes


def _records(envelopes: list[EventEnvelope]) -> list[Record]:
    return [
        Record(orjson.dumps(e.model_dump(mode="json")), CaseAssigned.topic, store_origin(e))
        for e in envelopes
    ]


async def test_a_run_tells_the_pages_what_event_by_event_tells_them(
    database_url: str, pool: asyncpg.Pool
) -> None:
    await with_store_and_service(pool, database_url, "dashboard", MIGRATIONS)
    envelopes = await _events(pool)
    assert len(envelopes) == 12

    one_by_one_hub = RecordingHub()
    one_by_one = Consumer(pool, "dashboard", build_handlers(one_by_one_hub))
    for e in envelopes:
        await one_by_one.deliver_batch(_records([e]))
    expected = one_by_one_hub.told
    assert len(expected) == 12 and {c.office for c in expected} == {"lumajang"}

    async with pool.acquire() as conn:
        await conn.execute("TRUNCATE dashboard.case_offices, dashboard.processed_events")
    hub = RecordingHub()
    runs: list[int] = []
    batched = Consumer(
        pool, "dashboard", build_handlers(hub), batch_handler=build_batch_handler(hub)
    )
    original = batched.batch_handler
    assert original is not None

    async def counted(conn: asyncpg.Connection, run: Sequence[EventEnvelope]) -> None:
        runs.append(len(run))
        await original.apply(conn, run)

    batched.batch_handler = type(original)(original.event_types, counted)
    await batched.deliver_batch(_records(envelopes))
    assert runs == [12]  # the whole run at once
    assert hub.told == expected
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM dashboard.case_offices") == 6
    await batched.deliver_batch(_records(envelopes))  # redelivered
    assert runs == [12] and hub.told == expected
