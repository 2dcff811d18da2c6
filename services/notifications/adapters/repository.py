"""The repository of a case's notification stream: lock it, fold it, append to it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

import asyncpg

from services.notifications.domain.notifications import CaseNotifications, fold
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.streams import notification_stream
from shared.unit_of_work import EventLog, Loaded

CASE_LOCK_CLASS = 0x4E54_4341  # "NTCA": pg_advisory_xact_lock(class, hashtext(case id))


class CaseLock(Protocol):
    async def __call__(self, case_id: UUID) -> None: ...


class AdvisoryCaseLock:
    """A per-case advisory lock held until the transaction ends (re-entrant within it)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def __call__(self, case_id: UUID) -> None:
        await self.conn.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))", CASE_LOCK_CLASS, str(case_id)
        )


async def no_lock(case_id: UUID) -> None:
    """One writer at a time already (the in-memory unit of work)."""


class NotificationRepository:
    """`shared.unit_of_work.Repository` of the `notification-<case_id>` streams."""

    def __init__(self, events: EventLog, lock: CaseLock) -> None:
        self.events = events
        self._lock = lock

    async def lock(self, case_id: UUID) -> None:
        """Queue behind any other event of the case taken in now, until commit."""
        await self._lock(case_id)

    async def load(self, case_id: UUID) -> Loaded[CaseNotifications]:
        await self.lock(case_id)
        stream = notification_stream(case_id)
        history = await self.events.read_stream(stream)
        return Loaded(fold(e.payload() for e in history), await self.events.version(stream))

    async def append(
        self, case_id: UUID, version: int, events: Sequence[Event], meta: EventMetadata
    ) -> list[EventEnvelope]:
        return await self.events.append(notification_stream(case_id), version, events, meta)
