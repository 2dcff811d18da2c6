"""Drop the documents projections and refold them from the event store.

The tables `checklists`, `eligibility`, `letters` and `dispositions` are projections of
events (the intake, eligibility and casework facts the service takes in, and its own
streams `checklist-*`, `letter-*`); the rebuild runs the very projection steps the
commands and the consumer run (`adapters/projections.py`, the `when_*` policies), so the
rebuilt rows equal the live ones.

Not projections, and left alone: `files` (the scans' bytes; the events hold their ids
and checksums) and `letter_counters` (the number sequence; a rebuild must not hand out
a number twice).

Locking: the four tables are locked exclusively for the rebuild's one transaction, so
commands and the consumer wait (and then see the rebuilt rows); readers wait too. A
rebuild is an operator's action, rare and short, so this simplest safe choice is taken.

The store is read in batches (a server-side cursor). What the service takes in goes
through the consumer's own policies as it comes, into memory (`projections.Refolded`, with
the upserts' rules: a checklist opened once, an older DTKS answer or drafter never over a
newer one); its own streams are grouped and folded stream by stream at the end, in memory
too; the four tables are then written with COPY. Progress: a bar on a terminal, log lines
otherwise (`shared.progress`, given by `__main__`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import asyncpg

from services.documents.adapters import attachments, projections
from services.documents.adapters.unit_of_work import PostgresDocumentsUnitOfWork
from services.documents.service_layer.record_taken_in import record_taken_in
from shared.catalogue import Catalogue
from shared.contracts.base import EventEnvelope
from shared.eventstore.store import EventStore
from shared.gc_pause import without_cycle_collection
from shared.logging import get_logger
from shared.progress import NoProgress, Progress

log = get_logger(__name__)


@dataclass(frozen=True)
class RebuildReport:
    checklists: int
    letters: int
    events: int


async def rebuild_projections(
    pool: asyncpg.Pool, catalogue: Catalogue, *, progress: Progress | None = None
) -> RebuildReport:
    with without_cycle_collection():
        return await _rebuild(pool, catalogue, progress or NoProgress())


async def _rebuild(pool: asyncpg.Pool, catalogue: Catalogue, report: Progress) -> RebuildReport:
    events = 0
    async with PostgresDocumentsUnitOfWork(pool, EventStore("documents")) as uow:
        conn = uow.conn
        await projections.clear_for_rebuild(conn)
        last = await projections.last_position(conn)
        report.total(last)
        refolded = uow.inbound = projections.Refolded()
        own: dict[str, list[EventEnvelope]] = defaultdict(list)
        async for batch in projections.events_to_refold(conn):
            for envelope in batch:
                if not await record_taken_in(uow, envelope, catalogue):
                    own[envelope.stream_id].append(envelope)
            events += len(batch)
            report.update(batch[-1].global_position or 0, events=events)
        for stream, stream_events in own.items():
            folded = (
                refolded.fold_checklist(stream_events)
                if stream.startswith("checklist-")
                else refolded.fold_letter(stream_events)
                if stream.startswith("letter-")
                else True
            )
            if not folded:  # a stream without its registration: nothing to project onto
                log.warning("rebuild_orphan_stream", stream_id=stream)
        await projections.copy_refolded(conn, refolded)
        # The case's attachments: a projection of their own facts (intake's and ours).
        await attachments.refold(conn)
        count = len(refolded.opened)
        letters = len(refolded.letters)
        await uow.commit()
    report.update(last, events=events, checklists=count, letters=letters)
    log.info("projections_rebuilt", checklists=count, letters=letters, events=events)
    return RebuildReport(checklists=count, letters=letters, events=events)
