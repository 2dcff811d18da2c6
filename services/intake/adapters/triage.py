"""The triage queue (`intake.triage`): messages staff must classify, as the classify use
case loads (locked) and closes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.intake.adapters.sealed import open_row


@dataclass(frozen=True)
class TriagedMessage:
    """A message waiting in triage, with what its adapter read from it."""

    inbound_id: UUID
    queued_office: str | None
    classified: bool
    channel: str
    external_id: str | None
    parsed: dict[str, Any] | None  # None once its person is erased
    received_at: datetime


class TriageQueue:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def load(self, inbound_id: UUID) -> TriagedMessage | None:
        """The queued message, locked: two officers classifying it at once queue here."""
        found = await self.conn.fetchrow(
            """SELECT t.inbound_id, m.subject_id, t.office AS queued_office, t.classified_at,
                      m.channel, m.external_id, m.parsed, m.received_at
               FROM intake.triage t JOIN intake.inbound_messages m ON m.id = t.inbound_id
               WHERE t.inbound_id = $1 FOR UPDATE OF t""",
            inbound_id,
        )
        if found is None:
            return None
        row = await open_row(self.conn, found)
        return TriagedMessage(
            inbound_id=inbound_id,
            queued_office=row["queued_office"],
            classified=row["classified_at"] is not None,
            channel=row["channel"],
            external_id=row["external_id"],
            parsed=row["parsed"],
            received_at=row["received_at"],
        )

    async def classified(self, inbound_id: UUID, *, by: str, case_id: UUID, office: str) -> None:
        await self.conn.execute(
            """UPDATE intake.triage SET classified_at = clock_timestamp(), classified_by = $2,
                   case_id = $3, office = $4 WHERE inbound_id = $1""",
            inbound_id,
            by,
            case_id,
            office,
        )
