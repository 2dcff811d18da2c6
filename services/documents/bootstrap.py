"""Wires the documents service: runtime (migrations, consumer, relay) and HTTP routes."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.documents.entrypoints.consumers import HANDLERS
from services.documents.entrypoints.http import public, router
from services.documents.service_layer.catalogue import get_catalogue
from shared.runtime import ServiceRuntime, create_service_app
from shared.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    get_catalogue()  # a broken catalogue stops the service at start, not at the first request
    runtime = ServiceRuntime(
        "documents",
        migrations=Path(__file__).parent / "migrations",
        handlers=HANDLERS,
        settings=settings,
    )
    app = create_service_app(
        runtime,
        title="SLRT documents",
        description="Requirement checklists, letters and their approval chain.",
    )
    app.include_router(router)
    app.include_router(public)
    return app
