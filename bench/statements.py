"""`python -m bench.statements`: which SQL statements a case costs PostgreSQL, per case.

Runs the whole system on the embedded PostgreSQL (started once to create its files, then
again with `pg_stat_statements` loaded) and broker, puts --complaints registrations
through intake's HTTP API, waits until every service is quiet, and prints the statements
by their time per case, with their calls per case (nested statements of functions too).
Time is the statements' own, waiting on locks included: a statement high here with few
calls is waiting, not working.

What it found while issue 15 was being worked on: the "same citizen and service" duplicate
rule reading every case of the office (intake migration 011), and the periodic store
catch-up waiting on the rows a lagging live batch held (shared/runtime.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

import asyncpg

from bench.__main__ import push_complaints, wait_quiet
from shared.devstack import WITH_DASHBOARD, start_stack
from shared.infra import start_infra

_TOP = """
    SELECT calls, total_exec_time, regexp_replace(query, '\\s+', ' ', 'g') AS query
    FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT $1
"""


async def _measure(intake: str, dsn: str, complaints: int, top: int, width: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        # A first round warms every service up (connections, prepared statements, plans).
        await push_complaints(intake, dsn, max(50, complaints // 5), 16, watch=False)
        await wait_quiet(dsn)
        await conn.execute("SELECT pg_stat_statements_reset()")
        await push_complaints(intake, dsn, complaints, 16, first=100_000, watch=False)
        await wait_quiet(dsn)
        total, calls = await conn.fetchrow(
            "SELECT sum(total_exec_time), sum(calls) FROM pg_stat_statements"
        )
        n = complaints
        print(
            f"\n{n} cases: {total / n:.2f} ms of statement time and {calls / n:.1f} statements"
            " per case\n\n  ms/case  calls/case  statement"
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
                )
            )
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
