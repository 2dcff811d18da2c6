"""`python -m services.casework` serves the API; `python -m services.casework rebuild`
drops the case projections and refolds them from the event store."""

from __future__ import annotations

import sys

import asyncpg

from services.casework.bootstrap import MIGRATIONS, create_app, rebuild
from services.casework.entrypoints.consumers import SERVICE
from shared.runtime import service_main


async def _rebuild(pool: asyncpg.Pool) -> str:
    report = await rebuild(pool)
    return f"{report.events} events, {report.cases} cases, {report.skipped} skipped"


def main(argv: list[str]) -> None:
    service_main(SERVICE, argv, create_app, migrations=MIGRATIONS, rebuild=_rebuild)


if __name__ == "__main__":
    main(sys.argv[1:])
