"""Wires casework: its runtime (schema, relay, consumer of every topic, deadline watcher)
and its HTTP API."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.casework.entrypoints import http, work
from services.casework.entrypoints.consumers import HANDLERS, SERVICE
from services.casework.service_layer.watcher import sweep
from shared.logging import get_logger
from shared.runtime import ServiceRuntime, create_service_app
from shared.settings import Settings

log = get_logger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


class CaseworkRuntime(ServiceRuntime):
    """The service runtime plus the periodic deadline watcher."""

    def __init__(self, *args: Any, watch_seconds: float = 60.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.watch_seconds = watch_seconds

    async def start(self) -> None:
        await super().start()
        if self.watch_seconds > 0:
            self._tasks.append(asyncio.create_task(self._watch(), name="deadline-watcher"))

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.watch_seconds)
            try:
                await sweep(self.pool, self.store, datetime.now(UTC))
            except Exception as exc:  # the next sweep tries again; say so
                log.warning("deadline_sweep_failed", error=repr(exc))


def create_runtime(
    settings: Settings | None = None, *, watch_seconds: float = 60.0
) -> ServiceRuntime:
    return CaseworkRuntime(
        SERVICE,
        migrations=MIGRATIONS,
        handlers=HANDLERS,
        settings=settings,
        watch_seconds=watch_seconds,
    )


def create_app(settings: Settings | None = None, *, watch_seconds: float = 60.0) -> FastAPI:
    app = create_service_app(
        create_runtime(settings, watch_seconds=watch_seconds),
        title="SLRT casework",
        description="Case files, the case lifecycle, social work and referrals.",
    )
    app.include_router(http.router)
    app.include_router(work.router)
    app.include_router(work.surveys)
    return app
