"""The case projections: `casework.case_timeline` and `casework.cases`, live and rebuilt.

Live, each event adds its timeline row and the case row is recomputed by folding *all*
the case's timeline rows in global-position order, so the row never depends on the order
events arrived in over the five topics. A rebuild drops both tables and runs the same
code over the event store; it never runs policies.

Locking (the choice the brief asked to document): a transaction-scoped advisory lock.
Live projection takes it in *shared* mode (projections of different events run side by
side), a rebuild takes it *exclusively*, so a live projection waits until the rebuild has
committed, then finds its timeline row already there (insert ... on conflict do nothing)
and changes nothing. A table lock would do the same but would also block readers of the
case file during a rebuild; with the advisory lock readers keep seeing the old rows
(MVCC) until the rebuild commits. A second, per-case advisory lock serialises the
projections of one case, so two events of a case applied at once cannot each fold
without the other's row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
from pydantic import ValidationError

from services.casework.domain.model import CaseFact, CaseState, fold
from services.casework.domain.timeline import (
    CASE_EVENT_TYPES,
    TimelineEntry,
    entry_from_envelope,
)
from services.casework.service_layer.planning import (
    deadline_for,
    next_reminder_at,
    next_step_due_at,
    queue_role,
)
from shared.contracts.base import EventEnvelope, UnknownEventType
from shared.contracts.events import ComplaintRegistered
from shared.contracts.intake_events import GuestBookSigned, IdCardDeposited, IdCardReturned
from shared.eventstore.store import envelope_from_row
from shared.logging import get_logger

log = get_logger(__name__)

# pg_advisory locks: one 64-bit key for "the projections as a whole" and a two-int key
# space (class, hashtext(case id)) for one case. The two forms never collide.
REBUILD_LOCK = 0x534C_5254_4357_5052  # "SLRTCWPR"
CASE_LOCK_CLASS = 0x4357_4341  # "CWCA"

_BATCH = 1000


def applicant_name_of(envelope: EventEnvelope) -> str | None:
    """The name the case row shows (personal data, so only on the row, not the timeline)."""
    if envelope.event_type != ComplaintRegistered.event_type:
        return None
    payload = envelope.payload()
    assert isinstance(payload, ComplaintRegistered)
    if payload.anonymous:
        return None
    return payload.applicant.name


def fact_from_row(row: Any) -> CaseFact:
    return CaseFact(
        position=row["global_position"],
        event_type=row["event_type"],
        data=row["data"],
        recorded_at=row["recorded_at"],
        occurred_at=row["occurred_at"],
        actor=row["actor"],
    )


async def _insert_entries(conn: asyncpg.Connection, entries: Sequence[TimelineEntry]) -> int:
    """Insert timeline rows not there yet; return how many were new."""
    if not entries:
        return 0
    rows = await conn.fetch(
        """
        INSERT INTO casework.case_timeline (event_id, case_id, global_position, event_type,
            stream_id, actor, channel, recorded_at, occurred_at, summary, data)
        SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::text[],
            $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[], $10::text[],
            $11::jsonb[])
        ON CONFLICT (event_id) DO NOTHING
        RETURNING event_id
        """,
        [e.event_id for e in entries],
        [e.case_id for e in entries],
        [e.position for e in entries],
        [e.event_type for e in entries],
        [e.stream_id for e in entries],
        [e.actor for e in entries],
        [e.channel for e in entries],
        [e.recorded_at for e in entries],
        [e.occurred_at for e in entries],
        [e.summary for e in entries],
        [e.data for e in entries],
    )
    return len(rows)


_CASE_FIELDS = (
    "case_id, office, service, variant, channel, ticket_number, status, assigned_to, "
    "assignee_role, outcome, opened_at, resolved_at, last_position, applicant_name, stage, "
    "stage_changed_at, queue_role, clock_number, clock_started_at, budget_seconds, due_at, "
    "warn_at, clock_paused, clock_stopped_at, warned, breached, escalated_to, "
    "open_referrals, next_reminder_at, next_step_due_at, id_card_held, merged_into, "
    "forwarded_to"
)
_NAMES = [c.strip() for c in _CASE_FIELDS.split(",")]
_UPDATES = ", ".join(
    f"{c} = EXCLUDED.{c}" for c in _NAMES if c not in ("case_id", "applicant_name")
)
_UPSERT_CASE = f"""
    INSERT INTO casework.cases ({_CASE_FIELDS})
    VALUES ({", ".join(f"${i}" for i in range(1, len(_NAMES) + 1))})
    ON CONFLICT (case_id) DO UPDATE SET
        {_UPDATES},
        applicant_name = COALESCE(EXCLUDED.applicant_name, casework.cases.applicant_name)
