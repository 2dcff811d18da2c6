"""`python -m bench.statements`: which SQL statements a case costs PostgreSQL, per case.

Runs the whole system on the embedded PostgreSQL (started once to create its files, then
again with `pg_stat_statements` loaded) and broker, puts --complaints registrations
through intake's HTTP API, waits until every service is quiet, and prints the statements
by their time per case, with their calls per case (nested statements of functions too).
Time is the statements' own, waiting on locks included: a statement high here with few
calls is waiting, not working.

`--open-loop RATE` measures an open loop instead of the burst: RATE registrations a second
for `--seconds`, each sent on its schedule (bench/pipeline.py), as `make bench`'s open-loop
rows do. Batches are then small, so the statements and transactions a case costs are
those of a steady office day rather than a morning's backlog. The loop's own watcher is
among them (`SELECT case_id FROM casework.cases ...`, a hundred times a second).

What it found while issue 15 was being worked on: the "same citizen and service" duplicate
rule reading every case of the office (intake migration 011), and the periodic store
catch-up waiting on the rows a lagging live batch held (shared/runtime.py); in an open
loop at 85 a second, 54 statements and 5.4 transactions per case, against 36 statements
in a burst of 1,500.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

import asyncpg

from bench.__main__ import complaint, desk_headers, push_complaints, wait_quiet
from bench.pipeline import open_loop
from shared.devstack import WITH_DASHBOARD, start_stack
from shared.infra import start_infra

_TOP = """
    SELECT calls, total_exec_time, regexp_replace(query, '\\s+', ' ', 'g') AS query
    FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT $1
"""


_TRANSACTIONS = "SELECT sum(xact_commit + xact_rollback) FROM pg_stat_database"


async def _measure(
    intake: str,
    dsn: str,
    complaints: int,
    top: int,
    width: int,
    rate: float | None = None,
    seconds: float = 60.0,
) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        # A first round warms every service up (connections, prepared statements, plans).
        await push_complaints(intake, dsn, max(50, complaints // 5), 16, watch=False)
        await wait_quiet(dsn)
        await conn.execute("SELECT pg_stat_statements_reset()")
        transactions = await conn.fetchval(_TRANSACTIONS)
        if rate is None:
            await push_complaints(intake, dsn, complaints, 16, first=100_000, watch=False)
            n, what = complaints, f"{complaints} cases in one burst"
        else:
            loop = await open_loop(
                intake,
                dsn,
                rate=rate,
                seconds=seconds,
                body=complaint,
                headers=desk_headers(),
                first=100_000,
            )
            n = loop["accepted"]
            what = (
                f"{n} cases at {rate:g} a second for {seconds:g} s (request to case visible:"
                f" p50 {loop['p50_ms']:.0f} ms, p99 {loop['p99_ms']:.0f} ms)"
            )
        await wait_quiet(dsn)
        transactions = await conn.fetchval(_TRANSACTIONS) - transactions
        total, calls = await conn.fetchrow(
            "SELECT sum(total_exec_time), sum(calls) FROM pg_stat_statements"
        )
        n = max(n, 1)
        print(
            f"\n{what}: {total / n:.2f} ms of statement time, {calls / n:.1f} statements and"
            f" {transactions / n:.1f} transactions (every database on the server) per case"
            "\n\n  ms/case  calls/case  statement"
        )
        for r in await conn.fetch(_TOP, top):
            print(
                f"  {r['total_exec_time'] / n:7.3f}  {r['calls'] / n:10.2f}  {r['query'][:width]}"
            )
    finally:
        await conn.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    p.add_argument("--complaints", type=int, default=1500)
    p.add_argument("--top", type=int, default=30, help="statements printed")
    p.add_argument("--width", type=int, default=160, help="characters of each statement")
    p.add_argument(
        "--open-loop",
        type=float,
        metavar="RATE",
        help="registrations a second on a schedule, instead of one burst of --complaints",
    )
    p.add_argument("--seconds", type=float, default=60.0, help="length of the open loop")
    args = p.parse_args()
    os.environ.setdefault("SLRT_LOG_LEVEL", "WARNING")
    with tempfile.TemporaryDirectory(prefix="slrt-statements-") as tmp:
        data = Path(tmp)
        data.chmod(0o755)
        # Once to create the database's files, then with the extension loaded at start.
        start_infra(data, mode="embedded").close()
        conf = data / "pg" / "postgresql.conf"
        conf.write_text(
            conf.read_text() + "\nshared_preload_libraries = 'pg_stat_statements'\n"
            "pg_stat_statements.track = all\n"
        )
        stack = start_stack(
            data,
            mode="embedded",
            fixed_ports=False,
            log_dir=data / "logs",
            extra_env={"SLRT_LOG_LEVEL": "WARNING"},
            services=WITH_DASHBOARD,
        )
        try:
            asyncio.run(
                _measure(
                    stack.url("intake"),
                    stack.infra.database_url,
                    args.complaints,
                    args.top,
                    args.width,
                    args.open_loop,
                    args.seconds,
                )
            )
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
