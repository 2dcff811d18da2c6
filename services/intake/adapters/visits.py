"""The walk-in desk's visits (`intake.visits`, `intake.queue_counters`): the repository of
`domain.visits.Visit`, on the visit's `visit-<visit_id>` stream."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from services.intake.adapters.sealed import seal_visitor
from services.intake.domain.visits import Visit
from shared.at_rest import link_to_case
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.intake_events import (
    GuestBookSigned,
    IdCardDeposited,
    IdCardReturned,
    VisitCalled,
)
from shared.contracts.streams import visit_stream
from shared.unit_of_work import EventLog, Loaded


class VisitRepository:
    def __init__(self, conn: asyncpg.Connection, events: EventLog) -> None:
        self.conn = conn
        self.events = events

    async def next_number(self, office: str, day: date) -> int:
        """The office's next queue number of the day (a counter row per office and day)."""
        n = await self.conn.fetchval(
            """INSERT INTO intake.queue_counters AS c (office, day, n) VALUES ($1, $2, 1)
               ON CONFLICT (office, day) DO UPDATE SET n = c.n + 1 RETURNING n""",
            office,
            day,
        )
        return int(n)

    async def load(self, visit_id: UUID) -> Loaded[Visit | None]:
        """The visit, locked (two receptionists returning one card queue here)."""
        row = await self.conn.fetchrow(
            """SELECT office, case_id, id_card_left_at, id_card_returned_at, queue_number,
                      called_at
               FROM intake.visits WHERE id = $1 FOR UPDATE""",
            visit_id,
        )
        version = await self.events.version(visit_stream(visit_id))
        if row is None:
            return Loaded(None, version)
        visit = Visit(
            visit_id=visit_id,
            office=row["office"],
            case_id=row["case_id"],
            card_left=row["id_card_left_at"] is not None,
            card_returned=row["id_card_returned_at"] is not None,
            queue_number=row["queue_number"],
            called=row["called_at"] is not None,
        )
        return Loaded(visit, version)

    async def append(
        self,
        visit_id: UUID,
        version: int,
        events: Sequence[Event],
        meta: EventMetadata,
        *,
        visitor: dict[str, Any] | None = None,
    ) -> list[EventEnvelope]:
        """Append and project: a new visit's row (with `visitor`, the guest-book details
        no event carries), a card handed back, a number called. A visit tied to a case:
        its events are that case's too (the envelope's `case_id`)."""
        if meta.case_id is None:
            case_id = next(
                (
                    e.case_id
                    for e in events
                    if isinstance(e, IdCardDeposited | IdCardReturned) and e.case_id
                ),
                None,
            )
            if case_id is not None:
                meta = meta.model_copy(update={"case_id": case_id})
        appended = await self.events.append(visit_stream(visit_id), version, events, meta)
        signed = next((e for e in events if isinstance(e, GuestBookSigned)), None)
        if signed is not None:
            card = next((e for e in events if isinstance(e, IdCardDeposited)), None)
            await self._add(signed, card, visitor or {}, (meta.case_id, meta.correlation_id))
        for event in events:
            match event:
                case IdCardReturned(returned_by=actor):
                    await self.conn.execute(
                        """UPDATE intake.visits SET id_card_returned_at = clock_timestamp(),
                               id_card_returned_by = $2 WHERE id = $1""",
                        visit_id,
                        actor,
                    )
                case VisitCalled(called_by=actor):
                    await self.conn.execute(
                        """UPDATE intake.visits SET called_at = clock_timestamp(), called_by = $2
                           WHERE id = $1""",
                        visit_id,
                        actor,
                    )
        return appended

    async def _add(
        self,
        signed: GuestBookSigned,
        card: IdCardDeposited | None,
        visitor: dict[str, Any],
        anchors: tuple[UUID | None, UUID],
    ) -> None:
        """The visit's row; the guest book's details sealed (`sealed.seal_visitor`)."""
        subject_id, kept = await seal_visitor(
            self.conn,
            signed.visit_id,
            anchors,
            {
                "visitor_name": visitor.get("name"),
                "visitor_phone": visitor.get("phone"),
                "visitor_nik": visitor.get("nik"),
                "purpose": visitor.get("purpose", signed.purpose),
            },
        )
        await self.conn.execute(
            """INSERT INTO intake.visits (id, office, visit_date, queue_number, visitor_name,
                   visitor_phone, visitor_nik, purpose, checked_in_by, id_card_kind,
                   id_card_held_by, id_card_left_at, subject_id)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
                       CASE WHEN $10::text IS NULL THEN NULL ELSE clock_timestamp() END, $12)""",
            signed.visit_id,
            signed.office,
            signed.visit_date,
            signed.queue_number,
            kept["visitor_name"],
            kept["visitor_phone"],
            kept["visitor_nik"],
            kept["purpose"],
            signed.checked_in_by,
            card.card_kind if card else None,
            card.held_by if card else None,
            subject_id,
        )

    async def link_case(self, visit_id: UUID, case_id: UUID, office: str) -> asyncpg.Record | None:
        """A walk-in request registered for a visit: the visit (and its ID card) get the
        case (and its guest-book details are erased with the case's person). Returns the
        card's kind and holder when the visit left an ID card that is still held at
        reception (it now belongs to the case), else None."""
        row: asyncpg.Record | None = await self.conn.fetchrow(
            """UPDATE intake.visits SET case_id = $2 WHERE id = $1 AND office = $3
               RETURNING id_card_kind, id_card_held_by, id_card_left_at, id_card_returned_at,
                   subject_id""",
            visit_id,
            case_id,
            office,
        )
        if row is not None:
            await link_to_case(self.conn, row["subject_id"], case_id)
        if row is None or row["id_card_left_at"] is None or row["id_card_returned_at"] is not None:
            return None
        return row
