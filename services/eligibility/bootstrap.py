"""Wire eligibility: runtime (pool, store, relay, consumer, catalogue), demo data, routers."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from fastapi import FastAPI

from services.eligibility.entrypoints import cases, registry
from services.eligibility.entrypoints.consumers import batch_handler, build_handlers
from services.eligibility.service_layer.load_demo_registry import load_demo_registry
from shared.catalogue import Catalogue, load_catalogue
from shared.consumer import Handler
from shared.db import connect
from shared.eventstore.store import EventStore
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
        catalogue: Catalogue,
        demo_data: bool,
    ) -> None:
        super().__init__(
            NAME, migrations=migrations, handlers=handlers, settings=settings, catalogue=catalogue
        )
        self.demo_data = demo_data

    async def start(self) -> None:
        if self.demo_data and self.settings.database_url:
            # Before the consumer starts, so the first cases are checked against it.
            await migrate_service(self.settings.database_url, self.name, self.migrations)
            conn = await connect(self.settings.database_url)
            try:
                loaded = await load_demo_registry(conn, only_if_empty=True)
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
        # The consumer's handlers append as the runtime's own store does: owner NAME.
        handlers=build_handlers(catalogue, EventStore(NAME)),
        settings=settings,
        catalogue=catalogue,
        demo_data=settings.slrt_demo_data if demo_data is None else demo_data,
    )
    # A run of registrations is checked at once (issue 15.1).
    runtime.batch_handler = batch_handler(catalogue, EventStore(NAME))
    app = create_service_app(
        runtime,
        title="SLRT eligibility",
        description="The DTKS/DTSEN registry and identity rules: DtksVerified / DtksNotFound, "
        "DomicileVerified / DomicileRefused.",
    )
    app.include_router(cases.router)
    app.include_router(registry.router)
    return app
