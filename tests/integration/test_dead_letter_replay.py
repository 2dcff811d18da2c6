"""Dead letters for people (issue 18, point 5), through the `slrt` command line as a
subprocess on the real database: a poison event is dead-lettered by casework's own
consumer with its reason; `slrt dead-letters list` shows it; after the fix, `slrt
dead-letters replay` applies it once through casework's consumer, and replaying again
changes nothing; every replay is recorded (who, when, result).

And the retries: a database connection killed under the handler (a real PostgreSQL
admin-shutdown, as in a restart) is retried past the few quick tries, not dead-lettered."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import orjson
import pytest

from services.casework.bootstrap import MIGRATIONS, create_app
from shared.consumer import Consumer, handles, store_origin
from shared.contracts.base import EventEnvelope, EventMetadata
from shared.contracts.events import CaseAssigned, ComplaintRegistered
from shared.contracts.vocab import Role
from shared.eventstore.store import EventStore, read_all
from shared.retry import RetryPolicy
from shared.runtime import ServiceRuntime, migrate_service
from shared.settings import REPO_ROOT, Settings
from tests.integration.test_casework_projection import registration

pytestmark = pytest.mark.integration

POISON = """CREATE FUNCTION casework.simulated_fault() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'simulated fault: office table missing'; END $$;
            CREATE TRIGGER simulated_fault BEFORE INSERT ON casework.cases
            FOR EACH ROW EXECUTE FUNCTION casework.simulated_fault()"""
FIX = "DROP TRIGGER simulated_fault ON casework.cases"


def slrt(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  (our own command line)
        [sys.executable, "-m", "shared.cli", *args],
        cwd=REPO_ROOT,
        env={**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def _registered(pool: asyncpg.Pool) -> tuple[UUID, EventEnvelope]:
    case_id = uuid4()
    meta = EventMetadata(case_id=case_id, office="lumajang", actor="system:intake")
    async with pool.acquire() as conn, conn.transaction():
        [env] = await EventStore("intake").append(
            conn, f"complaint-{case_id}", 0, [registration(case_id)], meta
        )
    async with pool.acquire() as conn:  # as the relay publishes it: personal fields sealed
        stored, _ = await read_all(conn, opened=False)
    return case_id, next(e for e in stored if e.event_id == env.event_id)


async def _cases(pool: asyncpg.Pool, case_id: UUID) -> int:
    async with pool.acquire() as conn:
        return int(
            await conn.fetchval("SELECT count(*) FROM casework.cases WHERE case_id = $1", case_id)
        )


async def test_a_dead_letter_is_listed_then_replayed_once_after_the_fix(
    settings: Settings, pool: asyncpg.Pool, database_url: str
) -> None:
    await migrate_service(database_url, "casework", MIGRATIONS)
    runtime = create_app(settings).state.runtime
    assert isinstance(runtime, ServiceRuntime)
    runtime.use_pool(pool)
    consumer = Consumer(pool, "casework", runtime.handlers, backoff=0.01)
    async with pool.acquire() as conn:
        await conn.execute(POISON)

    case_id, env = await _registered(pool)
    raw = orjson.dumps(env.model_dump(mode="json"))
    await consumer.deliver(raw, topic=ComplaintRegistered.topic, origin=store_origin(env))
    assert await _cases(pool, case_id) == 0  # dead-lettered, not applied

    listed = slrt(database_url, "dead-letters", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [letter] = orjson.loads(listed.stdout)
    assert letter["ref"] == f"casework:{letter['id']}"
    assert letter["event_id"] == str(env.event_id)
    assert "simulated fault" in letter["reason"] and letter["open"] is True
    table = slrt(database_url, "dead-letters", "list", "--service", "casework")
    assert table.returncode == 0 and letter["ref"] in table.stdout and "open" in table.stdout

    # Replaying before the fix fails again: recorded, still open, exit non-zero, one line.
    early = slrt(database_url, "dead-letters", "replay", letter["ref"], "--by", "it-officer")
    assert early.returncode == 1
    assert early.stderr.strip().splitlines()[-1] == "slrt: 1 of 1 replays failed"
    assert await _cases(pool, case_id) == 0

    async with pool.acquire() as conn:
        await conn.execute(FIX)
    done = slrt(database_url, "dead-letters", "replay", "--all", "--by", "it-officer", "--json")
    assert done.returncode == 0, done.stderr
    assert [(r["ref"], r["result"]) for r in orjson.loads(done.stdout)] == [
        (letter["ref"], "applied")
    ]
    assert await _cases(pool, case_id) == 1

    again = slrt(database_url, "dead-letters", "replay", letter["ref"], "--json")
    assert again.returncode == 0, again.stderr
    assert [r["result"] for r in orjson.loads(again.stdout)] == ["already_applied"]
    assert await _cases(pool, case_id) == 1  # nothing doubled
    nothing = slrt(database_url, "dead-letters", "replay", "--all", "--json")
    assert nothing.returncode == 0 and orjson.loads(nothing.stdout) == []  # none open

    async with pool.acquire() as conn:
        replays = await conn.fetch(
            """SELECT replayed_by, result, detail FROM casework.dead_letter_replays
                WHERE dead_letter_id = $1 ORDER BY id""",
            letter["id"],
        )
        applied_once = await conn.fetchval(
            "SELECT count(*) FROM casework.processed_events WHERE event_id = $1", env.event_id
        )
    assert [(r["replayed_by"], r["result"]) for r in replays][:2] == [
        ("it-officer", "failed"),
        ("it-officer", "applied"),
    ]
    assert replays[2]["result"] == "already_applied" and len(replays) == 3
    assert "simulated fault" in (replays[0]["detail"] or "")
    assert applied_once == 1
    [after] = orjson.loads(slrt(database_url, "dead-letters", "list", "--json").stdout)
    assert after["open"] is False and after["replays"] == 3
    assert after["last_result"] == "already_applied"


async def test_an_unknown_dead_letter_is_one_line_and_non_zero(
    pool: asyncpg.Pool, database_url: str
) -> None:
    await migrate_service(database_url, "casework", None)
    done = slrt(database_url, "dead-letters", "replay", "casework:999")
    assert done.returncode != 0
    [line] = done.stderr.strip().splitlines()[-1:]
    assert "no dead letter 999" in line and "Traceback" not in done.stderr


async def test_a_lost_database_connection_is_retried_past_the_few_quick_tries(
    pool: asyncpg.Pool, database_url: str
) -> None:
    """The handler's connection is terminated by the server (57P01, as when PostgreSQL
    restarts) on every try for two seconds; with the old three tries (0.2 s, 0.4 s) it
    would have been dead-lettered, now it is applied once."""
    await migrate_service(database_url, "notifications", None)
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE notifications.seen (event_id uuid PRIMARY KEY)")
    first: list[float] = []
    tries: list[str] = []

    async def flaky(conn: asyncpg.Connection, event: CaseAssigned, env: EventEnvelope) -> None:
        first.append(first[0] if first else time.monotonic())
        if time.monotonic() - first[0] < 2.0:
            killer = await asyncpg.connect(database_url)
            try:
                await killer.execute("SELECT pg_terminate_backend($1)", conn.get_server_pid())
            finally:
                await killer.close()
        try:
            await conn.execute("INSERT INTO notifications.seen VALUES ($1)", env.event_id)
        except Exception as exc:
            tries.append(type(exc).__name__)
            raise

    consumer = Consumer(
        pool,
        "notifications",
        handles(CaseAssigned, flaky),
        retry=RetryPolicy(attempts=3, backoff=0.1, max_delay=0.5),
    )
    case_id = uuid4()
    event = CaseAssigned(case_id=case_id, assignee="sw", role=Role.SOCIAL_WORKER, assigned_by="t")
    meta = EventMetadata(case_id=case_id, office="lumajang", actor="staff:t")
    async with pool.acquire() as conn, conn.transaction():
        [env] = await EventStore("casework").append(conn, f"case-{case_id}", 0, [event], meta)
    await consumer.deliver(orjson.dumps(env.model_dump(mode="json")), topic=CaseAssigned.topic)

    async with pool.acquire() as conn:
        seen = await conn.fetchval("SELECT count(*) FROM notifications.seen")
        dead: list[Any] = await conn.fetch("SELECT reason FROM notifications.dead_letters")
    assert len(tries) > 3, tries  # more than the quick tries of a deterministic failure
    assert seen == 1 and dead == []
