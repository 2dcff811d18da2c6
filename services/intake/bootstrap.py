"""Wire intake: runtime (pool, store, relay), catalogue, HTTP routes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.intake.entrypoints.consumers import HANDLERS
from services.intake.entrypoints.http import register_schemas, router
from shared.catalogue import Catalogue, load_catalogue
from shared.runtime import ServiceRuntime, create_service_app
from shared.settings import Settings, get_settings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings | None = None, catalogue: Catalogue | None = None) -> FastAPI:
    settings = settings or get_settings()
    runtime = ServiceRuntime("intake", migrations=MIGRATIONS, handlers=HANDLERS, settings=settings)
    app = create_service_app(
        runtime,
        title="SLRT intake",
        description="Every channel arrives here: requests become cases (ComplaintRegistered).",
    )
    # Loaded once at start-up: a broken catalogue file stops the service, loudly.
    app.state.catalogue = catalogue or load_catalogue(settings.slrt_catalogue_dir)
    app.include_router(router)

    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = default_openapi()
            register_schemas(schema.setdefault("components", {}).setdefault("schemas", {}))
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]
    return app
