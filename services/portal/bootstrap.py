"""Wires the portal: the catalogue (office names, contacts, the status words), the other
services' APIs, the throttle, the pages. No database, no Kafka: it keeps nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from services.portal.adapters.services import Services
from services.portal.config import get_portal_settings
from services.portal.domain.throttle import Throttle
from services.portal.entrypoints import http
from shared.catalogue import Catalogue, load_catalogue
from shared.door import BodyDoor
from shared.health import Readiness
from shared.http import install_error_handlers, install_request_context
from shared.logging import get_logger
from shared.openapi import create_api
from shared.ops_http import install_ops_routes
from shared.settings import Settings, get_settings

SERVICE = "portal"
# The status and survey forms are a few short fields.
FORM_MAX_BYTES = 64 * 1024
log = get_logger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    catalogue: Catalogue | None = None,
    services: Services | None = None,
    throttle: Throttle | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    own = get_portal_settings()
    # Loaded once: a broken catalogue (or message file) stops the portal at start.
    catalogue = catalogue or load_catalogue(settings.slrt_catalogue_dir)
    services = services or Services(settings.slrt_intake_url, settings.slrt_casework_url)
    throttle = throttle or Throttle(
        per_minute=own.slrt_portal_lookups_per_minute,
        base=own.slrt_portal_wrong_code_delay_ms / 1000,
        cap=own.slrt_portal_max_delay_ms / 1000,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        log.info("portal_started", offices=sorted(catalogue.offices))
        try:
            yield
        finally:
            await services.close()

    app = create_api(
        title="SLRT portal",
        description="The citizens' public pages: the status page and the survey form.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.catalogue = catalogue
    app.state.services = services
    app.state.throttle = throttle
    install_error_handlers(app)
    # Anyone may post here: every form is bounded while it streams (shared.door).
    app.add_middleware(BodyDoor, own_reads_max_bytes=FORM_MAX_BYTES)
    install_request_context(app, service=SERVICE, access_log=settings.slrt_access_log)

    @app.get("/health", tags=["ops"])
    async def health() -> dict[str, Any]:
        return {"service": SERVICE, "status": "ok"}

    async def readiness() -> Readiness:
        return Readiness()  # it keeps nothing: ready while it answers

    install_ops_routes(app, service=SERVICE, readiness=readiness)

    app.include_router(http.router)
    return app
