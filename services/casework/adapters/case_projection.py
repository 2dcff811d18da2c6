"""The case projections: `casework.case_timeline` and `casework.cases` (and the reception's
registers), live and rebuilt, with one projection step for both.

The step (`_step`): a reception register event goes into its register; a case event
becomes its timeline row (personal data and notes left out). The case row is then
recomputed by folding *all* the case's timeline rows in global-position order
(`CaseRow.of`), so it never depends on the order events arrived in over the five topics.
Live, that happens per event; a rebuild drops the tables, runs the same step over the
event store, then folds every case once. A rebuild never runs policies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

import asyncpg
from pydantic import ValidationError

from services.casework.adapters import case_store
from services.casework.domain.case_row import CaseRow
from services.casework.domain.model import CaseState, fold
from services.casework.domain.standards import CaseStandards
from services.casework.domain.timeline import (
    CASE_EVENT_TYPES,
    TimelineEntry,
    applicant_name_of,
    entry_from_envelope,
)
from shared.contracts.base import Event, EventEnvelope, UnknownEventType
from shared.contracts.intake_events import GuestBookSigned, IdCardDeposited, IdCardReturned
from shared.logging import get_logger

log = get_logger(__name__)

# The reception's registers: events that may belong to no case.
REGISTER_EVENTS = frozenset(
    {GuestBookSigned.event_type, IdCardDeposited.event_type, IdCardReturned.event_type}
)
PROJECTED_EVENT_TYPES: tuple[str, ...] = tuple(sorted({*CASE_EVENT_TYPES, *REGISTER_EVENTS}))


@dataclass(frozen=True)
class RebuildReport:
    events: int
    skipped: int
    cases: int


@dataclass(frozen=True)
class _Projected:
    """What the step made of one event: its timeline row (None: no case), and the
    applicant's name if the event carries it."""

    entry: TimelineEntry | None
    applicant_name: str | None


async def _step(conn: asyncpg.Connection, envelope: EventEnvelope) -> _Projected:
    """The one projection step: registers written, the timeline row made (not written)."""
    event: Event = envelope.payload()
    match event:
        case GuestBookSigned():
            await case_store.record_visit(conn, event, envelope.occurred_at)
        case IdCardDeposited():
            await case_store.record_card_deposited(conn, event, envelope.occurred_at)
        case IdCardReturned():
            await case_store.record_card_returned(conn, event, envelope.occurred_at)
    if envelope.event_type not in CASE_EVENT_TYPES:
        return _Projected(None, None)
    return _Projected(entry_from_envelope(envelope), applicant_name_of(event))


class CaseProjection:
    """The projections of casework; the standards give each case row its due time."""

    def __init__(self, standards: CaseStandards) -> None:
        self.standards = standards

    def row(self, state: CaseState, applicant_name: str | None = None) -> CaseRow:
        return CaseRow.of(state, self.standards, applicant_name)

    async def refold(
        self, conn: asyncpg.Connection, case_id: UUID, *, applicant_name: str | None = None
    ) -> CaseState:
        """Recompute the case row from all its timeline rows (no row before registration)."""
        state = fold(case_id, await case_store.case_facts(conn, case_id))
        if state.registered:
            await case_store.upsert_cases(conn, [self.row(state, applicant_name)])
        return state

    async def project(self, conn: asyncpg.Connection, envelope: EventEnvelope) -> None:
        """Live projection of one event (inside the consumer's transaction)."""
        if envelope.event_type in REGISTER_EVENTS:
            await case_store.share_projections(conn)
        projected = await _step(conn, envelope)
        entry = projected.entry
        if entry is None:
            if envelope.event_type not in REGISTER_EVENTS:
                log.warning("event_without_case_skipped", event_type=envelope.event_type)
            return
        await case_store.lock_case(conn, entry.case_id)
        if not await case_store.insert_entries(conn, [entry]):
            return  # a rebuild got here first: the row and the fold already include it
        await self.refold(conn, entry.case_id, applicant_name=projected.applicant_name)

    async def project_appended(
        self, conn: asyncpg.Connection, envelopes: Iterable[EventEnvelope]
    ) -> None:
        """Project events casework itself just appended, in the same transaction.

        Staff read their own writes at once; the events are marked processed here, so
        when Kafka (or catch-up) brings them back the consumer skips them.
        """
        for envelope in envelopes:
            await case_store.mark_processed(conn, envelope)
            await self.project(conn, envelope)

    async def rebuild(self, pool: asyncpg.Pool) -> RebuildReport:
        """Drop the case projections and refold them from the event store, in one
        transaction.

        The store is read with one snapshot taken after the exclusive lock is held, i.e.
        every event committed by then; events committed later are projected by the live
        consumer afterwards. (`read_all`'s in-flight horizon is right for a reader that
        keeps tailing, but here it would leave out events behind any long-running
        transaction that the live projection has already applied, and they would never
        come back.)
        """
        events = skipped = cases = 0
        async with pool.acquire() as conn, conn.transaction():
            await case_store.own_projections(conn)
            await case_store.clear_projections(conn)
            names: dict[UUID, str | None] = {}
            async for batch in case_store.stored_events(conn, PROJECTED_EVENT_TYPES):
                entries: list[TimelineEntry] = []
                for envelope in batch:
                    try:
                        projected = await _step(conn, envelope)
                    except (ValidationError, UnknownEventType, ValueError) as exc:
                        # Live, the consumer dead-letters what it cannot decode: skip it.
                        log.warning(
                            "rebuild_event_skipped",
                            event_id=str(envelope.event_id),
                            error=repr(exc),
                        )
                        skipped += 1
                        continue
                    entry = projected.entry
                    if entry is None:
                        if envelope.event_type not in REGISTER_EVENTS:
                            skipped += 1
                        continue
                    if projected.applicant_name is not None:
                        names[entry.case_id] = projected.applicant_name
                    entries.append(entry)
                events += await case_store.insert_entries(conn, entries)
            cases = await self._refold_all(conn, names)
        log.info("projections_rebuilt", events=events, skipped=skipped, cases=cases)
        return RebuildReport(events=events, skipped=skipped, cases=cases)

    async def _refold_all(self, conn: asyncpg.Connection, names: dict[UUID, str | None]) -> int:
        """Fold every case once from its timeline rows, case by case in one pass."""
        written = 0
        pending: list[CaseRow] = []
        async for case_id, facts in case_store.all_case_facts(conn):
            state = fold(case_id, facts)
            if not state.registered:
                continue
            pending.append(self.row(state, names.get(case_id)))
            written += 1
            if len(pending) >= case_store.BATCH:
                await case_store.upsert_cases(conn, pending)
                pending.clear()
        if pending:
            await case_store.upsert_cases(conn, pending)
        return written
