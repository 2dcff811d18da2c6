"""The case projections: `casework.case_timeline`, `casework.case_states` and
`casework.cases` (and the reception's registers), live and rebuilt, with one projection
step for both.

The step (`_step`): a reception register event goes into its register; a case event
becomes its timeline row (personal data and notes left out). The case is then folded on:
live, the new row is applied to the case's stored state (`case_states`, what the fold
gave after the case's previous row) and the state and case row are written back. The fold
is by global position, so the stored state is only a shortcut: when there is none, when an
older fold made it (`case_snapshot.FOLD_VERSION`), or when the event arrived out of global
order (its position is below the last one folded in: another topic was ahead), the case
is refolded from all its timeline rows instead, and the result is the same whatever order
events arrived in over the five topics. Nothing is kept in Python between calls: each
step reads the stored state in its own transaction (a consumer's batch may roll a step
back to a savepoint), under the case's lock.

A rebuild empties the tables, reads the store in global order in large batches, runs the
same step, folds every case in memory as it goes, and writes with COPY, all in one
transaction. A rebuild never runs policies.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import (
    AsyncGenerator,
    Awaitable,
    Callable,
    Iterable,
    Sequence,
)
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import NamedTuple
from uuid import UUID

import asyncpg
from pydantic import ValidationError

from services.casework.adapters import case_store
from services.casework.adapters.case_store import StoredEvent
from services.casework.domain.case_row import CaseRow
from services.casework.domain.model import CaseState, apply, fold
from services.casework.domain.standards import CaseStandards
from services.casework.domain.timeline import (
    CASE_EVENT_TYPES,
    Recorded,
    TimelineEntry,
    applicant_name_of,
    entry_from_envelope,
)
from shared.contracts.base import Event, EventEnvelope, UnknownEventType
from shared.contracts.intake_events import GuestBookSigned, IdCardDeposited, IdCardReturned
from shared.gc_pause import without_cycle_collection
from shared.logging import get_logger
from shared.progress import NoProgress, Progress

log = get_logger(__name__)

# The reception's registers: events that may belong to no case.
REGISTER_EVENTS = frozenset(
    {GuestBookSigned.event_type, IdCardDeposited.event_type, IdCardReturned.event_type}
)
PROJECTED_EVENT_TYPES: tuple[str, ...] = tuple(sorted({*CASE_EVENT_TYPES, *REGISTER_EVENTS}))
_CASE_EVENT_TYPES = frozenset(CASE_EVENT_TYPES)  # looked up once per event


@dataclass(frozen=True)
class RebuildReport:
    events: int
    skipped: int
    cases: int


class _Projected(NamedTuple):
    """What the step made of one event: the event, its timeline row (None: no case), and
    the applicant's name if the event carries it."""

    event: Event
    entry: TimelineEntry | None
    applicant_name: str | None


def _made(envelope: Recorded) -> _Projected:
    """What the step makes of an event: decoded, and its timeline row (not written)."""
    event: Event = envelope.payload()
    if envelope.event_type not in _CASE_EVENT_TYPES:
        return _Projected(event, None, None)
    return _Projected(event, entry_from_envelope(envelope, event), applicant_name_of(event))


async def _register(conn: asyncpg.Connection, event: Event, at: datetime) -> None:
    """A reception register event into its register (any other event: nothing)."""
    match event:
        case GuestBookSigned():
            await case_store.record_visit(conn, event, at)
        case IdCardDeposited():
            await case_store.record_card_deposited(conn, event, at)
        case IdCardReturned():
            await case_store.record_card_returned(conn, event, at)


async def _step(conn: asyncpg.Connection, envelope: EventEnvelope) -> _Projected:
    """The one projection step: registers written, the timeline row made (not written)."""
    projected = _made(envelope)
    await _register(conn, projected.event, envelope.occurred_at)
    return projected


Write = Callable[[], Awaitable[None]]
# How many events the rebuild folds between giving the event loop back (to its reader and
# writer tasks, whose network I/O only moves while the loop runs).
_YIELD_EVERY = 250


class _Writer:
    """A rebuild's writes, run in order on its connection by a task of their own, so that
    PostgreSQL takes in one batch (COPY) while the next is folded. A failed write skips
    the rest and is raised to the rebuild (whose transaction then rolls back)."""

    def __init__(self, depth: int = 2) -> None:
        self._queue: asyncio.Queue[Write | None] = asyncio.Queue(depth)
        self._error: BaseException | None = None
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> _Writer:
        self._task = asyncio.create_task(self._run(), name="rebuild-writer")
        return self

    async def _run(self) -> None:
        while (write := await self._queue.get()) is not None:
            if self._error is None:
                try:
                    await write()
                except Exception as exc:
                    self._error = exc

    async def put(self, write: Write) -> None:
        if self._error is not None:
            raise self._error
        await self._queue.put(write)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None and self._error is None:
            self._error = exc  # the rebuild failed: what is queued is not written
        await self._queue.put(None)
        assert self._task is not None
        await self._task
        if exc is None and self._error is not None:
            raise self._error


