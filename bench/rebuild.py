"""Casework's rebuild against a raw read of the same event store.

In its own database on the bench's PostgreSQL server:
  1. the store is seeded with --events events (at least) of synthetic cases, made through
     the real event models (`bench/cases.py`: Lumajang letters, Mataram LK3, Kupang
     complaints, with eligibility, documents, notifications and deadline facts), many
     cases in flight at once so their events interleave, written with COPY;
  2. raw limit, `raw_store_read`: every row of the store, the columns the rebuild reads,
     through a server-side cursor in batches of the rebuild's size (the pool's JSON codec
     decodes `data`, as for the rebuild), and nothing else done with them;
  3. `rebuild_casework`: casework's rebuild (`services.casework.bootstrap.rebuild`) over
     that store, once to fill the tables and timed the second time (so it also empties
     full tables, as an operator's rebuild does), as events/s and its ratio to the raw
     read (issue 15's target: >= 0.3);
  4. `raw_store_read_and_copy`: the rebuild's I/O floor, every event read and written back
     with COPY into a table of its own columns, and the rebuild's ratio to it;
  5. `rebuild_documents`: documents' rebuild over the same store, timed the same way (the
     whole store's events per second: it reads only the events it projects).

`python -m bench.rebuild --events 200000` runs it alone (against DATABASE_URL, or an
embedded PostgreSQL started for it).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from bench.cases import T0, Scripted, case_script
from shared.contracts.base import EventMetadata
from shared.db import connect, create_pool
from shared.dbroles import with_database
from shared.settings import get_settings

DATABASE = "bench_rebuild"
IN_FLIGHT = 64  # cases whose events interleave in the store at any one time
_COLUMNS = (
    "event_id",
    "stream_id",
    "stream_version",
    "event_type",
    "schema_version",
    "data",
    "metadata",
    "case_id",
    "office",
    "correlation_id",
    "causation_id",
    "actor",
    "channel",
    "owner",
    "occurred_at",
    "recorded_at",
)


def _row(name: str, value: float, unit: str, baseline: float | None) -> dict[str, Any]:
    ratio = (value / baseline) if baseline else None
    return {
        "name": name,
        "value": round(value, 2),
        "unit": unit,
        "baseline": round(baseline, 2) if baseline else None,
        "ratio": round(ratio, 3) if ratio is not None else None,
    }


def interleaved(events_wanted: int, seed: int = 15) -> Iterator[tuple[UUID, Scripted]]:
    """Synthetic cases' events until `events_wanted`, `IN_FLIGHT` cases at a time taking
    turns (each case's events in its own order), as a busy office's store holds them."""
    rng = random.Random(seed)
    made = n = 0
    while made < events_wanted:
        group: list[tuple[UUID, list[Scripted]]] = []
        for _ in range(IN_FLIGHT):
            case_id = UUID(int=rng.getrandbits(128), version=4)
            group.append((case_id, list(reversed(case_script(case_id, n, rng)))))
            n += 1
        while group:
            i = rng.randrange(len(group))
            case_id, rest = group[i]
            yield case_id, rest.pop()
            made += 1
            if not rest:
                group.pop(i)


async def seed(conn: asyncpg.Connection, events_wanted: int) -> int:
    """Write the synthetic store with COPY; returns how many events."""
    versions: dict[str, int] = defaultdict(int)
    batch: list[tuple[Any, ...]] = []
    written = 0
    for i, (case_id, s) in enumerate(interleaved(events_wanted)):
        versions[s.stream_id] += 1
        meta = EventMetadata(case_id=case_id, office=s.office, actor=s.actor)
        at = T0 + timedelta(seconds=i)
        batch.append(
            (
                uuid4(),
                s.stream_id,
                versions[s.stream_id],
                s.event.event_type,
                s.event.schema_version,
                s.event.model_dump(mode="json"),
                meta.model_dump(mode="json"),
                case_id,
                s.office,
                meta.correlation_id,
                None,
                s.actor,
                None,
                s.owner,
                at,
                at,
            )
        )
        if len(batch) >= 10_000:
            written += await _copy(conn, batch)
    written += await _copy(conn, batch)
    await conn.execute("ANALYZE eventstore.events")
    return written


async def _copy(conn: asyncpg.Connection, batch: list[tuple[Any, ...]]) -> int:
    n = len(batch)
    if n:
        await conn.copy_records_to_table(
            "events", schema_name="eventstore", columns=_COLUMNS, records=batch
        )
        batch.clear()
    return n


async def raw_read(pool: asyncpg.Pool, batch: int) -> tuple[int, float]:
    """Every event, the rebuild's columns, in global order, nothing done with the rows."""
    from services.casework.adapters.case_store import EVENT_COLUMNS

    count = 0
    gc.disable()  # as the rebuild does: the raw read at its best too
    try:
        started = time.perf_counter()
        async with pool.acquire() as conn, conn.transaction():
            cursor = await conn.cursor(
                f"SELECT {EVENT_COLUMNS} FROM eventstore.events ORDER BY global_position"
            )
            while rows := await cursor.fetch(batch):
                count += len(rows)
        return count, time.perf_counter() - started
    finally:
        gc.enable()


async def raw_read_and_copy(pool: asyncpg.Pool, batch: int) -> tuple[int, float]:
    """The rebuild's I/O floor: every event read as `raw_read` does and written straight
    back with COPY into a table of the same columns (no decoding, no folding), in one
    transaction, as a rebuild writes its timeline."""
    from services.casework.adapters.case_store import EVENT_COLUMNS

    count = 0
    gc.disable()
    try:
        async with pool.acquire() as conn:
            await conn.execute(
                "DROP TABLE IF EXISTS bench_copy;"
                " CREATE TABLE bench_copy AS SELECT * FROM eventstore.events WITH NO DATA"
            )
            columns = [c.strip() for c in EVENT_COLUMNS.split(",")]
            started = time.perf_counter()
            async with conn.transaction():
                cursor = await conn.cursor(
                    f"SELECT {EVENT_COLUMNS} FROM eventstore.events ORDER BY global_position"
                )
                while rows := await cursor.fetch(batch):
                    await conn.copy_records_to_table("bench_copy", columns=columns, records=rows)
                    count += len(rows)
            elapsed = time.perf_counter() - started
            await conn.execute("DROP TABLE bench_copy")
        return count, elapsed
    finally:
        gc.enable()


async def rebuild_bench(dsn: str, events_wanted: int) -> list[dict[str, Any]]:
    from services.casework.adapters.case_store import REBUILD_BATCH
    from services.casework.bootstrap import MIGRATIONS, rebuild
    from services.documents.bootstrap import MIGRATIONS as DOCUMENTS_MIGRATIONS
    from services.documents.service_layer.rebuild import rebuild_projections
    from shared.catalogue import load_catalogue
    from shared.runtime import migrate_service

    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()
    db = with_database(dsn, DATABASE)
    await migrate_service(db, "casework", MIGRATIONS)
    await migrate_service(db, "documents", DOCUMENTS_MIGRATIONS)
    conn = await connect(db)
    try:
        started = time.perf_counter()
        events = await seed(conn, events_wanted)
        print(f"seeded {events} events in {time.perf_counter() - started:.1f} s", flush=True)
    finally:
        await conn.close()
    pool = await create_pool(db, max_size=2)
    try:
        await raw_read(pool, REBUILD_BATCH)  # warm: the table in the page cache
        read, read_s = await raw_read(pool, REBUILD_BATCH)
        copied, copy_s = await raw_read_and_copy(pool, REBUILD_BATCH)
        first = await rebuild(pool, get_settings())
        started = time.perf_counter()
        report = await rebuild(pool, get_settings())
        rebuild_s = time.perf_counter() - started
        assert report == first, (report, first)
        catalogue = load_catalogue(get_settings().slrt_catalogue_dir)
        await rebuild_projections(pool, catalogue)
        started = time.perf_counter()
        documents = await rebuild_projections(pool, catalogue)
        documents_s = time.perf_counter() - started
    finally:
        await pool.close()
    raw_per_s = read / read_s
    print(
        f"raw read {read} events in {read_s:.2f} s; rebuild {report.events} events, "
        f"{report.cases} cases in {rebuild_s:.2f} s",
        flush=True,
    )
    return [
        _row("raw_store_read", raw_per_s, "events/s", None),
        _row("rebuild_casework", report.events / rebuild_s, "events/s", raw_per_s),
        _row("rebuild_casework_events", report.events, "count", events),
        # Against the I/O a rebuild cannot avoid: reading the store and writing as many rows.
        _row("raw_store_read_and_copy", copied / copy_s, "events/s", None),
        _row(
            "rebuild_casework_vs_read_and_copy",
            report.events / rebuild_s,
            "events/s",
            copied / copy_s,
        ),
        # Documents reads only what it projects (its own streams and five inbound types):
        # events/s over the whole store, so the ratio compares like with like.
        _row("rebuild_documents", events / documents_s, "events/s", raw_per_s),
        _row("rebuild_documents_checklists", documents.checklists, "count", None),
    ]


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--events", type=int, default=200_000)
    args = p.parse_args()
    os.environ.setdefault("SLRT_LOG_LEVEL", "WARNING")
    from bench.__main__ import print_table
    from shared.infra import start_infra

    dsn = os.environ.get("DATABASE_URL")
    if dsn:
        rows = asyncio.run(rebuild_bench(dsn, args.events))
    else:
        with tempfile.TemporaryDirectory(prefix="slrt-bench-rebuild-") as tmp:
            infra = start_infra(Path(tmp), mode="embedded", ephemeral=True)
            try:
                rows = asyncio.run(rebuild_bench(infra.database_url, args.events))
            finally:
                infra.close()
    print_table(rows)


if __name__ == "__main__":
    main()
