"""`python -m services.documents` serves the API; `python -m services.documents rebuild`
drops the documents projections and refolds them from the event store."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from services.documents.bootstrap import create_app
from shared.runtime import serve

SERVICE = "documents"
MIGRATIONS = Path(__file__).parent / "migrations"


async def _rebuild() -> None:
    from services.documents.service_layer.catalogue import get_catalogue
    from services.documents.service_layer.rebuild import rebuild_projections
    from shared.db import create_pool
    from shared.runtime import migrate_service
    from shared.settings import get_settings

    dsn = get_settings().database_url
    if not dsn:
        raise SystemExit("DATABASE_URL is not set")
    await migrate_service(dsn, SERVICE, MIGRATIONS)
    pool = await create_pool(dsn, max_size=2)
    try:
        report = await rebuild_projections(pool, get_catalogue())
    finally:
        await pool.close()
    print(f"rebuilt: {report.checklists} checklists, {report.letters} letters")


def main(argv: list[str]) -> None:
    if not argv:
        serve(create_app(), SERVICE)
    elif argv == ["rebuild"]:
        from shared.logging import configure_logging

        configure_logging(SERVICE)
        asyncio.run(_rebuild())
    else:
        print("usage: python -m services.documents [rebuild]", file=sys.stderr)
        raise SystemExit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
