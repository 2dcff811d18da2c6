"""Staff commands on a case: one use case each, one transaction each.

Each loads casework's own stream (`case-<case_id>`), folds it, lets the domain decide,
appends the new events (with their outbox rows) and projects them in the same
transaction, so the staff member who asked reads the result at once. A concurrent writer
on the same stream makes the append fail; the use case then reloads and decides again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID, uuid4

import asyncpg

from services.casework.domain import decisions
from services.casework.domain.commands import (
    AssignCase,
    MakeReferral,
    RecordAssessment,
    ResolveCase,
)
from services.casework.domain.model import CaseState, fold
from services.casework.domain.timeline import entry_from_envelope
from services.casework.service_layer.projection import lock_case, project_appended
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.vocab import Channel
from shared.eventstore.store import ConcurrencyError, EventStore, read_stream
from shared.logging import get_logger

log = get_logger(__name__)

ATTEMPTS = 3


def case_stream(case_id: UUID) -> str:
    return f"case-{case_id}"


@dataclass(frozen=True)
class CaseRef:
    """What the case row tells a command: which case, whose office, which channel."""

    case_id: UUID
    office: str
    channel: str | None = None


@dataclass(frozen=True)
class StaffActor:
    staff_id: str
    correlation_id: UUID

    @property
    def actor(self) -> str:
        return f"staff:{self.staff_id}"


async def load_case_stream(conn: asyncpg.Connection, case_id: UUID) -> tuple[CaseState, int]:
    """Casework's own view of a case (its stream folded) and the stream's version."""
    envelopes = await read_stream(conn, case_stream(case_id))
    entries = [e for e in map(entry_from_envelope, envelopes) if e is not None]
    version = envelopes[-1].stream_version if envelopes else 0
    return fold(case_id, (e.fact for e in entries)), version


async def _decide_and_append(
    pool: asyncpg.Pool,
    store: EventStore,
    case: CaseRef,
    staff: StaffActor,
    decide: Callable[[CaseState], Sequence[Event]],
) -> list[EventEnvelope]:
    meta = EventMetadata(
        case_id=case.case_id,
        office=case.office,
        correlation_id=staff.correlation_id,
        actor=staff.actor,
        channel=Channel(case.channel) if case.channel else None,
    )
    for attempt in range(1, ATTEMPTS + 1):
        try:
            async with pool.acquire() as conn, conn.transaction():
                await lock_case(conn, case.case_id)
                state, version = await load_case_stream(conn, case.case_id)
                new = decide(state)
                appended = await store.append(conn, case_stream(case.case_id), version, new, meta)
                await project_appended(conn, appended)
        except ConcurrencyError:
            if attempt == ATTEMPTS:
                raise
            log.info("case_stream_moved_retrying", attempt=attempt)
            continue
        log.info("case_command_done", events=[e.event_type for e in appended])
        return appended
    raise AssertionError("unreachable")


async def assign_case(
    pool: asyncpg.Pool, store: EventStore, case: CaseRef, cmd: AssignCase, staff: StaffActor
) -> list[EventEnvelope]:
    return await _decide_and_append(
        pool, store, case, staff, lambda s: decisions.assign(s, cmd, by=staff.actor)
    )


async def record_assessment(
    pool: asyncpg.Pool,
    store: EventStore,
    case: CaseRef,
    cmd: RecordAssessment,
    staff: StaffActor,
) -> list[EventEnvelope]:
    return await _decide_and_append(
        pool,
        store,
        case,
        staff,
        lambda s: decisions.record_assessment(s, cmd, staff_id=staff.staff_id, by=staff.actor),
    )


async def make_referral(
    pool: asyncpg.Pool, store: EventStore, case: CaseRef, cmd: MakeReferral, staff: StaffActor
) -> list[EventEnvelope]:
    referral_id = uuid4()  # the same id on a retry: one referral, however often we decide
    return await _decide_and_append(
        pool,
        store,
        case,
        staff,
        lambda s: decisions.refer(s, cmd, referral_id=referral_id, by=staff.actor),
    )


async def resolve_case(
    pool: asyncpg.Pool, store: EventStore, case: CaseRef, cmd: ResolveCase, staff: StaffActor
) -> list[EventEnvelope]:
    return await _decide_and_append(
        pool, store, case, staff, lambda s: decisions.resolve(s, cmd, by=staff.actor)
    )
