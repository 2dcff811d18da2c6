"""`shared.after_commit` (issue 15.3): what is registered in a transaction runs once it has
committed, when another connection can see what it wrote; never after a rollback or a
failed COMMIT; savepoints do not end the transaction. Real PostgreSQL."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from shared.after_commit import after_commit

pytestmark = pytest.mark.integration


class Seen:
    """A callback that records, when it runs, how many rows another connection sees."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.calls = 0
        self.visible: list[int] = []

    def __call__(self) -> None:
        self.calls += 1
        asyncio.get_running_loop().create_task(self._look())

    async def _look(self) -> None:
        async with self.pool.acquire() as other:
            self.visible.append(int(await other.fetchval("SELECT count(*) FROM marks")))


async def _settle() -> None:
    """Long enough for a query logger (called with `call_soon`) and a look to run."""
    await asyncio.sleep(0.05)


@pytest.fixture
async def marks(pool: asyncpg.Pool) -> asyncpg.Pool:
    async with pool.acquire() as conn:
        await conn.execute(
            "CREATE TABLE marks (n int CONSTRAINT marks_once UNIQUE DEFERRABLE INITIALLY DEFERRED)"
        )
    return pool


async def test_runs_after_the_commit_when_others_see_the_rows(marks: asyncpg.Pool) -> None:
    seen = Seen(marks)
    async with marks.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await conn.execute("INSERT INTO marks VALUES (1)")
        after_commit(conn, seen, key="seen")
        after_commit(conn, seen, key="seen")  # twice under one key in one transaction: once
        await conn.execute("INSERT INTO marks VALUES (2)")
        await _settle()
        assert seen.calls == 0  # written, not committed: nobody would find it
        await tx.commit()
        await _settle()
        assert seen.calls == 1
        assert seen.visible == [2]

        async with conn.transaction():  # the connection's next transaction: not again
            await conn.execute("INSERT INTO marks VALUES (3)")
        await _settle()
        assert seen.calls == 1


async def test_never_after_a_rollback(marks: asyncpg.Pool) -> None:
    seen = Seen(marks)
    async with marks.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await conn.execute("INSERT INTO marks VALUES (1)")
        after_commit(conn, seen)
        await tx.rollback()
        await _settle()
        assert seen.calls == 0
        async with conn.transaction():  # the connection's next transaction commits
            await conn.execute("INSERT INTO marks VALUES (2)")
        await _settle()
        assert seen.calls == 0  # what the rolled-back one registered is forgotten


async def test_never_when_the_commit_fails(marks: asyncpg.Pool) -> None:
    seen = Seen(marks)
    async with marks.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await conn.execute("INSERT INTO marks VALUES (1), (1)")  # checked at COMMIT
        after_commit(conn, seen)
        with pytest.raises(asyncpg.UniqueViolationError):
            await tx.commit()
        await _settle()
        assert seen.calls == 0
        assert await conn.fetchval("SELECT count(*) FROM marks") == 0


async def test_savepoints_do_not_end_the_transaction(marks: asyncpg.Pool) -> None:
    seen = Seen(marks)
    async with marks.acquire() as conn:
        # Registered under a savepoint that is released: at the outer COMMIT, not before.
        async with conn.transaction():
            async with conn.transaction():
                await conn.execute("INSERT INTO marks VALUES (1)")
                after_commit(conn, seen)
            await _settle()
            assert seen.calls == 0
        await _settle()
        assert seen.calls == 1 and seen.visible == [1]

        # Under a savepoint, the outer transaction rolled back: never.
        outer = conn.transaction()
        await outer.start()
        async with conn.transaction():
            await conn.execute("INSERT INTO marks VALUES (2)")
            after_commit(conn, seen)
        await outer.rollback()
        await _settle()
        assert seen.calls == 1

        # Under a savepoint rolled back, the outer transaction committed: a spurious
        # wake, as documented (it finds nothing new: the row was taken back).
        async with conn.transaction():
            savepoint = conn.transaction()
            await savepoint.start()
            await conn.execute("INSERT INTO marks VALUES (3)")
            after_commit(conn, seen)
            await savepoint.rollback()
            await _settle()
            assert seen.calls == 1
        await _settle()
        assert seen.calls == 2 and seen.visible == [1, 1]


async def test_with_no_transaction_open_at_once(marks: asyncpg.Pool) -> None:
    seen = Seen(marks)
    async with marks.acquire() as conn:
        await conn.execute("INSERT INTO marks VALUES (1)")  # committed on its own
        after_commit(conn, seen)
        assert seen.calls == 1
        await _settle()
        assert seen.visible == [1]


async def test_one_failing_callback_does_not_stop_the_others(marks: asyncpg.Pool) -> None:
    seen = Seen(marks)

    def broken() -> None:
        raise RuntimeError("a wake that fails")

    async with marks.acquire() as conn:
        async with conn.transaction():
            after_commit(conn, broken)
            after_commit(conn, seen)
        await _settle()
        assert seen.calls == 1


async def test_each_registration_runs_once(marks: asyncpg.Pool) -> None:
    seen = Seen(marks)
    async with marks.acquire() as conn:
        async with conn.transaction():
            after_commit(conn, seen)
            after_commit(conn, seen)
            after_commit(conn, seen, key="seen")
            after_commit(conn, seen, key="seen")
        await _settle()
        assert seen.calls == 3
