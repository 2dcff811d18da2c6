"""A unit of work that is cancelled stays cancelled, and gives its connection back.

Every background worker (intake's media worker, the notification slots, the deadline
watcher) runs `async with uow:` inside a `while True: try: ... except Exception:` loop, and
is stopped by cancelling it. A cancellation that landed on COMMIT left asyncpg's
transaction "in error state"; the unit of work's rollback then raised `InterfaceError`
in place of the `CancelledError`, the worker's `except Exception` took it for a database
error, and the worker went on forever: a shutdown (and a test's teardown) that never
ended. A cancellation that landed on BEGIN kept the pooled connection, so the pool never
closed. Real PostgreSQL."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import asyncpg
import pytest

from shared.eventstore.store import EventStore
from shared.unit_of_work import PostgresUnitOfWork

pytestmark = pytest.mark.integration

# A deferred constraint trigger runs at COMMIT: this one makes COMMIT take a second, so
# the test can cancel a unit of work while its COMMIT is running, every time.
SLOW_COMMIT = """
CREATE TABLE slow_commit (id int);
CREATE FUNCTION slow_commit_wait() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_sleep(1); RETURN NULL; END $$;
CREATE CONSTRAINT TRIGGER slow_commit_wait AFTER INSERT ON slow_commit
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit_wait();
"""


async def test_a_cancel_during_commit_stays_a_cancel_and_the_row_is_not_kept(
    pool: asyncpg.Pool,
) -> None:
    await pool.execute(SLOW_COMMIT)
    committing = asyncio.Event()

    async def write() -> None:
        async with PostgresUnitOfWork(pool, EventStore(owner="test")) as uow:
            await uow.conn.execute("INSERT INTO slow_commit VALUES (1)")
            committing.set()
            await uow.commit()

    task = asyncio.create_task(write())
    await committing.wait()
    await asyncio.sleep(0.2)  # inside COMMIT's second
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()
    assert await pool.fetchval("SELECT count(*) FROM slow_commit") == 0
    # Every connection is back and usable.
    conns = [await pool.acquire() for _ in range(pool.get_max_size())]
    for conn in conns:
        assert await conn.fetchval("SELECT 1") == 1
        await pool.release(conn)


async def test_cancelled_at_any_point_a_unit_of_work_is_cancelled_or_done_and_the_pool_closes(
    database_url: str,
) -> None:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    assert pool is not None
    store = EventStore(owner="test")
    outcomes: Counter[str] = Counter()
    rng = random.Random(15)

    async def work() -> None:
        async with PostgresUnitOfWork(pool, store) as uow:
            await uow.conn.execute("SELECT 1")
            await uow.commit()

    for _ in range(600):  # cancels land on acquire, BEGIN, the statement, COMMIT, release
        task = asyncio.create_task(work())
        await asyncio.sleep(rng.random() * 0.002)
        task.cancel()
        try:
            await task
            outcomes["done"] += 1
        except asyncio.CancelledError:
            outcomes["cancelled"] += 1
        except Exception as exc:  # what a worker's loop would have taken for an error
            outcomes[repr(exc)] += 1
    assert set(outcomes) <= {"done", "cancelled"}, outcomes
    assert outcomes["cancelled"] > 0
    await asyncio.wait_for(pool.close(), 10)  # no connection was kept