"""


def _case_args(state: CaseState, applicant_name: str | None) -> tuple[Any, ...]:
    clock = state.clock
    due = deadline_for(state)
    return (
        state.case_id,
        state.office,
        state.service,
        state.variant,
        state.channel,
        state.ticket_number,
        state.status,
        state.assigned_to,
        state.assignee_role,
        state.outcome,
        state.opened_at,
        state.resolved_at,
        state.last_position,
        applicant_name,
        state.stage,
        state.stage_changed_at,
        queue_role(state),
        clock.number if clock else None,
        clock.started_at if clock else None,
        due.budget if due else None,
        due.due_at if due else None,
        due.warn_at if due else None,
        bool(clock and clock.paused),
        clock.stopped_at if clock else None,
        bool(clock and clock.warned),
        bool(clock and clock.breached),
        clock.escalated_to[-1] if clock and clock.escalated_to else None,
        len(state.open_referrals),
        next_reminder_at(state),
        next_step_due_at(state),
        state.id_card_held,
        state.merged_into,
        state.forwarded_to,
    )


ID_CARD_EVENTS = frozenset({"IdCardDeposited", "IdCardReturned"})
# The reception's registers: events that may belong to no case.
REGISTER_EVENTS = ID_CARD_EVENTS | {"GuestBookSigned"}
PROJECTED_EVENT_TYPES: tuple[str, ...] = tuple(sorted({*CASE_EVENT_TYPES, *REGISTER_EVENTS}))


async def project_register(conn: asyncpg.Connection, envelope: EventEnvelope) -> None:
    """The reception's registers: the guest book and the ID cards left there (a visit and
    its card may belong to no case)."""
    card = envelope.payload()
    if isinstance(card, GuestBookSigned):
        await conn.execute(
            """INSERT INTO casework.visits (visit_id, office, visit_date, queue_number, purpose,
                   checked_in_by, signed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
               ON CONFLICT (visit_id) DO NOTHING""",
            card.visit_id,
            card.office,
            card.visit_date,
            card.queue_number,
            card.purpose,
            card.checked_in_by,
            envelope.occurred_at,
        )
    elif isinstance(card, IdCardDeposited):
        await conn.execute(
            """INSERT INTO casework.id_cards (visit_id, office, case_id, card_kind, held_by,
                   deposited_at) VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (visit_id) DO UPDATE SET case_id = COALESCE(
                   casework.id_cards.case_id, EXCLUDED.case_id)""",
            card.visit_id,
            card.office,
            card.case_id,
            card.card_kind,
            card.held_by,
            envelope.occurred_at,
        )
    elif isinstance(card, IdCardReturned):
        # A return may come before its deposit (two topics): keep it, fill in later.
        await conn.execute(
            """INSERT INTO casework.id_cards (visit_id, office, case_id, card_kind, held_by,
                   deposited_at, returned_by, returned_at)
               VALUES ($1, $2, $3, 'other', '', $4, $5, $4)
               ON CONFLICT (visit_id) DO UPDATE SET returned_by = EXCLUDED.returned_by,
                   returned_at = EXCLUDED.returned_at""",
            card.visit_id,
            card.office,
            card.case_id,
            envelope.occurred_at,
            card.returned_by,
        )


async def refold_case(
    conn: asyncpg.Connection, case_id: UUID, *, applicant_name: str | None = None
) -> CaseState:
    """Recompute the case row from all its timeline rows (no row before registration)."""
    rows = await conn.fetch(
        """SELECT global_position, event_type, data, recorded_at, occurred_at, actor
           FROM casework.case_timeline WHERE case_id = $1 ORDER BY global_position""",
        case_id,
    )
    state = fold(case_id, (fact_from_row(r) for r in rows))
    if state.registered:
        await conn.execute(_UPSERT_CASE, *_case_args(state, applicant_name))
    return state


async def lock_case(conn: asyncpg.Connection, case_id: UUID) -> None:
    """Take, until the transaction ends, the projections lock (shared) and the case's lock.

    Always in this order, and before appending to the case's stream: a staff command and
    the LetterSigned policy both append to `case-<id>` and both project, so taking the
    locks first keeps them from waiting on each other crosswise (a deadlock).
    """
    await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", REBUILD_LOCK)
    await conn.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext($2))", CASE_LOCK_CLASS, str(case_id)
    )


async def project_event(conn: asyncpg.Connection, envelope: EventEnvelope) -> None:
    """Live projection of one event (inside the consumer's transaction)."""
    if envelope.event_type in REGISTER_EVENTS:
        await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", REBUILD_LOCK)
        await project_register(conn, envelope)
    entry = entry_from_envelope(envelope) if envelope.event_type in CASE_EVENT_TYPES else None
    if entry is None:
        if envelope.event_type not in REGISTER_EVENTS:
            log.warning("event_without_case_skipped", event_type=envelope.event_type)
        return
    await lock_case(conn, entry.case_id)  # re-entrant: a no-op if this tx holds them
    if not await _insert_entries(conn, [entry]):
        return  # a rebuild got here first: the row and the fold already include it
    await refold_case(conn, entry.case_id, applicant_name=applicant_name_of(envelope))


async def project_appended(conn: asyncpg.Connection, envelopes: Iterable[EventEnvelope]) -> None:
    """Project events casework itself just appended, in the same transaction.

    Staff read their own writes at once; the events are marked processed here, so when
    Kafka (or catch-up) brings them back the consumer skips them.
    """
    for envelope in envelopes:
        await conn.execute(
            """INSERT INTO casework.processed_events (event_id, event_type, global_position)
               VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING""",
            envelope.event_id,
            envelope.event_type,
            envelope.global_position,
        )
        await project_event(conn, envelope)


@dataclass(frozen=True)
class RebuildReport:
    events: int
    skipped: int
    cases: int


# Every column `envelope_from_row` reads.
_EVENT_COLUMNS = """global_position, event_id, stream_id, stream_version, event_type,
    schema_version, data, case_id, office, correlation_id, causation_id, actor, channel,
    occurred_at, recorded_at"""


async def rebuild_projections(pool: asyncpg.Pool) -> RebuildReport:
    """Drop the case projections and refold them from the event store, in one transaction.

    The store is read with one snapshot taken after the exclusive lock is held, i.e. every
    event committed by then; events committed later are projected by the live consumer
    afterwards. (`read_all`'s in-flight horizon is right for a reader that keeps tailing,
    but here it would leave out events behind any long-running transaction that the live
    projection has already applied, and they would never come back.)
    """
    events = skipped = cases = 0
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", REBUILD_LOCK)
        await conn.execute("DELETE FROM casework.cases")
        await conn.execute("DELETE FROM casework.case_timeline")
        await conn.execute("DELETE FROM casework.id_cards")
        await conn.execute("DELETE FROM casework.visits")
        names: dict[UUID, str | None] = {}
        cursor = await conn.cursor(
            f"""SELECT {_EVENT_COLUMNS} FROM eventstore.events
                WHERE event_type = ANY($1::text[]) ORDER BY global_position""",
            list(PROJECTED_EVENT_TYPES),
        )
        while rows := await cursor.fetch(_BATCH):
            batch: list[TimelineEntry] = []
            for row in rows:
                envelope = envelope_from_row(row)
                try:
                    if envelope.event_type in REGISTER_EVENTS:
                        await project_register(conn, envelope)
                    if envelope.event_type not in CASE_EVENT_TYPES:
                        continue
                    entry = entry_from_envelope(envelope)
                except (ValidationError, UnknownEventType, ValueError) as exc:
                    # Live, the consumer dead-letters what it cannot decode: skip it alike.
                    log.warning(
                        "rebuild_event_skipped", event_id=str(envelope.event_id), error=repr(exc)
                    )
                    skipped += 1
                    continue
                if entry is None:
                    skipped += 1
                    continue
                if envelope.event_type == ComplaintRegistered.event_type:
                    names[entry.case_id] = applicant_name_of(envelope)
                batch.append(entry)
            events += await _insert_entries(conn, batch)
        cases = await _refold_all(conn, names)
    log.info("projections_rebuilt", events=events, skipped=skipped, cases=cases)
    return RebuildReport(events=events, skipped=skipped, cases=cases)


async def _refold_all(conn: asyncpg.Connection, names: dict[UUID, str | None]) -> int:
    """Fold every case once from its timeline rows, case by case in one pass."""
    written = 0
    pending: list[tuple[Any, ...]] = []
    current: UUID | None = None
    facts: list[CaseFact] = []

    def flush_case() -> None:
        nonlocal written
        if current is None:
            return
        state = fold(current, facts)
        if state.registered:
            pending.append(_case_args(state, names.get(current)))
            written += 1

    cursor = await conn.cursor(
        """SELECT case_id, global_position, event_type, data, recorded_at, occurred_at, actor
           FROM casework.case_timeline ORDER BY case_id, global_position"""
    )
    while rows := await cursor.fetch(_BATCH):
        for row in rows:
            if row["case_id"] != current:
                flush_case()
                current, facts = row["case_id"], []
            facts.append(fact_from_row(row))
        if len(pending) >= _BATCH:
            await conn.executemany(_UPSERT_CASE, pending)
            pending.clear()
    flush_case()
    if pending:
        await conn.executemany(_UPSERT_CASE, pending)
    return written
