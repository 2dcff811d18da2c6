"""Casework's live projection takes, in one statement, the projections' shared lock (no
rebuild meanwhile) and every case's lock of the run (`case_store.lock_cases`): a lost
lock would let two batches fold one case at once, which no other test would notice.
Real PostgreSQL."""

from __future__ import annotations

from uuid import uuid4

import asyncpg
import pytest

from services.casework.adapters import case_store

pytestmark = pytest.mark.integration


async def test_a_run_locks_the_projections_shared_and_each_of_its_cases(
    pool: asyncpg.Pool,
) -> None:
    cases = [uuid4() for _ in range(3)]
    async with pool.acquire() as holder, holder.transaction():
        await case_store.lock_cases(holder, [*cases, cases[0]])  # a case twice: one lock
        async with pool.acquire() as other:
            for case_id in cases:
                assert not await other.fetchval(
                    "SELECT pg_try_advisory_lock($1, hashtext($2))",
                    case_store.CASE_LOCK_CLASS,
                    str(case_id),
                )
            # Another live run may share the projections; a rebuild may not own them.
            assert await other.fetchval(
                "SELECT pg_try_advisory_lock_shared($1)", case_store.REBUILD_LOCK
            )
            await other.execute("SELECT pg_advisory_unlock_shared($1)", case_store.REBUILD_LOCK)
            assert not await other.fetchval(
                "SELECT pg_try_advisory_lock($1)", case_store.REBUILD_LOCK
            )
            # A case outside the run is free.
            assert await other.fetchval(
                "SELECT pg_try_advisory_lock($1, hashtext($2))",
                case_store.CASE_LOCK_CLASS,
                str(uuid4()),
            )
            await other.execute("SELECT pg_advisory_unlock_all()")
