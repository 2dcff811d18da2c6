"""Wires casework: its runtime (schema, relay, consumer of every topic, deadline check,
the daily retention sweep), the catalogue's standards, and its HTTP API."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
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
from services.casework.entrypoints.consumers import SERVICE, batch_handler, handlers
from services.casework.service_layer.apply_retention import RetentionReport, apply_retention
from services.casework.service_layer.check_deadlines import SweepReport, check_deadlines
from services.casework.service_layer.context import Casework, standards_from
from shared.catalogue import load_catalogue
from shared.logging import get_logger
from shared.progress import progress
from shared.runtime import ServiceRuntime, create_service_app
from shared.settings import Settings, get_settings

log = get_logger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
# The retention sweep runs with the deadline check, at most this often.
RETENTION_EVERY = timedelta(days=1)


class CaseworkRuntime(ServiceRuntime):
    """The service runtime, with casework's context, the periodic deadline check and the
    daily retention sweep."""

    def __init__(self, *args: Any, watch_seconds: float = 60.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.watch_seconds = watch_seconds
        self.casework = Casework(self)
        self.handlers = handlers(self.casework)
        self.batch_handler = batch_handler(self.casework)
        self._retention_at: datetime | None = None  # the last sweep of this process

    @property
    def retention_years(self) -> dict[str, int]:
        """Each office's retention rule, from the catalogue."""
        return {o.id: o.retention_years for o in self.catalogue.offices.values()}

    async def check_deadlines(self, now: datetime) -> SweepReport:
        cw = self.casework
        return await check_deadlines(cw.pool, cw.new_uow, cw.standards, now)

    async def apply_retention(self, as_of: datetime, *, dry_run: bool = False) -> RetentionReport:
        cw = self.casework
        return await apply_retention(
            cw.pool, cw.new_uow, self.retention_years, as_of, dry_run=dry_run
        )

    async def retention_due(self, now: datetime) -> RetentionReport | None:
        """The retention sweep, when the last one of this process is a day old (or none)."""
        if self._retention_at is not None and now - self._retention_at < RETENTION_EVERY:
            return None
        self._retention_at = now
        return await self.apply_retention(now)

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
            try:
                await self.retention_due(datetime.now(UTC))
            except Exception as exc:  # tomorrow's sweep tries again; say so
                log.warning("retention_sweep_failed", error=repr(exc))


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
