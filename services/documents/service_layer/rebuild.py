"""Drop the documents projections and refold them from the event store.

The tables `checklists`, `eligibility`, `letters` and `dispositions` are projections of
events (the intake and eligibility facts the service takes in, and its own streams
`checklist-*`, `letter-*`, `disposition-*`); the rebuild runs the same projection code
the commands and the consumer run, so the rebuilt rows equal the live ones.

Not projections, and left alone: `files` (the scans' bytes; the events hold their ids
and checksums) and `letter_counters` (the number sequence; a rebuild must not hand out
a number twice).

Locking: the four tables are locked exclusively for the rebuild's one transaction, so
commands and the consumer wait (and then see the rebuilt rows); readers wait too. A
rebuild is an operator's action, rare and short, so this simplest safe choice is taken.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from services.documents.domain import letter as letter_model
from services.documents.service_layer import checklists, projections
from shared.catalogue import Catalogue
from shared.contracts.base import EventEnvelope
from shared.contracts.documents_events import LetterDraftingAssigned
from shared.contracts.events import (
    ComplaintRegistered,
    DtksNotFound,
    DtksVerified,
    LetterSigned,
)
from shared.eventstore.store import envelope_from_row
from shared.logging import get_logger

log = get_logger(__name__)

_COLUMNS = """global_position, event_id, stream_id, stream_version, event_type,
    schema_version, data, case_id, office, correlation_id, causation_id, actor, channel,
    occurred_at, recorded_at"""
_INBOUND = [ComplaintRegistered.event_type, DtksVerified.event_type, DtksNotFound.event_type]


@dataclass(frozen=True)
class RebuildReport:
    checklists: int
    letters: int
    events: int


async def rebuild_projections(pool: asyncpg.Pool, catalogue: Catalogue) -> RebuildReport:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """LOCK TABLE documents.checklists, documents.eligibility, documents.letters,
                   documents.dispositions IN ACCESS EXCLUSIVE MODE"""
        )
        for table in ("letters", "dispositions", "eligibility", "checklists"):
            await conn.execute(f"DELETE FROM documents.{table}")
        rows = await conn.fetch(
            f"""SELECT {_COLUMNS} FROM eventstore.events
                WHERE event_type = ANY($1::text[])
                   OR stream_id LIKE 'checklist-%'
                   OR stream_id LIKE 'letter-%'
                   OR stream_id LIKE 'disposition-%'
                ORDER BY global_position""",
            _INBOUND,
        )
        own: dict[str, list[EventEnvelope]] = defaultdict(list)
        for row in rows:
            envelope = envelope_from_row(row)
            if envelope.event_type == ComplaintRegistered.event_type:
                await checklists.open_checklist(conn, envelope, catalogue)
            elif envelope.event_type in (DtksVerified.event_type, DtksNotFound.event_type):
                await checklists.record_dtks_result(conn, envelope)
            else:
                own[envelope.stream_id].append(envelope)
        letters = 0
        for stream, envelopes in own.items():
            if stream.startswith("checklist-"):
                await _checklist(conn, envelopes)
            elif stream.startswith("disposition-"):
                await _disposition(conn, envelopes)
        for stream, envelopes in own.items():
            if stream.startswith("letter-"):
                letters += await _letter(conn, envelopes)
        count = int(await conn.fetchval("SELECT count(*) FROM documents.checklists"))
    log.info("projections_rebuilt", checklists=count, letters=letters, events=len(rows))
    return RebuildReport(checklists=count, letters=letters, events=len(rows))


async def _checklist(conn: asyncpg.Connection, envelopes: list[EventEnvelope]) -> None:
    case_id = envelopes[0].case_id
    row = await conn.fetchrow("SELECT * FROM documents.checklists WHERE case_id = $1", case_id)
    if row is None:  # a checklist without its registration: nothing to project onto
        log.warning("rebuild_orphan_stream", stream_id=envelopes[0].stream_id)
        return
    checklist = await checklists.load_checklist(conn, row)
    await projections.update_checklist(conn, checklist, envelopes)


async def _disposition(conn: asyncpg.Connection, envelopes: list[EventEnvelope]) -> None:
    last = envelopes[-1]
    event = last.payload()
    assert isinstance(event, LetterDraftingAssigned)
    await projections.save_disposition(
        conn,
        case_id=event.case_id,
        assignee=event.assignee,
        assigned_by=event.assigned_by,
        note=event.note,
        version=last.stream_version,
        at=last.occurred_at,
    )


async def _letter(conn: asyncpg.Connection, envelopes: list[EventEnvelope]) -> int:
    case_id: UUID | None = envelopes[0].case_id
    row: Any = await conn.fetchrow(
        "SELECT office, service, variant FROM documents.checklists WHERE case_id = $1", case_id
    )
    if row is None:
        log.warning("rebuild_orphan_stream", stream_id=envelopes[0].stream_id)
        return 0
    letter: letter_model.Letter | None = None
    # As live: one save per command. Events of one command share their correlation and
    # the same transaction; saving after each event gives the same final row.
    for envelope in envelopes:
        event = envelope.payload()
        letter = letter_model.apply(letter, event)
        await projections.save_letter(
            conn,
            letter,
            office=row["office"],
            service=row["service"],
            variant=row["variant"],
            at=envelope.occurred_at,
            content=event.content if isinstance(event, LetterSigned) else None,
        )
    return 1
