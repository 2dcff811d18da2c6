"""Likely-duplicate links (`intake.duplicates`) as staff decide on them: the repository
of `domain.duplicates.DuplicateLink`, on the case's `complaint-<case_id>` stream."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from services.intake.adapters.repository import close_registration
from services.intake.domain.duplicates import DuplicateLink
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.intake_events import DuplicateConfirmed, DuplicateDismissed
from shared.contracts.streams import complaint_stream
from shared.unit_of_work import EventLog, Loaded


class DuplicateLinkRepository:
    """Load locks the case's latest link (two officers deciding at once queue here);
    append writes the verdict and projects it in the same transaction."""

    def __init__(self, conn: asyncpg.Connection, events: EventLog) -> None:
        self.conn = conn
        self.events = events

    async def load(self, case_id: UUID) -> Loaded[DuplicateLink | None]:
        row = await self.conn.fetchrow(
            """SELECT duplicate_of, office, status FROM intake.duplicates
               WHERE case_id = $1 ORDER BY suspected_at DESC LIMIT 1 FOR UPDATE""",
            case_id,
        )
        version = await self.events.version(complaint_stream(case_id))
        if row is None:
            return Loaded(None, version)
        link = DuplicateLink(case_id, row["duplicate_of"], row["office"], row["status"])
        return Loaded(link, version)

    async def append(
        self, case_id: UUID, version: int, events: Sequence[Event], meta: EventMetadata
    ) -> list[EventEnvelope]:
        appended = await self.events.append(complaint_stream(case_id), version, events, meta)
        for event in events:
            match event:
                case DuplicateConfirmed(duplicate_of=duplicate_of, confirmed_by=actor):
                    await self._decided(case_id, duplicate_of, "confirmed", actor)
                    # The merged case is closed here: it no longer attracts duplicates.
                    await close_registration(self.conn, case_id)
                case DuplicateDismissed(duplicate_of=duplicate_of, dismissed_by=actor):
                    await self._decided(case_id, duplicate_of, "dismissed", actor)
        return appended

    async def _decided(self, case_id: UUID, duplicate_of: UUID, status: str, actor: str) -> None:
        await self.conn.execute(
            """UPDATE intake.duplicates SET status = $3, decided_by = $4,
                   decided_at = clock_timestamp() WHERE case_id = $1 AND duplicate_of = $2""",
            case_id,
            duplicate_of,
            status,
            actor,
        )
