"""Wires notifications: its runtime (with the catalogue), the sender and the office
directory for its handlers, its HTTP API."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from services.notifications.adapters.directory import OfficeDirectory
from services.notifications.adapters.letter_links import LetterLinks, SignedLetterLinks
from services.notifications.adapters.senders import RecordingSender, Sender
from services.notifications.config import get_notifications_settings
from services.notifications.entrypoints import http, staff_inbox
from services.notifications.entrypoints.consumers import build_handlers
from services.notifications.service_layer.notify_citizen import SERVICE
from shared.catalogue import Catalogue, load_catalogue
from shared.runtime import ServiceRuntime, create_service_app
from shared.settings import Settings, get_settings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(
    settings: Settings | None = None,
    *,
    sender: Sender | None = None,
    catalogue: Catalogue | None = None,
    links: LetterLinks | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    if links is None:
        own = get_notifications_settings()
        links = SignedLetterLinks(
            base_url=own.slrt_public_base_url,
            secret=settings.slrt_letter_link_secret,
            ttl=timedelta(days=own.slrt_letter_link_ttl_days),
        )
    sender = sender or RecordingSender()  # real WhatsApp/e-mail senders plug in here
    # Loaded once, here: a broken catalogue stops the service at start. The runtime holds
    # it; the handlers read it through the office directory.
    catalogue = catalogue or load_catalogue(settings.slrt_catalogue_dir)
    runtime = ServiceRuntime(
        SERVICE,
        migrations=MIGRATIONS,
        handlers=build_handlers(sender, OfficeDirectory(catalogue), links),
        settings=settings,
        catalogue=catalogue,
    )
    app = create_service_app(
        runtime,
        title="SLRT notifications",
        description="Answers and updates back to the citizen through their own channel.",
    )
    app.state.sender = sender
    app.include_router(http.router)
    app.include_router(staff_inbox.router)
    return app
