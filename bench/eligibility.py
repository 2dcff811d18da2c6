"""The registry at scale: import N members, look them up 64 at a time, watch the memory.

In its own database on the bench's PostgreSQL server, in the same run:
  1. a synthetic extract of N members is generated (seeded, streamed to a file);
  2. raw limit: COPY of that file into an unindexed table of the same columns;
  3. the real import (`services.eligibility import`, in a child process so that its peak
     RSS is its own), as rows/s and as a ratio to the raw COPY; its peak memory, against
     the same import of an extract a tenth the size (flat memory: a ratio near 1);
  4. lookups through the service's own code path (`registry.BatchedLookup`, behind
     GET /v1/registry/persons/{nik}, on a pool of the service's size) from 64 concurrent
     callers: p50/p99 against a bare `SELECT 1` from the same 64 callers, same pool.

`python -m bench.eligibility --rows 1000000` runs it alone against DATABASE_URL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg

from bench.raw import percentile
from shared.dbroles import with_database
from shared.settings import REPO_ROOT

Call = Callable[[], Awaitable[None]]  # one timed call: a coroutine factory

CONCURRENCY = 64
POOL_SIZE = 10  # the service's own pool (ServiceRuntime's default)
SNAPSHOT_DATE = date(2026, 9, 30)
RAW_TABLE = """CREATE TABLE raw_registry (
    nik text, kk_number text, name text, sex text, birth_date date, relation text,
    address text, village_code text, decile smallint, programmes text, status text)"""


def _row(name: str, value: float, unit: str, baseline: float | None) -> dict[str, Any]:
    ratio = (value / baseline) if baseline else None
    return {
        "name": name,
        "value": round(value, 2),
        "unit": unit,
        "baseline": round(baseline, 2) if baseline else None,
        "ratio": round(ratio, 3) if ratio is not None else None,
    }


def _import_in_child(dsn: str, path: Path, snapshot_date: date) -> dict[str, Any]:
    """Run the real import in a fresh process; its report, timings and peak RSS."""
    env = {**os.environ, "DATABASE_URL": dsn, "SLRT_LOG_LEVEL": "WARNING"}
    done = subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [
            sys.executable,
            "-m",
            "bench.eligibility",
            "--child-import",
            str(path),
            str(snapshot_date),
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"import failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def _child_import(path: Path, snapshot_date: date) -> None:
    from services.eligibility.adapters.registry_copy import connecting
    from services.eligibility.bootstrap import MIGRATIONS, NAME
    from services.eligibility.domain.extract import load_tables
    from services.eligibility.service_layer.import_extract import import_extract
    from shared.runtime import migrate_service

    dsn = os.environ["DATABASE_URL"]
    await migrate_service(dsn, NAME, MIGRATIONS)
    load_tables()  # the region codes and dates load once per process (~2 s): not per row
    conn = await asyncpg.connect(dsn)
    try:
        report = await import_extract(
            conn,
            path,
            source="DTSEN",
            snapshot_date=snapshot_date,
            second_connection=connecting(dsn),  # as the service's CLI does
        )
    finally:
        await conn.close()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # The processes the import forks to check blocks (shared pages counted in each): the
    # largest of them, for the record; the bench row is this process's own peak.
    checkers_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = report.as_dict()
    out.pop("rejects")
    print(
        json.dumps(
            {**out, "peak_rss_mb": peak_kb / 1024, "checkers_peak_rss_mb": checkers_kb / 1024}
        )
    )


async def _latencies(calls: list[Call], concurrency: int) -> list[float]:
    """Run `calls` (coroutine factories) from `concurrency` callers; each call's latency."""
    latencies: list[float] = []
    it = iter(calls)

    async def caller() -> None:
        for call in it:
            t0 = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - t0)

    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return latencies