async def _prefetched(
    batches: AsyncGenerator[list[StoredEvent]], depth: int = 2
) -> AsyncGenerator[list[StoredEvent]]:
    """The batches, read ahead by a task of their own (the store is read while the batch
    before is folded)."""
    queue: asyncio.Queue[list[StoredEvent] | BaseException | None] = asyncio.Queue(depth)

    async def read() -> None:
        try:
            async for batch in batches:
                await queue.put(batch)
        except Exception as exc:
            await queue.put(exc)
        else:
            await queue.put(None)
        finally:
            await batches.aclose()  # its read transaction ends on its connection

    task = asyncio.create_task(read(), name="rebuild-reader")
    try:
        while (item := await queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class CaseProjection:
    """The projections of casework; the standards give each case row its due time."""

    def __init__(self, standards: CaseStandards) -> None:
        self.standards = standards

    def row(self, state: CaseState, applicant_name: str | None = None) -> CaseRow:
        return CaseRow.of(state, self.standards, applicant_name)

    async def refold(
        self, conn: asyncpg.Connection, case_id: UUID, *, applicant_name: str | None = None
    ) -> CaseState:
        """Fold the case from all its timeline rows; store its state and its row (no row
        before registration)."""
        state = fold(case_id, await case_store.case_facts(conn, case_id))
        await self._write(conn, state, applicant_name)
        return state

    async def state(self, conn: asyncpg.Connection, case_id: UUID) -> CaseState:
        """The case as folded now (the caller holds its lock): its stored state, or, with
        none usable, the fold of its timeline rows."""
        stored = await case_store.stored_state(conn, case_id)
        if stored is not None:
            return stored
        return fold(case_id, await case_store.case_facts(conn, case_id))

    async def fold_on(
        self, conn: asyncpg.Connection, entry: TimelineEntry, applicant_name: str | None
    ) -> CaseState:
        """Fold a new timeline row (just inserted) onto its case's stored state; refold
        the case from its timeline when there is no usable state or the row is older than
        the state's last position."""
        stored = await case_store.stored_state(conn, entry.case_id)
        if stored is None or entry.position < stored.last_position:
            log.debug(
                "case_refolded",
                case_id=str(entry.case_id),
                reason="no_state" if stored is None else "out_of_order",
            )
            return await self.refold(conn, entry.case_id, applicant_name=applicant_name)
        state = apply(stored, entry.fact)
        await self._write(conn, state, applicant_name)
        return state

    async def _write(
        self, conn: asyncpg.Connection, state: CaseState, applicant_name: str | None
    ) -> None:
        rows = [self.row(state, applicant_name)] if state.registered else []
        await case_store.save_states_and_cases(conn, [state], rows)

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
        await self.fold_on(conn, entry, projected.applicant_name)

    async def project_many(
        self, conn: asyncpg.Connection, envelopes: Sequence[EventEnvelope]
    ) -> None:
        """Live projection of a run of events (inside the consumer's transaction): the
        rows `project` writes for each in turn, with one statement per kind of write (the
        cases locked, the timeline rows inserted, the states read and stored, the case
        rows upserted). Not for the reception's registers (`BATCHED_EVENT_TYPES`)."""
        entries: list[TimelineEntry] = []
        names: dict[UUID, str] = {}
        for envelope in envelopes:
            projected = _made(envelope)
            entry = projected.entry
            if entry is None:
                log.warning(
                    "event_without_case_skipped",
                    event_type=envelope.event_type,
                    event_id=str(envelope.event_id),
                )
                continue
            entries.append(entry)
            if projected.applicant_name is not None:
                names[entry.case_id] = projected.applicant_name
        if not entries:
            return
        # Three round trips in all when no case needs refolding: a live batch waits on
        # each of them in turn, and casework's batches run one after another.
        await case_store.lock_cases(conn, (e.case_id for e in entries))
        new, stored = await case_store.insert_entries_reading_states(conn, entries)
        fresh = [e for e in entries if e.event_id in new]  # else a rebuild got here first
        folded: dict[UUID, CaseState] = {}
        refold: set[UUID] = set()
        for entry in fresh:  # each case's rows in the order they came
            case_id = entry.case_id
            if case_id in refold:
                continue
            state = folded.get(case_id) or stored.get(case_id)
            if state is None or entry.position < state.last_position:
                # No usable state, or a row older than the state: from the timeline.
                refold.add(case_id)
                folded.pop(case_id, None)
                continue
            folded[case_id] = apply(state, entry.fact)
        if refold:
            timelines = await case_store.case_facts_many(conn, refold)
            for case_id in refold:
                folded[case_id] = fold(case_id, timelines.get(case_id, ()))
        states = list(folded.values())
        await case_store.save_states_and_cases(
            conn, states, [self.row(s, names.get(s.case_id)) for s in states if s.registered]
        )

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

    async def rebuild(
        self, pool: asyncpg.Pool, *, progress: Progress | None = None
    ) -> RebuildReport:
        """Empty the case projections and refold them from the event store, in one
        transaction: the store read in global order in batches (a server-side cursor on a
        second connection, in the rebuild's snapshot, a batch ahead), every case folded in
        memory as its events come, the tables written with COPY while the next batch is
        folded. The pool must allow two connections.

        The store is read with one snapshot taken after the exclusive lock is held, i.e.
        every event committed by then; events committed later are projected by the live
        consumer afterwards. (`read_all`'s in-flight horizon is right for a reader that
        keeps tailing, but here it would leave out events behind any long-running
        transaction that the live projection has already applied, and they would never
        come back.)
        """
        if pool.get_max_size() < 2:
            raise ValueError("the rebuild reads and writes on two connections: pool max_size >= 2")
        with without_cycle_collection():
            return await self._rebuild(pool, progress or NoProgress())

    async def _rebuild(self, pool: asyncpg.Pool, report: Progress) -> RebuildReport:
        events = skipped = 0
        states: dict[UUID, CaseState] = {}
        names: dict[UUID, str] = {}
        async with pool.acquire() as conn, conn.transaction():
            await case_store.own_projections(conn)
            await case_store.clear_projections(conn)
            last = await case_store.last_position(conn)
            report.total(last)
            snapshot = await case_store.export_snapshot(conn)
            async with pool.acquire() as reader, _Writer() as writer:
                stored = case_store.stored_events(reader, PROJECTED_EVENT_TYPES, snapshot=snapshot)
                # Closed on the way out, whatever happens: its reader lets go of the connection.
                async with contextlib.aclosing(_prefetched(stored)) as batches:
                    async for batch in batches:
                        entries: list[TimelineEntry] = []
                        registers: list[tuple[Event, datetime]] = []
                        for n, envelope in enumerate(batch, start=1):
                            if n % _YIELD_EVERY == 0:
                                # Let the reader's fetch and the writer's COPY move on meanwhile.
                                await asyncio.sleep(0)
                            try:
                                projected = _made(envelope)
                            except (ValidationError, UnknownEventType, ValueError) as exc:
                                # Live, the consumer dead-letters what it cannot decode: skip it.
                                log.warning(
                                    "rebuild_event_skipped",
                                    event_id=str(envelope.event_id),
                                    error=repr(exc),
                                )
                                skipped += 1
                                continue
                            if envelope.event_type in REGISTER_EVENTS:
                                registers.append((projected.event, envelope.occurred_at))
                            entry = projected.entry
                            if entry is None:
                                if envelope.event_type not in REGISTER_EVENTS:
                                    skipped += 1
                                continue
                            case_id = entry.case_id
                            if projected.applicant_name is not None:
                                names[case_id] = projected.applicant_name
                            entries.append(entry)
                            # In global order, so folding on as we go is the fold of the case.
                            state = states.get(case_id) or CaseState(case_id=case_id)
                            states[case_id] = apply(state, entry.fact_with(projected.event))
                        await writer.put(functools.partial(_write_batch, conn, registers, entries))
                        events += len(entries)
                        report.update(batch[-1].global_position or 0, events=events)
                cases = await self._write_all(writer, conn, list(states.values()), names)
            report.update(last, events=events, cases=cases)
        log.info("projections_rebuilt", events=events, skipped=skipped, cases=cases)
        return RebuildReport(events=events, skipped=skipped, cases=cases)

    async def _write_all(
        self,
        writer: _Writer,
        conn: asyncpg.Connection,
        states: Sequence[CaseState],
        names: dict[UUID, str],
    ) -> int:
        """Write every folded case and the registered ones' rows, with COPY, in batches."""
        written = 0
        step = case_store.REBUILD_BATCH
        for i in range(0, len(states), step):
            chunk = states[i : i + step]
            rows = [self.row(s, names.get(s.case_id)) for s in chunk if s.registered]
            await writer.put(functools.partial(_write_cases, conn, chunk, rows))
            written += len(rows)
        return written


async def _write_batch(
    conn: asyncpg.Connection,
    registers: Sequence[tuple[Event, datetime]],
    entries: Sequence[TimelineEntry],
) -> None:
    for event, at in registers:
        await _register(conn, event, at)
    await case_store.copy_entries(conn, entries)


async def _write_cases(
    conn: asyncpg.Connection, states: Sequence[CaseState], rows: Sequence[CaseRow]
) -> None:
    await case_store.copy_states(conn, states)
    await case_store.copy_cases(conn, rows)
