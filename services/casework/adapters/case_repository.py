"""The case repository: a case locked, folded and versioned; its new facts appended and
projected, all in the unit of work's transaction.

The case casework decides on is the *whole* case: every service's facts, as the
projection folded them (its stored state, or its timeline rows folded again), under the
case's lock (the same lock the projection takes). What it
appends goes to casework's own stream of the case (`case_stream`), with optimistic
concurrency on that stream's version, and is projected at once so staff read their
own writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from services.casework.adapters import case_store
from services.casework.adapters.case_projection import CaseProjection
from services.casework.domain.model import CaseState
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.streams import case_stream
from shared.unit_of_work import EventLog, Loaded


class CaseRepository:
    """`shared.unit_of_work.Repository[UUID, CaseState]` on PostgreSQL."""

    def __init__(
        self, conn: asyncpg.Connection, events: EventLog, projection: CaseProjection
    ) -> None:
        self.conn = conn
        self.events = events
        self.projection = projection

    async def lock(self, case_id: UUID) -> None:
        """Lock the case until the transaction ends (re-entrant)."""
        await case_store.lock_case(self.conn, case_id)

    async def load(self, case_id: UUID) -> Loaded[CaseState]:
        await self.lock(case_id)
        state = await self.projection.state(self.conn, case_id)
        version = await self.events.version(case_stream(case_id))
        return Loaded(state, version)

    async def append(
        self, case_id: UUID, version: int, events: Sequence[Event], meta: EventMetadata
    ) -> list[EventEnvelope]:
        appended = await self.events.append(case_stream(case_id), version, events, meta)
        await self.projection.project_appended(self.conn, appended)
        return appended
