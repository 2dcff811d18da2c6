"""The documents projections: the service's own tables, always written in the
transaction of the events they reflect.

Each projection step is written once and run by both the live path (a command's
repository, a consumer's policy) and the rebuild (`service_layer/rebuild.py`), so the
rebuilt rows equal the live ones by construction:

* `project_checklist`: a checklist folded on (its `checklist-<case>` events);
* `project_letter`: a letter folded on, one upsert per event (its `letter-<id>` events);
* `insert_checklist`, `record_dtks`, `record_drafter`: the facts taken in from intake,
  eligibility and casework (the `dispositions` table: who drafts, from casework's
  disposition and delegation).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from services.documents.adapters import scans
from services.documents.adapters.rows import case_from_row, checklist_definition
from services.documents.domain import checklist as checklist_model
from services.documents.domain import letter as letter_model
from services.documents.domain.checklist import Checklist
from services.documents.domain.facts import (
    CaseOnFile,
    ChecklistOpened,
    DrafterNamed,
    DtksOutcome,
)
from services.documents.domain.files import CheckedFile
from services.documents.domain.letter import Letter
from shared.contracts.base import EventEnvelope
from shared.contracts.casework_events import CaseDelegated
from shared.contracts.events import (
    CaseAssigned,
    ComplaintRegistered,
    DtksNotFound,
    DtksVerified,
    LetterSigned,
)
from shared.eventstore.store import envelope_from_row
from shared.eventstore.subjects import open_envelopes
from shared.refusal import Refused

# The events the rebuild refolds besides the service's own streams: what it takes in.
INBOUND = [
    ComplaintRegistered.event_type,
    DtksVerified.event_type,
    DtksNotFound.event_type,
    CaseAssigned.event_type,
    CaseDelegated.event_type,
]
_COLUMNS = """global_position, event_id, stream_id, stream_version, event_type,
    schema_version, data, case_id, office, correlation_id, causation_id, actor, channel,
    occurred_at, recorded_at"""


async def insert_checklist(conn: asyncpg.Connection, opened: ChecklistOpened) -> None:
    await conn.execute(
        """INSERT INTO documents.checklists (case_id, office, service, variant, channel,
               ticket_number, requires_dtks, required, declared, registered_at, promise)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           ON CONFLICT (case_id) DO NOTHING""",
        opened.case_id,
        opened.office,
        opened.service,
        opened.variant,
        opened.channel,
        opened.ticket_number,
        opened.requires_dtks,
        [r.to_dict() for r in opened.required],
        list(opened.declared),
        opened.registered_at,
        opened.promise.model_dump(mode="json") if opened.promise else None,
    )


def received_key(document_type: str, form: str) -> str:
    return f"{document_type}:{form}"


async def _update_checklist(
    conn: asyncpg.Connection, checklist: Checklist, envelopes: Sequence[EventEnvelope]
) -> None:
    """Received documents are keyed "<type>:<form>": {type, form, checked_by, at, file}."""
    at = {
        received_key(e.data["document_type"], e.data.get("form", "copy")): e.occurred_at
        for e in envelopes
        if e.event_type == "DocumentReceived"
    }
    old = await conn.fetchval(
        "SELECT received FROM documents.checklists WHERE case_id = $1", checklist.case_id
    )
    received = dict(old or {})
    for r in checklist.received.values():
        key = received_key(r.type, r.form)
        if key in received and key not in at:
            continue  # unchanged since it was projected
        received[key] = {
            "type": r.type,
            "form": r.form,
            "checked_by": r.checked_by,
            "at": (at.get(key) or datetime.now().astimezone()).isoformat(),
            "file": (
                {
                    "file_id": str(r.file.file_id),
                    "sha256": r.file.sha256,
                    "content_type": r.file.content_type,
                    "size": r.file.size,
                }
                if r.file
                else None
            ),
        }
    completed_at = next(
        (e.occurred_at for e in envelopes if e.event_type == "RequirementsCompleted"), None
    )
    noted_at = next(
        (e.occurred_at for e in reversed(envelopes) if e.event_type == "DocumentsMissingNoted"),
        None,
    )
    await conn.execute(
        """UPDATE documents.checklists
           SET received = $2, complete = $3, version = $4,
               completed_at = coalesce(completed_at, $5),
               missing_noted = $6, missing_noted_at = coalesce($7, missing_noted_at),
               updated_at = clock_timestamp()
           WHERE case_id = $1""",
        checklist.case_id,
        received,
        checklist.complete,
        checklist.version,
        completed_at,
        list(checklist.last_missing_noted) if checklist.last_missing_noted is not None else None,
        noted_at,
    )


async def insert_file(
    conn: asyncpg.Connection,
    *,
    file_id: Any,
    case_id: Any,
    document_type: str,
    form: str,
    file: CheckedFile,
    uploaded_by: str,
) -> None:
    """The scan, sealed with the key of the case's person (`scans.py`)."""
    content, subject_id = await scans.seal_scan(conn, case_id, file_id, file.content)
    await conn.execute(
        """INSERT INTO documents.files (file_id, case_id, document_type, form, content_type,
               size, sha256, filename, content, uploaded_by, subject_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
        file_id,
        case_id,
        document_type,
        form,
        file.content_type,
        file.size,
        file.sha256,
        file.filename,
        content,
        uploaded_by,
        subject_id,
    )


async def record_drafter(conn: asyncpg.Connection, named: DrafterNamed) -> None:
    """Who drafts the case's letter: casework's latest disposition or delegation. A
    redelivered older one never overwrites a newer one (ordered by global position)."""
    await conn.execute(
        """INSERT INTO documents.dispositions
               (case_id, assignee, role, kind, assigned_by, note, global_position,
                assigned_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (case_id) DO UPDATE SET assignee = EXCLUDED.assignee,
               role = EXCLUDED.role, kind = EXCLUDED.kind,
               assigned_by = EXCLUDED.assigned_by, note = EXCLUDED.note,
               global_position = EXCLUDED.global_position,
               assigned_at = EXCLUDED.assigned_at
           WHERE documents.dispositions.global_position IS NULL
              OR EXCLUDED.global_position IS NULL
              OR documents.dispositions.global_position < EXCLUDED.global_position""",
        named.case_id,
        named.staff_id,
        named.role.value,
        named.kind,
        named.named_by,
        named.instruction,
        named.global_position,
        named.at,
    )


async def record_dtks(conn: asyncpg.Connection, outcome: DtksOutcome) -> None:
    # A redelivered older result never overwrites a newer one.
    await conn.execute(
        """INSERT INTO documents.eligibility
               (case_id, status, reason, programmes, source, global_position)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (case_id) DO UPDATE
           SET status = EXCLUDED.status, reason = EXCLUDED.reason,
               programmes = EXCLUDED.programmes, source = EXCLUDED.source,
               global_position = EXCLUDED.global_position, updated_at = clock_timestamp()
           WHERE documents.eligibility.global_position IS NULL
              OR EXCLUDED.global_position IS NULL
              OR documents.eligibility.global_position < EXCLUDED.global_position""",
        outcome.case_id,
        outcome.status,
        outcome.reason,
        list(outcome.programmes),
        outcome.source,
        outcome.global_position,
    )


def _reviews(letter_reviews: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {"step": r.step, "role": r.role.value, "actor": r.actor, "comment": r.comment}
        for r in letter_reviews
    ]


async def _save_letter(
    conn: asyncpg.Connection,
    letter: Letter,
    *,
    office: str,
    service: str,
    variant: str | None,
    at: datetime,
    content: dict[str, Any] | None = None,
) -> None:
    """Upsert the letter's row from its folded state."""
    current_step = letter.step if letter.current_role is not None else None
    try:
        await conn.execute(
            """INSERT INTO documents.letters (letter_id, case_id, office, service, variant,
                   product, letter_type, status, current_step, step_role, chain, approvals,
                   returns, revision, drafted_by, subject, body, letter_number,
                   content_sha256, content, signed_by, signed_at, version, drafted_at,
                   issued_at, issued_channel, issued_by)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                   $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)
               ON CONFLICT (letter_id) DO UPDATE SET
                   status = EXCLUDED.status, current_step = EXCLUDED.current_step,
                   step_role = EXCLUDED.step_role, chain = EXCLUDED.chain,
                   approvals = EXCLUDED.approvals, returns = EXCLUDED.returns,
                   revision = EXCLUDED.revision, drafted_by = EXCLUDED.drafted_by,
                   subject = EXCLUDED.subject, body = EXCLUDED.body,
                   letter_number = EXCLUDED.letter_number,
                   content_sha256 = EXCLUDED.content_sha256,
                   content = coalesce(EXCLUDED.content, documents.letters.content),
                   signed_by = EXCLUDED.signed_by,
                   signed_at = coalesce(EXCLUDED.signed_at, documents.letters.signed_at),
                   issued_at = EXCLUDED.issued_at, issued_channel = EXCLUDED.issued_channel,
                   issued_by = EXCLUDED.issued_by,
                   version = EXCLUDED.version, updated_at = clock_timestamp()""",
            letter.letter_id,
            letter.case_id,
            office,
            service,
            variant,
            letter.product,
            letter.letter_type,
            letter.status,
            current_step,
            letter.current_role.value if letter.current_role else None,
            [r.value for r in letter.chain],
            _reviews(letter.approvals),
            _reviews(letter.returns),
            letter.revision,
            letter.drafted_by,
            letter.subject,
            letter.body,
            letter.letter_number,
            letter.content_sha256,
            content,
            letter.signed_by,
            letter.signed_at or (at if letter.status == "signed" else None),
            letter.version,
            at,
            letter.issued_at,
            letter.issued_channel.value if letter.issued_channel else None,
            letter.issued_by,
        )
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "letters_one_active_per_case":
            raise Refused.conflict(
                "letter_already_drafted", "This case already has a letter in progress."
            ) from exc
        raise


async def project_checklist(
    conn: asyncpg.Connection, before: Checklist, envelopes: Sequence[EventEnvelope]
) -> Checklist:
    """Fold `envelopes` onto the checklist and write its row; the checklist after them."""
    after = checklist_model.fold(before, (e.payload() for e in envelopes))
    await _update_checklist(conn, after, envelopes)
    return after


async def project_letter(
    conn: asyncpg.Connection,
    letter: Letter | None,
    envelopes: Sequence[EventEnvelope],
    *,
    case: CaseOnFile,
) -> Letter:
    """Fold each event onto the letter and upsert its row after each (the first insert
    dates the draft; a signature keeps its signed content); the letter after them."""
    for envelope in envelopes:
        event = envelope.payload()
        letter = letter_model.apply(letter, event)
        await _save_letter(
            conn,
            letter,
            office=case.office,
            service=case.service,
            variant=case.variant,
            at=envelope.occurred_at,
            content=event.content if isinstance(event, LetterSigned) else None,
        )
    if letter is None:
        raise ValueError("no letter event to project")
    return letter


# ---- the rebuild: start over and read everything back ----------------------------------

_TABLES = ("letters", "dispositions", "eligibility", "checklists")


async def clear_for_rebuild(conn: asyncpg.Connection) -> None:
    """Lock the projections for the rebuild's transaction (commands, the consumer and
    readers wait) and empty them. `files` and `letter_counters` are not projections."""
    await conn.execute(
        """LOCK TABLE documents.checklists, documents.eligibility, documents.letters,
               documents.dispositions IN ACCESS EXCLUSIVE MODE"""
    )
    for table in _TABLES:
        await conn.execute(f"DELETE FROM documents.{table}")


# The rebuild reads the store this many events at a time.
REFOLD_BATCH = 10_000


async def events_to_refold(
    conn: asyncpg.Connection, *, batch: int = REFOLD_BATCH
) -> AsyncIterator[list[EventEnvelope]]:
    """Every event the projections are made of, in the order they were recorded, in
    batches (a server-side cursor: inside the caller's transaction)."""
    cursor = await conn.cursor(
        f"""SELECT {_COLUMNS} FROM eventstore.events
            WHERE event_type = ANY($1::text[])
               OR stream_id LIKE 'checklist-%'
               OR stream_id LIKE 'letter-%'
            ORDER BY global_position""",
        INBOUND,
    )
    while rows := await cursor.fetch(batch):
        yield await open_envelopes(conn, [envelope_from_row(row) for row in rows])


async def last_position(conn: asyncpg.Connection) -> int:
    """The store's highest global position (what a rebuild's progress counts up to)."""
    return int(
        await conn.fetchval("SELECT coalesce(max(global_position), 0) FROM eventstore.events")
    )


async def checklist_opened(conn: asyncpg.Connection, case_id: Any) -> Checklist | None:
    """The checklist as opened (nothing received), or None for an unknown case."""
    row = await conn.fetchrow("SELECT * FROM documents.checklists WHERE case_id = $1", case_id)
    return checklist_definition(row) if row is not None else None


async def case_on_file(conn: asyncpg.Connection, case_id: Any) -> CaseOnFile | None:
    row = await conn.fetchrow("SELECT * FROM documents.checklists WHERE case_id = $1", case_id)
    return case_from_row(row) if row is not None else None


async def count_checklists(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM documents.checklists"))
