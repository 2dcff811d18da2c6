"""Staff commands on a case: one use case each, one transaction each.

Each takes the case's lock, folds the whole case (every service's facts, from the
timeline projection, under the same lock the projection takes), lets the domain decide,
appends the new events to casework's own stream (`case-<case_id>`, with their outbox
rows) and projects them in the same transaction, so the staff member who asked reads the
result at once. A concurrent writer on the same stream makes the append fail; the use
case then reloads and decides again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID, uuid4

import asyncpg

from services.casework.domain import decisions
from services.casework.domain.commands import (
    AssignCase,
    RecordAssessment,
    ResolveCase,
)
from services.casework.domain.decisions import SYSTEM_ACTOR
from services.casework.domain.model import CaseState, fold
from services.casework.service_layer.projection import fact_from_row, lock_case, project_appended
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.vocab import Channel
from shared.eventstore.store import ConcurrencyError, EventStore, stream_version
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


def system_actor(correlation_id: UUID | None = None) -> StaffActor:
    """Casework acting by itself (the deadline watcher, policies)."""
    return _SystemActor(staff_id="casework", correlation_id=correlation_id or uuid4())


@dataclass(frozen=True)
class _SystemActor(StaffActor):
    @property
    def actor(self) -> str:
        return SYSTEM_ACTOR


async def load_case(conn: asyncpg.Connection, case_id: UUID) -> tuple[CaseState, int]:
    """The whole case as casework knows it (every service's facts, folded from the
    timeline) and the version of casework's own stream. Call with the case lock held."""
    rows = await conn.fetch(
        """SELECT global_position, event_type, data, recorded_at, occurred_at, actor
           FROM casework.case_timeline WHERE case_id = $1 ORDER BY global_position""",
        case_id,
    )
    version = await stream_version(conn, case_stream(case_id))
    return fold(case_id, (fact_from_row(r) for r in rows)), version


async def run(
    pool: asyncpg.Pool,
    store: EventStore,
    case: CaseRef,
    actor: StaffActor,
    decide: Callable[[CaseState], Sequence[Event]],
) -> list[EventEnvelope]:
    """Run one decision on a case: lock, fold, decide, append, project; retried on a race."""
    return await _decide_and_append(pool, store, case, actor, decide)


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
                state, version = await load_case(conn, case.case_id)
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


async def resolve_case(
    pool: asyncpg.Pool, store: EventStore, case: CaseRef, cmd: ResolveCase, staff: StaffActor
) -> list[EventEnvelope]:
    return await _decide_and_append(
        pool, store, case, staff, lambda s: decisions.resolve(s, cmd, by=staff.actor)
    )
