"""Casework folds each new event onto the case's stored state, and the result is what a
rebuild (one fold of every case from the store, in global order) gives, whatever order
the events arrived in across the topics.

On the real database: the events are appended to the store under their owners' names
(intake, eligibility, documents, casework, notifications), then fed to the live
projection in a shuffled order across streams (each stream's own order kept, as Kafka
keeps it per partition), partly in one transaction with a savepoint per event (as a
batch consumer applies them) with some savepoints rolled back and applied again.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
from collections import defaultdict
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from bench.cases import Scripted, case_script
from services.casework.adapters import case_store
from services.casework.adapters.case_projection import CaseProjection
from services.casework.bootstrap import MIGRATIONS
from services.casework.domain.case_snapshot import FOLD_VERSION, state_from_json
from services.casework.domain.model import fold
from services.casework.service_layer.context import standards_from
from shared.catalogue import load_catalogue
from shared.contracts.base import EventEnvelope, EventMetadata
from shared.eventstore.store import EventStore, read_case, stream_version
from shared.runtime import migrate_service
from shared.settings import REPO_ROOT, Settings

pytestmark = pytest.mark.integration


class RolledBack(Exception):
    """Raised inside a savepoint to roll it back, as a batch consumer does on a failure."""


async def append(pool: asyncpg.Pool, script: list[Scripted], case_id: UUID) -> None:
    for s in script:
        meta = EventMetadata(case_id=case_id, office=s.office, actor=s.actor)
        async with pool.acquire() as conn, conn.transaction():
            version = await stream_version(conn, s.stream_id)
            await EventStore(s.owner).append(conn, s.stream_id, version, [s.event], meta)


def shuffled_across_streams(
    envelopes: list[EventEnvelope], rng: random.Random
) -> list[EventEnvelope]:
    """The events with the streams interleaved at random, each stream in its own order."""
    streams: dict[str, list[EventEnvelope]] = defaultdict(list)
    for e in envelopes:
        streams[e.stream_id].append(e)
    queues = [list(reversed(q)) for q in streams.values()]
    out: list[EventEnvelope] = []
    while queues:
        q = rng.choice(queues)
        out.append(q.pop())
        if not q:
            queues.remove(q)
    return out


def one_feed(by_case: dict[UUID, list[EventEnvelope]], rng: random.Random) -> list[EventEnvelope]:
    """Every case's events in one feed: cases interleaved, streams shuffled within a case
    (each stream in its own order)."""
    feed: list[EventEnvelope] = []
    pending = {c: shuffled_across_streams(envs, rng) for c, envs in by_case.items()}
    while pending:
        c = rng.choice(list(pending))
        feed.append(pending[c].pop(0))
        if not pending[c]:
            del pending[c]
    return feed


async def snapshot(pool: asyncpg.Pool, ids: list[UUID]) -> dict[str, list[dict[str, Any]]]:
    async with pool.acquire() as conn:
        return {
            table: [
                dict(r)
                for r in await conn.fetch(
                    f"SELECT * FROM casework.{table} WHERE case_id = ANY($1) ORDER BY {order}",
                    ids,
                )
            ]
            for table, order in (
                ("cases", "case_id"),
                ("case_states", "case_id"),
                ("case_timeline", "event_id"),
            )
        }


async def test_live_fold_in_any_cross_topic_order_equals_the_rebuild(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    assert settings.database_url
    await migrate_service(settings.database_url, "casework", MIGRATIONS)
    projection = CaseProjection(standards_from(load_catalogue(settings.slrt_catalogue_dir)))
    rng = random.Random(1502)
    ids = [UUID(int=rng.getrandbits(128), version=4) for _ in range(24)]
    for n, case_id in enumerate(ids):
        await append(pool, case_script(case_id, n, rng), case_id)
    async with pool.acquire() as conn:
        by_case = {c: await read_case(conn, c) for c in ids}

    feed = one_feed(by_case, rng)
    late = [
        c
        for c, envs in by_case.items()
        if [e.global_position for e in envs] != [e.global_position for e in feed if e.case_id == c]
    ]
    assert len(late) >= len(ids) // 2  # most cases really get events out of global order

    # A stored state from an older fold (and garbage in it) is not used: it is refolded.
    stale = ids[0]
    half = len(feed) // 2
    for i in range(0, len(feed), 7):
        chunk = feed[i : i + 7]
        if i // 7 % 2 == 0:
            for envelope in chunk:  # one transaction per event
                async with pool.acquire() as conn, conn.transaction():
                    await projection.project(conn, envelope)
        else:  # one transaction, a savepoint per event, the first one rolled back once
            async with pool.acquire() as conn, conn.transaction():
                try:
                    async with conn.transaction():
                        await projection.project(conn, chunk[0])
                        raise RolledBack
                except RolledBack:
                    pass
                for envelope in chunk:
                    async with conn.transaction():
                        await projection.project(conn, envelope)
        if half <= i < half + 7:
            async with pool.acquire() as conn:
                await conn.execute(
                    """UPDATE casework.case_states SET fold_version = $2, state = '{}'
                       WHERE case_id = $1""",
                    stale,
                    FOLD_VERSION - 1,
                )

    live = await snapshot(pool, ids)
    assert len(live["cases"]) == len(ids) and len(live["case_states"]) == len(ids)
    assert len(live["case_timeline"]) == sum(len(v) for v in by_case.values())
    assert all(s["fold_version"] == FOLD_VERSION for s in live["case_states"])
    async with pool.acquire() as conn:
        for s in live["case_states"]:
            # The stored state is the full fold of the case's timeline.
            facts = await case_store.case_facts(conn, s["case_id"])
            assert state_from_json(s["state"]) == fold(s["case_id"], facts)
            assert s["last_position"] == max(f.position for f in facts)
    statuses = {r["status"] for r in live["cases"]}
    assert {"resolved", "closed"} <= statuses

    report = await projection.rebuild(pool)
    assert report.events == len(live["case_timeline"]) and report.cases == len(ids)
    assert await snapshot(pool, ids) == live


async def _project_then_fail(
    pool: asyncpg.Pool, projection: CaseProjection, run: list[EventEnvelope]
) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await projection.project_many(conn, run)
        raise RolledBack


async def test_live_fold_in_batches_equals_the_rebuild(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    """The batch consumer's path (`project_many`: one statement per kind of write for a
    run of events): events of many cases in runs of random length, shuffled across
    streams, some runs delivered twice and one rolled back, a stale stored state midway;
    the result is the rebuild's."""
    assert settings.database_url
    await migrate_service(settings.database_url, "casework", MIGRATIONS)
    projection = CaseProjection(standards_from(load_catalogue(settings.slrt_catalogue_dir)))
    rng = random.Random(1515)
    ids = [UUID(int=rng.getrandbits(128), version=4) for _ in range(30)]
    for n, case_id in enumerate(ids):
        await append(pool, case_script(case_id, n, rng), case_id)
    async with pool.acquire() as conn:
        by_case = {c: await read_case(conn, c) for c in ids}
    feed = one_feed(by_case, rng)

    i = rolled_back = redelivered = 0
    while i < len(feed):
        run = feed[i : i + rng.randint(2, 40)]
        if rolled_back == 0 and i > len(feed) // 3:
            rolled_back += 1  # a batch that fails after its writes: nothing of it stays
            with pytest.raises(RolledBack):
                await _project_then_fail(pool, projection, run)
        async with pool.acquire() as conn, conn.transaction():
            await projection.project_many(conn, run)
        if rng.random() < 0.2:  # the same run again (a redelivery): changes nothing
            redelivered += 1
            async with pool.acquire() as conn, conn.transaction():
                await projection.project_many(conn, run)
        if i <= len(feed) // 2 < i + len(run):
            async with pool.acquire() as conn:
                await conn.execute(
                    """UPDATE casework.case_states SET fold_version = $2, state = '{}'
                       WHERE case_id = $1""",
                    ids[0],
                    FOLD_VERSION - 1,
                )
        i += len(run)
    assert rolled_back == 1 and redelivered > 0

    live = await snapshot(pool, ids)
    assert len(live["cases"]) == len(ids) and len(live["case_states"]) == len(ids)
    assert len(live["case_timeline"]) == sum(len(v) for v in by_case.values())
    async with pool.acquire() as conn:
        for s in live["case_states"]:
            facts = await case_store.case_facts(conn, s["case_id"])
            assert state_from_json(s["state"]) == fold(s["case_id"], facts)
    report = await projection.rebuild(pool)
    assert report.cases >= len(ids)
    assert await snapshot(pool, ids) == live


