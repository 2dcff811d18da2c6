"""`python -m services.casework` serves the API; `python -m services.casework rebuild`
drops the case projections and refolds them from the event store."""

from __future__ import annotations

import asyncio
import sys

from services.casework.bootstrap import MIGRATIONS, create_app
from services.casework.entrypoints.consumers import SERVICE
from shared.runtime import serve


async def _rebuild() -> None:
    from services.casework.service_layer.projection import rebuild_projections
    from shared.db import create_pool
    from shared.runtime import migrate_service
    from shared.settings import get_settings

    dsn = get_settings().database_url
    if not dsn:
        raise SystemExit("DATABASE_URL is not set")
    await migrate_service(dsn, SERVICE, MIGRATIONS)
    pool = await create_pool(dsn, max_size=2)
    try:
        report = await rebuild_projections(pool)
    finally:
        await pool.close()
    print(f"rebuilt: {report.events} events, {report.cases} cases, {report.skipped} skipped")


def main(argv: list[str]) -> None:
    if not argv:
        serve(create_app(), SERVICE)
    elif argv == ["rebuild"]:
        from shared.logging import configure_logging

        configure_logging(SERVICE)
        asyncio.run(_rebuild())
    else:
        print("usage: python -m services.casework [rebuild]", file=sys.stderr)
        raise SystemExit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
