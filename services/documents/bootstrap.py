"""Wires the documents service: the catalogue (loaded once: a broken catalogue stops the
service at start, not at the first request), the runtime (migrations, consumer, relay),
the typed event handlers and the HTTP routers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.documents.entrypoints import (
    attachments,
    checklists,
    downloads,
    letters,
    verification,
)
from services.documents.entrypoints.consumers import batch_handler, handlers
from shared.catalogue import load_catalogue
from shared.eventstore.store import EventStore
from shared.runtime import ServiceRuntime, create_service_app
from shared.settings import Settings, get_settings

SERVICE = "documents"
MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    catalogue = load_catalogue(settings.slrt_catalogue_dir)
    runtime = ServiceRuntime(
        SERVICE,
        migrations=MIGRATIONS,
        handlers=handlers(catalogue, EventStore(owner=SERVICE)),
        settings=settings,
        catalogue=catalogue,
    )
    runtime.batch_handler = batch_handler(catalogue, EventStore(owner=SERVICE))
    app = create_service_app(
        runtime,
        title="SLRT documents",
        description="Requirement checklists, letters and their approval chain.",
    )
    app.include_router(checklists.router)
    app.include_router(letters.router)
    app.include_router(letters.internal)
    app.include_router(attachments.router)
    app.include_router(verification.public)
    app.include_router(downloads.public)
    return app