async def registry_bench(
    server_dsn: str, rows: int, *, workdir: Path | None = None, lookups: int = 30_000
) -> list[dict[str, Any]]:
    """Rows for bench/results.json: (name, value, unit, baseline, ratio)."""
    from services.eligibility.adapters.registry import BatchedLookup
    from services.eligibility.synthetic import write_extract

    db = f"bench_registry_{os.getpid()}"
    admin = await asyncpg.connect(server_dsn)
    await admin.execute(f'DROP DATABASE IF EXISTS "{db}"')
    await admin.execute(f'CREATE DATABASE "{db}"')
    dsn = with_database(server_dsn, db)
    tmp = tempfile.TemporaryDirectory(prefix="slrt-registry-", dir=workdir)
    try:
        big = Path(tmp.name) / "extract.csv"
        small = Path(tmp.name) / "extract-tenth.csv"
        t0 = time.perf_counter()
        await asyncio.to_thread(write_extract, big, rows, seed=1)
        generated_s = time.perf_counter() - t0
        await asyncio.to_thread(write_extract, small, max(rows // 10, 1000), seed=2)
        print(
            f"registry: {rows} members generated in {generated_s:.1f} s "
            f"({big.stat().st_size / 1e9:.2f} GB)",
            flush=True,
        )

        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(RAW_TABLE)
            t0 = time.perf_counter()
            await conn.copy_to_table("raw_registry", source=big, format="csv", header=True)
            raw_s = time.perf_counter() - t0
            await conn.execute("DROP TABLE raw_registry")
            await conn.execute("CHECKPOINT")
        finally:
            await conn.close()
        raw_rate = rows / raw_s
        print(f"registry: raw COPY {raw_rate:,.0f} rows/s", flush=True)

        small_report = await asyncio.to_thread(_import_in_child, dsn, small, date(2026, 1, 31))
        report = await asyncio.to_thread(_import_in_child, dsn, big, SNAPSHOT_DATE)
        import_rate = report["rows_read"] / report["timings"]["total_s"]
        print(
            f"registry: import {import_rate:,.0f} rows/s, {report['timings']}, peak RSS "
            f"{report['peak_rss_mb']:.0f} MB (checking processes: "
            f"{report.get('checkers_peak_rss_mb', 0):.0f} MB each at most)",
            flush=True,
        )

        pool = await asyncpg.create_pool(dsn, min_size=POOL_SIZE, max_size=POOL_SIZE)
        assert pool is not None
        try:
            async with pool.acquire() as c:
                sample = [
                    r["nik"]
                    for r in await c.fetch(
                        "SELECT nik FROM eligibility.registry_listings TABLESAMPLE SYSTEM (1) "
                        "WHERE snapshot_id = $1 LIMIT $2",
                        report["snapshot_id"],
                        lookups,
                    )
                ]
            rng = random.Random(3)
            # One lookup in ten is for someone not listed (a valid NIK, never issued here).
            niks = [
                n if i % 10 else f"{n[:12]}{rng.randrange(1, 10_000):04d}"
                for i, n in enumerate(rng.choices(sample, k=lookups))
            ]

            async def select_one() -> None:
                async with pool.acquire() as c:
                    await c.fetchval("SELECT 1")

            registry_lookup = BatchedLookup(pool)  # what GET /v1/registry/persons/{nik} uses

            def lookup(nik: str) -> Call:
                async def call() -> None:
                    await registry_lookup.find(nik)

                return call

            await _latencies([lookup(n) for n in niks[:2000]], CONCURRENCY)  # warm up
            base = await _latencies([select_one] * lookups, CONCURRENCY)
            t0 = time.perf_counter()
            lat = await _latencies([lookup(n) for n in niks], CONCURRENCY)
            lookup_s = time.perf_counter() - t0
        finally:
            await pool.close()
    finally:
        tmp.cleanup()
        await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        await admin.close()

    c = CONCURRENCY
    return [
        _row("registry_raw_copy", raw_rate, "rows/s", None),
        _row("registry_import", import_rate, "rows/s", raw_rate),
        _row("registry_import_rejected_rows", report["rows_rejected"], "count", None),
        _row(
            "registry_import_peak_rss",
            report["peak_rss_mb"],
            "MB",
            small_report["peak_rss_mb"],  # a tenth of the rows: ratio ~1 is flat
        ),
        _row(
            f"registry_lookup_p50_c{c}",
            percentile(lat, 50) * 1000,
            "ms",
            percentile(base, 50) * 1000,
        ),
        _row(
            f"registry_lookup_p99_c{c}",
            percentile(lat, 99) * 1000,
            "ms",
            percentile(base, 99) * 1000,
        ),
        _row(f"registry_lookups_c{c}", len(lat) / lookup_s, "lookups/s", None),
        _row("registry_members", report["rows_loaded"], "count", rows),
    ]


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--child-import", nargs=2, metavar=("FILE", "SNAPSHOT_DATE"))
    args = p.parse_args()
    if args.child_import:
        path, when = args.child_import
        asyncio.run(_child_import(Path(path), date.fromisoformat(when)))
        return
    from bench.__main__ import print_table

    dsn = os.environ.get("DATABASE_URL")
    if not dsn:
        raise SystemExit("DATABASE_URL is not set")
    rows = asyncio.run(registry_bench(dsn, args.rows))
    print_table(rows)


if __name__ == "__main__":
    main()
