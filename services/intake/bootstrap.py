"""Wire intake: runtime (pool, store, relay, consumer, catalogue), the typed handlers, the
HTTP routers, the group-commit writer and the SMTP door."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.intake.adapters.identity_backfill import hash_clear_identities
from services.intake.entrypoints.attachments import router as attachment_router
from services.intake.entrypoints.channels import register_channel_schemas
from services.intake.entrypoints.channels import router as channel_router
from services.intake.entrypoints.consumers import make_handlers, make_raw_handlers
from services.intake.entrypoints.deps import units_of_work
from services.intake.entrypoints.http import register_schemas, router
from services.intake.entrypoints.internal import router as internal_router
from services.intake.entrypoints.media_worker import MediaWorker
from services.intake.entrypoints.smtp import start_smtp
from services.intake.entrypoints.staff import router as staff_router
from services.intake.service_layer.group_commit import RegistrationWriter
from shared.catalogue import Catalogue
from shared.logging import get_logger
from shared.runtime import ServiceRuntime, create_service_app
from shared.settings import Settings, get_settings
from shared.workers import is_primary_worker

MIGRATIONS = Path(__file__).parent / "migrations"
log = get_logger(__name__)


def create_app(settings: Settings | None = None, catalogue: Catalogue | None = None) -> FastAPI:
    settings = settings or get_settings()
    # The runtime loads the catalogue once, at start-up (unless a test hands one in): a
    # broken catalogue file stops the service, loudly.
    runtime = ServiceRuntime(
        "intake", migrations=MIGRATIONS, settings=settings, catalogue=catalogue
    )
    if is_primary_worker():
        # Intake on several processes (SLRT_INTAKE_WORKERS): the Kafka consumer (routing
        # what the channels brought, intake's own policies) and its catch-up run in worker
        # 0 alone, so they apply one message at a time as with one process. Every worker
        # serves HTTP with its own group-commit writer and relay.
        runtime.handlers = make_handlers(runtime.catalogue, runtime.store)
        runtime.raw_handlers = make_raw_handlers(runtime)
    app = create_service_app(
        runtime,
        title="SLRT intake",
        description="Every channel arrives here: requests become cases (ComplaintRegistered).",
    )
    # Staff registrations arriving together share one transaction (group commit).
    app.state.registrations = RegistrationWriter(lambda: runtime.pool, runtime.store)
    app.include_router(router)
    app.include_router(channel_router)
    app.include_router(staff_router)
    app.include_router(internal_router)
    app.include_router(attachment_router)

    runtime_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[None]:
        async with runtime_lifespan(app_):
            # Identity rows kept in clear before migration 009: hashed once, by worker 0.
            if is_primary_worker():
                hashed = await hash_clear_identities(runtime.pool)
                if hashed:
                    log.info("identity_index_hashed", rows=hashed)
            smtp = None
            # The SMTP door listens on its own port: in one process (worker 0).
            if settings.slrt_smtp_port is not None and is_primary_worker():
                smtp = await start_smtp(
                    runtime, runtime.catalogue, settings.slrt_smtp_host, settings.slrt_smtp_port
                )
            # Media sent by reference (WhatsApp) are fetched after the webhook's answer,
            # in every worker: each takes a due file with FOR UPDATE SKIP LOCKED.
            media = MediaWorker(units_of_work(runtime), settings)
            media.start()
            try:
                yield
            finally:
                await media.stop()
                await app_.state.registrations.close()
                if smtp is not None:
                    smtp.close()
                    await smtp.wait_closed()

    app.router.lifespan_context = lifespan

    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = default_openapi()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            register_schemas(components)
            register_channel_schemas(components)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]
    return app
