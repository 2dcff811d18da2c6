"""`python -m services.casework` serves the API; `python -m services.casework rebuild`
drops the case projections and refolds them from the event store;
`python -m services.casework retention run [--dry-run] [--as-of DATE] [--json]` applies the
offices' retention rule now (what the service does daily by itself)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, date, datetime, time

import asyncpg

from services.casework.bootstrap import MIGRATIONS, create_app, create_runtime, rebuild
from services.casework.entrypoints.consumers import SERVICE
from services.casework.service_layer.apply_retention import RetentionReport
from shared import clikit
from shared.db import create_pool
from shared.logging import configure_logging
from shared.runtime import migrate_service, service_main
from shared.settings import get_settings


async def _rebuild(pool: asyncpg.Pool) -> str:
    report = await rebuild(pool)
    return f"{report.events} events, {report.cases} cases, {report.skipped} skipped"


async def _sweep(as_of: datetime, dry_run: bool) -> RetentionReport:
    dsn = get_settings().database_url
    if not dsn:
        raise SystemExit("DATABASE_URL is not set")
    runtime = create_runtime(watch_seconds=0)
    await migrate_service(dsn, SERVICE, MIGRATIONS, runtime.catalogue)
    pool = await create_pool(dsn, max_size=2)
    runtime.use_pool(pool)
    try:
        return await runtime.apply_retention(as_of, dry_run=dry_run)
    finally:
        await pool.close()


def _retention(argv: list[str]) -> None:
    p = argparse.ArgumentParser(
        prog="python -m services.casework retention",
        description="Erase the personal data of people whose cases are all past their "
        "office's retention (catalogue `retention_years`).",
    )
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="sweep now")
    run.add_argument(
        "--dry-run", action="store_true", help="list what would be erased, erase nothing"
    )
    run.add_argument(
        "--as-of",
        type=date.fromisoformat,
        help="sweep as if on this day (YYYY-MM-DD, start of the day UTC); default: now",
    )
    run.add_argument("--json", action="store_true", help="machine output")
    args = p.parse_args(argv)
    configure_logging(SERVICE)
    clikit.logs_to_stderr()
    as_of = datetime.combine(args.as_of, time(), UTC) if args.as_of else datetime.now(UTC)
    report = asyncio.run(_sweep(as_of, args.dry_run))
    if args.json:
        clikit.print_json(
            {
                "as_of": report.as_of.isoformat(),
                "dry_run": report.dry_run,
                "cases": [
                    {
                        "case_id": str(c.case_id),
                        "office": c.office,
                        "ended_at": c.ended_at.isoformat(),
                        "outcome": c.outcome,
                        "cases_of_person": c.cases,
                    }
                    for c in report.cases
                ],
            }
        )
        return
    clikit.print_table(
        ("case", "office", "ended", "outcome", "cases of the person"),
        (
            [str(c.case_id), c.office, c.ended_at.date().isoformat(), c.outcome, c.cases]
            for c in report.cases
        ),
        title=f"retention as of {as_of.date().isoformat()}"
        + (" (dry run)" if args.dry_run else ""),
        empty="no case past retention",
    )
    print(
        f"{report.count('erased')} erased, {report.count('would_erase')} would be erased, "
        f"{report.count('held')} held by another case of the person"
    )


def main(argv: list[str]) -> None:
    service_main(
        SERVICE,
        argv,
        create_app,
        migrations=MIGRATIONS,
        rebuild=_rebuild,
        commands={"retention": (_retention, "apply the offices' retention rule (run)")},
    )


if __name__ == "__main__":
    main(sys.argv[1:])