async def test_commands_decide_on_the_stored_state(settings: Settings, pool: asyncpg.Pool) -> None:
    """A command's load is the stored state (no refold), and it is the full fold."""
    assert settings.database_url
    await migrate_service(settings.database_url, "casework", MIGRATIONS)
    projection = CaseProjection(standards_from(load_catalogue(settings.slrt_catalogue_dir)))
    rng = random.Random(7)
    case_id = UUID(int=rng.getrandbits(128), version=4)
    await append(pool, case_script(case_id, 0, rng), case_id)
    async with pool.acquire() as conn:
        envelopes = await read_case(conn, case_id)
        for envelope in envelopes:
            async with conn.transaction():
                await projection.project(conn, envelope)
        async with conn.transaction():
            await case_store.lock_case(conn, case_id)
            loaded = await projection.state(conn, case_id)
            stored = await case_store.stored_state(conn, case_id)
            assert stored is not None and loaded == stored
            assert loaded == fold(case_id, await case_store.case_facts(conn, case_id))
            assert loaded.last_position == envelopes[-1].global_position
        # No state stored (a database from before the stored states): folded from the rows.
        await conn.execute("DELETE FROM casework.case_states WHERE case_id = $1", case_id)
        async with conn.transaction():
            assert await projection.state(conn, case_id) == loaded


async def test_rebuild_command_reports_progress_as_log_lines(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    """Not on a terminal, `python -m services.casework rebuild` says how far it got in
    structured log lines (on a terminal it draws a bar instead)."""
    assert settings.database_url
    await migrate_service(settings.database_url, "casework", MIGRATIONS)
    rng = random.Random(11)
    for n in range(3):
        case_id = UUID(int=rng.getrandbits(128), version=4)
        await append(pool, case_script(case_id, n, rng), case_id)
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "PYTHONPATH": str(REPO_ROOT),
        "SLRT_LOG_FORMAT": "json",
        "SLRT_LOG_LEVEL": "INFO",
    }
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.casework", "rebuild"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "rebuilt: " in done.stdout and " 3 cases" in done.stdout
    lines = [
        json.loads(line)
        for line in (done.stdout + done.stderr).splitlines()
        if line.startswith("{")
    ]
    finished = [r for r in lines if r.get("event") == "progress_done"]
    assert len(finished) == 1, lines
    assert finished[0]["task"] == "casework rebuild" and finished[0]["cases"] == 3
    async with pool.acquire() as conn:
        last = await conn.fetchval("SELECT max(global_position) FROM eventstore.events")
        assert finished[0]["done"] == finished[0]["total"] == last
        assert finished[0]["events"] == await conn.fetchval(
            "SELECT count(*) FROM casework.case_timeline"
        )
