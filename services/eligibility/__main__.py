"""Eligibility's command line (`--help` of each exits 0).

python -m services.eligibility                      run the service
python -m services.eligibility load-demo            import the synthetic demo extract
python -m services.eligibility import FILE --source DTKS|DTSEN --snapshot-date YYYY-MM-DD
                              [--max-rejected 0.05]  import an extract as the new snapshot
python -m services.eligibility generate FILE --rows N [--seed S]   a synthetic extract
python -m services.eligibility dead-letters list|replay …
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path
from typing import Any

from services.eligibility.adapters.registry_copy import connecting
from services.eligibility.bootstrap import MIGRATIONS, NAME, create_app
from services.eligibility.service_layer.import_extract import ImportReport, import_extract
from services.eligibility.service_layer.load_demo_registry import load_demo_registry
from shared.db import connect
from shared.refusal import Refused
from shared.runtime import migrate_service, service_main
from shared.settings import get_settings


async def _with_db(work: Any) -> Any:
    dsn = get_settings().database_url
    if not dsn:
        raise SystemExit("DATABASE_URL is not set")
    await migrate_service(dsn, NAME, MIGRATIONS)
    conn = await connect(dsn)
    try:
        return await work(conn)
    finally:
        await conn.close()


def print_report(report: ImportReport) -> None:
    print(
        f"snapshot {report.snapshot_id} ({report.source} {report.snapshot_date}) is current: "
        f"{report.rows_loaded} members loaded, {report.rows_rejected} rows rejected "
        f"of {report.rows_read} read"
    )
    if report.amendments_carried:
        print(f"  {report.amendments_carried} amended members from a newer extract carried over")
    for r in report.rejects:
        print(f"  line {r.line_no}: {r.reason} {r.detail}".rstrip())
    if report.rows_rejected > len(report.rejects):
        print(
            f"  ... {report.rows_rejected - len(report.rejects)} more in "
            f"eligibility.registry_rejects (snapshot_id = {report.snapshot_id})"
        )


def _import(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="python -m services.eligibility import")
    p.add_argument("file", type=Path)
    p.add_argument("--source", choices=("DTKS", "DTSEN"), required=True)
    p.add_argument("--snapshot-date", type=date.fromisoformat, required=True)
    p.add_argument(
        "--max-rejected",
        type=float,
        default=0.05,
        help="refuse the whole extract when more than this fraction of rows is rejected",
    )
    args = p.parse_args(argv)
    if not args.file.is_file():
        raise SystemExit(f"no such file: {args.file}")
    try:
        report = asyncio.run(
            _with_db(
                lambda conn: import_extract(
                    conn,
                    args.file,
                    source=args.source,
                    snapshot_date=args.snapshot_date,
                    max_rejected=args.max_rejected,
                    second_connection=connecting(get_settings().database_url or ""),
                )
            )
        )
    except Refused as exc:
        print(f"import refused ({exc.code}): {exc.message}", file=sys.stderr)
        raise SystemExit(1) from None
    print_report(report)


def _load_demo(argv: list[str]) -> None:
    argparse.ArgumentParser(
        prog="python -m services.eligibility load-demo",
        description="Import the synthetic demo extract as the current snapshot.",
    ).parse_args(argv)
    loaded = asyncio.run(_with_db(lambda conn: load_demo_registry(conn, only_if_empty=False)))
    print(f"demo registry: {loaded} members loaded")


def _generate(argv: list[str]) -> None:
    from services.eligibility.synthetic import main as generate

    generate(argv)


def main(argv: list[str]) -> None:
    service_main(
        NAME,
        argv,
        create_app,
        migrations=MIGRATIONS,
        commands={
            "load-demo": (_load_demo, "import the synthetic demo extract"),
            "import": (_import, "import a DTKS/DTSEN extract as the new snapshot"),
            "generate": (_generate, "write a reproducible synthetic extract of any size"),
        },
    )


if __name__ == "__main__":
    main(sys.argv[1:])
