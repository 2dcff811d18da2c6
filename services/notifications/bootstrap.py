"""Wires notifications: its runtime, the sender and office directory, its HTTP API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.notifications.adapters.directory import OfficeDirectory
from services.notifications.adapters.senders import RecordingSender, Sender
from services.notifications.entrypoints import http
from services.notifications.entrypoints.consumers import build_handlers
from services.notifications.service_layer.notify import SERVICE
from shared.runtime import ServiceRuntime, create_service_app
from shared.settings import Settings, get_settings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(
    settings: Settings | None = None,
    *,
    sender: Sender | None = None,
    directory: OfficeDirectory | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    sender = sender or RecordingSender()  # real WhatsApp/e-mail senders plug in here
    directory = directory or OfficeDirectory(path=settings.slrt_catalogue_dir)
    runtime = ServiceRuntime(
        SERVICE,
        migrations=MIGRATIONS,
        handlers=build_handlers(sender, directory),
        settings=settings,
    )
    app = create_service_app(
        runtime,
        title="SLRT notifications",
        description="Answers and updates back to the citizen through their own channel.",
    )
    app.state.sender = sender
    app.include_router(http.router)
    return app
