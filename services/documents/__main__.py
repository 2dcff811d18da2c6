"""`python -m services.documents` serves the API; `python -m services.documents rebuild`
drops the documents projections and refolds them from the event store."""

from __future__ import annotations

import sys

import asyncpg

from services.documents.bootstrap import MIGRATIONS, SERVICE, create_app
from services.documents.service_layer.rebuild import rebuild_projections
from shared.catalogue import load_catalogue
from shared.progress import progress
from shared.runtime import service_main
from shared.settings import get_settings


async def rebuild(pool: asyncpg.Pool) -> str:
    catalogue = load_catalogue(get_settings().slrt_catalogue_dir)
    with progress("documents rebuild") as shown:
        report = await rebuild_projections(pool, catalogue, progress=shown)
    return f"{report.checklists} checklists, {report.letters} letters"


def main(argv: list[str]) -> None:
    service_main(SERVICE, argv, create_app, migrations=MIGRATIONS, rebuild=rebuild)


if __name__ == "__main__":
    main(sys.argv[1:])
