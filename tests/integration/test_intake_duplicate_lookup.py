"""The duplicate rules read what they need whatever the office's size (found while
profiling issue 15): for a citizen with no open case, `intake.identify` walked every case
of the office in the window. A pooled connection keeps the plan it made while the office
was small, and the generic plan of "same citizen and service" took the office's index by
date. The plans as run are read on the real PostgreSQL (auto_explain, sent back as
notices): no case is read and thrown away, with 5,000 in the office."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import asyncpg
import pytest

from services.intake.adapters import repository as repo
from services.intake.bootstrap import MIGRATIONS
from services.intake.domain.new_case import ToIdentify
from shared.runtime import migrate_service

pytestmark = pytest.mark.integration

OFFICE = "lumajang"
NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)


async def _seed(conn: asyncpg.Connection, n: int) -> None:
    """`n` open cases of other citizens in the office this week (foreign keys aside: only
    the rows the rules read matter here)."""
    await conn.execute("SET session_replication_role = replica")
    await conn.execute(
        """INSERT INTO intake.registrations (case_id, ticket_number, office, service, channel,
               inbound_id, received_at, citizen_id, nik_hash, phone_hash)
           SELECT gen_random_uuid(), 'LMJ-2026-' || i, $1, 'kks-recommendation', 'walk_in',
               gen_random_uuid(), $2::timestamptz - make_interval(mins => i), gen_random_uuid(),
               sha256(('nik' || i)::bytea), sha256(('phone' || i)::bytea)
           FROM generate_series(1, $3) AS i""",
        OFFICE,
        NOW,
        n,
    )
    await conn.execute("RESET session_replication_role")


def _newcomer(i: int) -> ToIdentify:
    return ToIdentify(
        identifiers=[("phone", f"+62812999{i:05d}")],
        new_id=uuid4(),
        office=OFFICE,
        service="kks-recommendation",
        nik=f"35080101019{i:05d}",
        phone=f"+62812999{i:05d}",
        since=NOW - timedelta(days=30),
        prefix="LMJ",
        year=2026,
    )


async def test_a_newcomers_duplicate_check_reads_the_same_whatever_the_office_size(
    database_url: str, pool: asyncpg.Pool
) -> None:
    await migrate_service(database_url, "intake", MIGRATIONS)
    plans: list[str] = []
    conn = await asyncpg.connect(database_url)
    try:
        # What a pooled connection runs after its first five calls.
        await conn.execute("SET plan_cache_mode = force_generic_plan")
        # The plans of the statements inside intake.identify, as run, sent to us as notices.
        await conn.execute("LOAD 'auto_explain'")
        for setting in (
            "auto_explain.log_min_duration = 0",
            "auto_explain.log_analyze = on",
            "auto_explain.log_nested_statements = on",
            "auto_explain.log_level = notice",
            "client_min_messages = notice",
        ):
            await conn.execute(f"SET {setting}")
        # The session plans the rules while the office is new (its plans are kept for the
        # session's life: a pooled connection's), then the office fills up.
        for i in range(8):
            async with conn.transaction():
                await repo.identify_many(conn, [_newcomer(100 + i)])
        async with pool.acquire() as other:
            await _seed(other, 5000)
        conn.add_log_listener(lambda _conn, message: plans.append(message.message))
        for i in range(8):
            async with conn.transaction():
                [found] = await repo.identify_many(conn, [_newcomer(i)])
            assert found.duplicate is None
    finally:
        await conn.close()
    rules = [p for p in plans if "same_citizen_and_service" in p]
    assert len(rules) == 8, plans[:3]
    # Each rule an index probe that finds nothing: no case of the office's 5,000 is read
    # and thrown away.
    removed = [int(n) for p in rules for n in re.findall(r"Rows Removed by Filter: (\d+)", p)]
    assert sum(removed) < 8 * 5, f"rows read and thrown away: {removed}"
