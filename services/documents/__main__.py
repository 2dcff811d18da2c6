"""`python -m services.documents` serves the API; `python -m services.documents rebuild`
drops the documents projections and refolds them from the event store."""

from __future__ import annotations

import sys
from pathlib import Path

import asyncpg

from services.documents.bootstrap import create_app
from shared.runtime import service_main

SERVICE = "documents"
MIGRATIONS = Path(__file__).parent / "migrations"


async def _rebuild(pool: asyncpg.Pool) -> str:
    from services.documents.service_layer.catalogue import get_catalogue
    from services.documents.service_layer.rebuild import rebuild_projections

    report = await rebuild_projections(pool, get_catalogue())
    return f"{report.checklists} checklists, {report.letters} letters"


def main(argv: list[str]) -> None:
    service_main(SERVICE, argv, create_app, migrations=MIGRATIONS, rebuild=_rebuild)


if __name__ == "__main__":
    main(sys.argv[1:])
