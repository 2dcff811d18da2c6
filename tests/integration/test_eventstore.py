"""The event store on a real PostgreSQL: versions, conflicts, and readers by position."""

from __future__ import annotations

import asyncio
import random
from uuid import UUID, uuid4

import asyncpg
import pytest

from shared.contracts.base import EventMetadata
from shared.contracts.events import CaseAssigned
from shared.contracts.vocab import Role
from shared.db import migrate
from shared.eventstore.store import (
    MIGRATIONS,
    Checkpoint,
    ConcurrencyError,
    EventStore,
    read_all,
    read_case,
    read_stream,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def store_pool(pool: asyncpg.Pool) -> asyncpg.Pool:
    async with pool.acquire() as conn:
        await migrate(conn, "eventstore", MIGRATIONS)
    return pool


def _event(case_id, who: str = "a") -> CaseAssigned:  # type: ignore[no-untyped-def]
    return CaseAssigned(case_id=case_id, assignee=who, role=Role.OFFICER, assigned_by="t")


async def test_append_and_read_stream(store_pool: asyncpg.Pool) -> None:
    store = EventStore("casework")
    case_id = uuid4()
    meta = EventMetadata(case_id=case_id, office="lumajang", actor="staff:x")
    async with store_pool.acquire() as conn, conn.transaction():
        envs = await store.append(conn, "case-1", 0, [_event(case_id), _event(case_id, "b")], meta)
    assert [e.stream_version for e in envs] == [1, 2]
    async with store_pool.acquire() as conn:
        stream = await read_stream(conn, "case-1")
        by_case = await read_case(conn, case_id)
        outbox = await conn.fetchval("SELECT count(*) FROM eventstore.outbox WHERE sent_at IS NULL")
    assert [e.payload() for e in stream] == [_event(case_id), _event(case_id, "b")]
    assert [e.event_id for e in by_case] == [e.event_id for e in envs]
    assert stream[0].office == "lumajang" and stream[0].actor == "staff:x"
    assert outbox == 2


async def test_wrong_expected_version_is_a_clear_conflict(store_pool: asyncpg.Pool) -> None:
    store = EventStore("casework")
    meta = EventMetadata(case_id=uuid4())
    async with store_pool.acquire() as conn, conn.transaction():
        await store.append(conn, "case-2", 0, [_event(meta.case_id)], meta)
    with pytest.raises(ConcurrencyError, match="moved past version 0"):
        async with store_pool.acquire() as conn, conn.transaction():
            await store.append(conn, "case-2", 0, [_event(meta.case_id)], meta)


async def test_two_writers_racing_on_one_stream_one_wins(store_pool: asyncpg.Pool) -> None:
    store = EventStore("casework")
    meta = EventMetadata(case_id=uuid4())

    async def write() -> str:
        try:
            async with store_pool.acquire() as conn, conn.transaction():
                await store.append(conn, "case-3", 0, [_event(meta.case_id)], meta)
                await asyncio.sleep(0.05)
            return "ok"
        except ConcurrencyError:
            return "conflict"

    assert sorted(await asyncio.gather(write(), write())) == ["conflict", "ok"]


async def test_events_are_append_only(store_pool: asyncpg.Pool) -> None:
    store = EventStore("casework")
    meta = EventMetadata(case_id=uuid4())
    async with store_pool.acquire() as conn, conn.transaction():
        await store.append(conn, "case-4", 0, [_event(meta.case_id)], meta)
    async with store_pool.acquire() as conn:
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await conn.execute("DELETE FROM eventstore.events")


async def test_reader_by_position_skips_nothing_with_concurrent_writers(
    store_pool: asyncpg.Pool,
) -> None:
    """Writers hold their transactions open for random times, so positions commit out of
    order; a reader polling all along must still see every event exactly once."""
    store = EventStore("casework")
    writers, per_writer = 12, 15
    written: set[UUID] = set()
    done = asyncio.Event()

    async def writer(w: int) -> None:
        for i in range(per_writer):
            meta = EventMetadata(case_id=uuid4())
            async with store_pool.acquire() as conn, conn.transaction():
                envs = await store.append(conn, f"w{w}-{i}", 0, [_event(meta.case_id)], meta)
                await asyncio.sleep(random.uniform(0, 0.02))
            written.update(e.event_id for e in envs)

    seen: list[UUID] = []

    async def reader() -> None:
        cp = Checkpoint()
        while True:
            finished = done.is_set()
            async with store_pool.acquire() as conn:
                batch, cp = await read_all(conn, cp, limit=7)
            seen.extend(e.event_id for e in batch)
            if finished and not batch:
                return
            await asyncio.sleep(0.002)

    reading = asyncio.create_task(reader())
    await asyncio.gather(*(writer(w) for w in range(writers)))
    done.set()
    await reading
    assert len(seen) == len(set(seen)), "an event was read twice"
    assert set(seen) == written, f"{len(written - set(seen))} events skipped"


async def test_reader_orders_by_transaction_number_not_its_text(
    store_pool: asyncpg.Pool,
) -> None:
    """Transactions 9, 10 and 100 wrote in that order; as text, "10" and "100" sort before
    "9". A reader ordering by the text would skip 9's event (or read one twice) each time
    transaction ids gain a digit: a test run under load once crossed 9999 to 10000."""
    store = EventStore("casework")
    meta = EventMetadata(case_id=uuid4())
    async with store_pool.acquire() as conn, conn.transaction():
        await store.append(conn, "template", 0, [_event(meta.case_id)], meta)
    async with store_pool.acquire() as conn:
        for tx, stream in (("9", "nine"), ("10", "ten"), ("100", "hundred")):
            # An event as the transaction numbered `tx` would have written it.
            await conn.execute(
                """INSERT INTO eventstore.events (transaction_id, event_id, stream_id,
                    stream_version, event_type, schema_version, data, metadata, case_id,
                    office, correlation_id, causation_id, actor, channel, owner, occurred_at)
                SELECT $1::text::xid8, gen_random_uuid(), $2, 1, event_type, schema_version,
                    data, metadata, case_id, office, correlation_id, causation_id, actor,
                    channel, owner, occurred_at
                FROM eventstore.events WHERE stream_id = 'template'""",
                tx,
                stream,
            )
        seen: list[str] = []
        cp = Checkpoint()
        while True:
            batch, cp = await read_all(conn, cp, limit=1)
            if not batch:
                break
            seen.extend(e.stream_id for e in batch)
    assert [s for s in seen if s != "template"] == ["nine", "ten", "hundred"]
    assert sorted(seen) == sorted(["nine", "ten", "hundred", "template"])


async def test_naive_reader_by_position_alone_would_skip(store_pool: asyncpg.Pool) -> None:
    """The hazard the reader above guards against, shown on the real database."""
    store = EventStore("casework")
    meta = EventMetadata(case_id=uuid4())
    slow = await store_pool.acquire()
    tx = slow.transaction()
    await tx.start()
    await store.append(slow, "slow", 0, [_event(meta.case_id)], meta)  # takes position p
    async with store_pool.acquire() as conn, conn.transaction():
        await store.append(conn, "fast", 0, [_event(meta.case_id)], meta)  # p+1 commits first
    async with store_pool.acquire() as conn:
        naive = await conn.fetch("SELECT global_position FROM eventstore.events ORDER BY 1")
        safe, cp = await read_all(conn, Checkpoint())
    assert len(naive) == 1  # a plain 'position > last' reader would move past p now
    assert safe == [] and cp == Checkpoint()  # ours waits for the slow writer
    await tx.commit()
    await store_pool.release(slow)
    async with store_pool.acquire() as conn:
        safe, _ = await read_all(conn, Checkpoint())
    assert [e.stream_id for e in safe] == ["slow", "fast"]
