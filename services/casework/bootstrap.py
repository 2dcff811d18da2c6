"""Wires casework: its runtime (schema, relay, consumer of every topic, deadline check),
the catalogue's standards, and its HTTP API."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from fastapi import FastAPI

from services.casework.adapters.case_projection import CaseProjection, RebuildReport
from services.casework.entrypoints import (
    case_files,
    erasure,
    internal,
    lifecycle,
    office,
    referrals,
    social_work,
    work,
)
from services.casework.entrypoints.consumers import SERVICE, handlers
from services.casework.service_layer.check_deadlines import SweepReport, check_deadlines
from services.casework.service_layer.context import Casework, standards_from
from shared.catalogue import load_catalogue
from shared.logging import get_logger
from shared.progress import progress
from shared.runtime import ServiceRuntime, create_service_app
from shared.settings import Settings, get_settings

log = get_logger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


class CaseworkRuntime(ServiceRuntime):
    """The service runtime, with casework's context and the periodic deadline check."""

    def __init__(self, *args: Any, watch_seconds: float = 60.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.watch_seconds = watch_seconds
        self.casework = Casework(self)
        self.handlers = handlers(self.casework)

    async def check_deadlines(self, now: datetime) -> SweepReport:
        cw = self.casework
        return await check_deadlines(cw.pool, cw.new_uow, cw.standards, now)

    async def start(self) -> None:
        await super().start()
        if self.watch_seconds > 0:
            self._tasks.append(asyncio.create_task(self._watch(), name="deadline-watcher"))

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.watch_seconds)
            try:
                await self.check_deadlines(datetime.now(UTC))
            except Exception as exc:  # the next check tries again; say so
                log.warning("deadline_sweep_failed", error=repr(exc))


def create_runtime(
    settings: Settings | None = None, *, watch_seconds: float = 60.0
) -> CaseworkRuntime:
    return CaseworkRuntime(
        SERVICE, migrations=MIGRATIONS, settings=settings, watch_seconds=watch_seconds
    )


def create_app(settings: Settings | None = None, *, watch_seconds: float = 60.0) -> FastAPI:
    app = create_service_app(
        create_runtime(settings, watch_seconds=watch_seconds),
        title="SLRT casework",
        description="Case files, the case lifecycle, social work and referrals.",
    )
    for router in (
        case_files.router,
        lifecycle.router,
        erasure.router,
        social_work.router,
        referrals.router,
        work.router,
        work.surveys,
        internal.router,
        office.router,
    ):
        app.include_router(router)
    return app


async def rebuild(pool: asyncpg.Pool, settings: Settings | None = None) -> RebuildReport:
    """Drop the case projections and refold them from the event store (a progress bar on
    a terminal, `progress` log lines otherwise). The pool must allow two connections."""
    catalogue = load_catalogue((settings or get_settings()).slrt_catalogue_dir)
    with progress("casework rebuild") as shown:
        return await CaseProjection(standards_from(catalogue)).rebuild(pool, progress=shown)
