"""Wires casework: its runtime (schema, relay, consumer of every topic) and its HTTP API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.casework.entrypoints import http
from services.casework.entrypoints.consumers import HANDLERS, SERVICE
from shared.runtime import ServiceRuntime, create_service_app
from shared.settings import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def create_runtime(settings: Settings | None = None) -> ServiceRuntime:
    return ServiceRuntime(SERVICE, migrations=MIGRATIONS, handlers=HANDLERS, settings=settings)


def create_app(settings: Settings | None = None) -> FastAPI:
    app = create_service_app(
        create_runtime(settings),
        title="SLRT casework",
        description="Case files, the case lifecycle, social work and referrals.",
    )
    app.include_router(http.router)
    return app
