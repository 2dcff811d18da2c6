"""Wire eligibility: runtime (pool, store, relay, consumer), catalogue, demo data, routes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from fastapi import FastAPI

from services.eligibility.adapters.extract_import import load_demo
from services.eligibility.entrypoints.consumers import build_handlers
from services.eligibility.entrypoints.http import router
from shared.catalogue import Catalogue, load_catalogue
from shared.consumer import Handler
from shared.db import connect
from shared.logging import get_logger
from shared.runtime import ServiceRuntime, create_service_app, migrate_service
from shared.settings import Settings, get_settings

log = get_logger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
NAME = "eligibility"


class EligibilityRuntime(ServiceRuntime):
    """The shared runtime, plus the demo registry loaded before any event is consumed."""

    def __init__(
        self,
        *,
        migrations: Path,
        handlers: Mapping[str, Handler],
        settings: Settings,
        demo_data: bool,
    ) -> None:
        super().__init__(NAME, migrations=migrations, handlers=handlers, settings=settings)
        self.demo_data = demo_data

    async def start(self) -> None:
        if self.demo_data and self.settings.database_url:
            # Before the consumer starts, so the first cases are checked against it.
            await migrate_service(self.settings.database_url, self.name, self.migrations)
            conn = await connect(self.settings.database_url)
            try:
                loaded = await load_demo(conn, only_if_empty=True)
            finally:
                await conn.close()
            if loaded:
                log.info("demo_registry_loaded", members=loaded)
        await super().start()


def create_app(
    settings: Settings | None = None,
    catalogue: Catalogue | None = None,
    *,
    demo_data: bool | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    catalogue = catalogue or load_catalogue(settings.slrt_catalogue_dir)
    runtime = EligibilityRuntime(
        migrations=MIGRATIONS,
        handlers=build_handlers(catalogue),
        settings=settings,
        demo_data=settings.slrt_demo_data if demo_data is None else demo_data,
    )
    app = create_service_app(
        runtime,
        title="SLRT eligibility",
        description="The DTKS/DTSEN registry and identity rules: DtksVerified / DtksNotFound, "
        "DomicileVerified / DomicileRefused.",
    )
    app.state.catalogue = catalogue
    app.include_router(router)
    return app
