"""Wires the staff web app: its runtime (own schema, the consumer of every case event for
live pages), the service clients, the live hub, sign-in, the templates, the routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import httpx
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from services.dashboard.adapters.clients.registry import Services
from services.dashboard.adapters.live_hub import LiveHub
from services.dashboard.config import SERVICE, DashboardSettings, get_dashboard_settings
from services.dashboard.domain.accounts import LockoutPolicy
from services.dashboard.entrypoints import (
    admin,
    approvals,
    case_actions,
    errors,
    live,
    office,
    pages,
    reception,
    report,
    sign_in,
    triage,
)
from services.dashboard.entrypoints.consumers import build_batch_handler, build_handlers
from services.dashboard.entrypoints.deps import Dashboard, csrf_guard
from services.dashboard.entrypoints.security import SecurityHeaders
from services.dashboard.entrypoints.templating import make_templates
from services.dashboard.service_layer.sign_in import PasswordIdentityProvider
from shared.catalogue import Catalogue, load_catalogue
from shared.runtime import ServiceRuntime, create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"
STATIC = Path(__file__).parent / "static"
# The pages read their forms themselves; the largest is a document's scan on its way to
# documents (which refuses one over its own limit, 5 MiB by default): 413 past this.
FORM_MAX_BYTES = 16 * 1024 * 1024


def create_app(
    settings: DashboardSettings | None = None,
    *,
    catalogue: Catalogue | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    settings = settings or get_dashboard_settings()
    catalogue = catalogue or load_catalogue(settings.slrt_catalogue_dir)
    hub = LiveHub()
    runtime = ServiceRuntime(
        SERVICE,
        migrations=MIGRATIONS,
        handlers=build_handlers(hub),
        settings=settings,
        catalogue=catalogue,
        pool_size=10,
    )
    runtime.batch_handler = build_batch_handler(hub)
    services = Services.from_settings(settings, transport=transport)
    identity = PasswordIdentityProvider(
        lambda: runtime.pool,
        LockoutPolicy(
            max_failures=settings.slrt_dashboard_max_failed_sign_ins,
            lockout=timedelta(minutes=settings.slrt_dashboard_lockout_minutes),
        ),
        catalogue,
    )
    app = create_service_app(
        runtime,
        title="SLRT staff web app",
        description="Pages for the office's staff, over the five services' APIs.",
        html_errors=True,
        own_reads_max_bytes=FORM_MAX_BYTES,
    )
    # The runtime starts first (pool, consumer), the service clients close last.
    base_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        async with base_lifespan(a):
            try:
                yield
            finally:
                hub.close_all()
                await services.close()

    app.router.lifespan_context = lifespan
    app.state.dashboard = Dashboard(
        runtime=runtime,
        settings=settings,
        services=services,
        hub=hub,
        templates=make_templates(),
        identity=identity,
    )
    errors.install(app)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # Every route that changes something checks the session's CSRF token.
    for module in (
        sign_in,
        pages,
        live,
        admin,
        reception,
        triage,
        office,
        report,
        case_actions,
        approvals,
    ):
        app.include_router(module.router, dependencies=[Depends(csrf_guard)])
    return app
