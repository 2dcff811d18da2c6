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
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.documents.adapters import scans
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
from shared.contracts.vocab import Channel
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


_CHECKLIST_OPENED = (
    "case_id",
    "office",
    "service",
    "variant",
    "channel",
    "ticket_number",
    "requires_dtks",
    "required",
    "declared",
    "given",
    "registered_at",
    "promise",
)


def _opened_values(opened: ChecklistOpened) -> tuple[Any, ...]:
    """The checklist's columns as opened (`_CHECKLIST_OPENED` order)."""
    return (
        opened.case_id,
        opened.office,
        opened.service,
        opened.variant,
        opened.channel,
        opened.ticket_number,
        opened.requires_dtks,
        [r.to_dict() for r in opened.required],
        list(opened.declared),
        list(opened.given),
        opened.registered_at,
        opened.promise.model_dump(mode="json") if opened.promise else None,
    )


def _inserted_values(opened: ChecklistOpened) -> tuple[Any, ...]:
    """`_INSERT_CHECKLIST`'s values: the columns as opened and `complete`, since the
    checklist as opened may be complete already (the request itself met it, `given`)."""
    return (*_opened_values(opened), opened.checklist().complete)


_INSERT_CHECKLIST = """INSERT INTO documents.checklists (case_id, office, service, variant,
        channel, ticket_number, requires_dtks, required, declared, given, registered_at,
        promise, complete)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
    ON CONFLICT (case_id) DO NOTHING"""


async def insert_checklist(conn: asyncpg.Connection, opened: ChecklistOpened) -> None:
    await conn.execute(_INSERT_CHECKLIST, *_inserted_values(opened))


def received_key(document_type: str, form: str) -> str:
    return f"{document_type}:{form}"


@dataclass(frozen=True)
class ChecklistProgress:
    """What a checklist's stream changes on its row (the `_CHECKLIST_PROGRESS` columns)."""

    received: dict[str, Any]
    complete: bool
    version: int
    completed_at: datetime | None
    missing_noted: list[str] | None
    missing_noted_at: datetime | None


_CHECKLIST_PROGRESS = (
    "received",
    "complete",
    "version",
    "completed_at",
    "missing_noted",
    "missing_noted_at",
)


def _progress_values(progress: ChecklistProgress) -> tuple[Any, ...]:
    """The `_CHECKLIST_PROGRESS` columns' values (as they are: COPY encodes them at once;
    `dataclasses.astuple` deep-copied every `received` map, a tenth of a rebuild)."""
    return tuple(getattr(progress, column) for column in _CHECKLIST_PROGRESS)


def checklist_progress(
    old_received: dict[str, Any] | None,
    checklist: Checklist,
    envelopes: Sequence[EventEnvelope],
) -> ChecklistProgress:
    """Received documents are keyed "<type>:<form>": {type, form, checked_by, at, file}.
    `old_received` is the row's before `envelopes` (None for a new row)."""
    at = {
        received_key(e.data["document_type"], e.data.get("form", "copy")): e.occurred_at
        for e in envelopes
        if e.event_type == "DocumentReceived"
    }
    received = dict(old_received or {})
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
    return ChecklistProgress(
        received=received,
        complete=checklist.complete,
        version=checklist.version,
        completed_at=next(
            (e.occurred_at for e in envelopes if e.event_type == "RequirementsCompleted"), None
        ),
        missing_noted=(
            list(checklist.last_missing_noted) if checklist.last_missing_noted is not None else None
        ),
        missing_noted_at=next(
            (e.occurred_at for e in reversed(envelopes) if e.event_type == "DocumentsMissingNoted"),
            None,
        ),
    )


async def _update_checklist(
    conn: asyncpg.Connection, checklist: Checklist, envelopes: Sequence[EventEnvelope]
) -> None:
    old = await conn.fetchval(
        "SELECT received FROM documents.checklists WHERE case_id = $1", checklist.case_id
    )
    done = checklist_progress(old, checklist, envelopes)
    await conn.execute(
        """UPDATE documents.checklists
           SET received = $2, complete = $3, version = $4,
               completed_at = coalesce(completed_at, $5),
               missing_noted = $6, missing_noted_at = coalesce($7, missing_noted_at),
               updated_at = clock_timestamp()
           WHERE case_id = $1""",
        checklist.case_id,
        done.received,
        done.complete,
        done.version,
        done.completed_at,
        done.missing_noted,
        done.missing_noted_at,
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


_DISPOSITION = (
    "case_id",
    "assignee",
    "role",
    "kind",
    "assigned_by",
    "note",
    "global_position",
    "assigned_at",
)


def _drafter_values(named: DrafterNamed) -> tuple[Any, ...]:
    return (
        named.case_id,
        named.staff_id,
        named.role.value,
        named.kind,
        named.named_by,
        named.instruction,
        named.global_position,
        named.at,
    )


_UPSERT_DRAFTER = """INSERT INTO documents.dispositions
        (case_id, assignee, role, kind, assigned_by, note, global_position, assigned_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT (case_id) DO UPDATE SET assignee = EXCLUDED.assignee,
        role = EXCLUDED.role, kind = EXCLUDED.kind,
        assigned_by = EXCLUDED.assigned_by, note = EXCLUDED.note,
        global_position = EXCLUDED.global_position,
        assigned_at = EXCLUDED.assigned_at
    WHERE documents.dispositions.global_position IS NULL
       OR EXCLUDED.global_position IS NULL
       OR documents.dispositions.global_position < EXCLUDED.global_position"""


async def record_drafter(conn: asyncpg.Connection, named: DrafterNamed) -> None:
    """Who drafts the case's letter: casework's latest disposition or delegation. A
    redelivered older one never overwrites a newer one (ordered by global position)."""
    await conn.execute(_UPSERT_DRAFTER, *_drafter_values(named))


_ELIGIBILITY = ("case_id", "status", "reason", "programmes", "source", "global_position")


def _dtks_values(outcome: DtksOutcome) -> tuple[Any, ...]:
    return (
        outcome.case_id,
        outcome.status,
        outcome.reason,
        list(outcome.programmes),
        outcome.source,
        outcome.global_position,
    )


_UPSERT_DTKS = """INSERT INTO documents.eligibility
        (case_id, status, reason, programmes, source, global_position)
    VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (case_id) DO UPDATE
    SET status = EXCLUDED.status, reason = EXCLUDED.reason,
        programmes = EXCLUDED.programmes, source = EXCLUDED.source,
        global_position = EXCLUDED.global_position, updated_at = clock_timestamp()
    WHERE documents.eligibility.global_position IS NULL
       OR EXCLUDED.global_position IS NULL
       OR documents.eligibility.global_position < EXCLUDED.global_position"""


async def record_dtks(conn: asyncpg.Connection, outcome: DtksOutcome) -> None:
    # A redelivered older result never overwrites a newer one.
    await conn.execute(_UPSERT_DTKS, *_dtks_values(outcome))


def _newer(old: int | None, new: int | None) -> bool:
    """The upserts' rule: a fact replaces the one kept unless it is older (by position)."""
    return old is None or new is None or old < new


def _reviews(letter_reviews: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {"step": r.step, "role": r.role.value, "actor": r.actor, "comment": r.comment}
        for r in letter_reviews
    ]


_LETTER = (
    "letter_id",
    "case_id",
    "office",
    "service",
    "variant",
    "product",
    "letter_type",
    "status",
    "current_step",
    "step_role",
    "chain",
    "approvals",
    "returns",
    "revision",
    "drafted_by",
    "subject",
    "body",
    "letter_number",
    "content_sha256",
    "content",
    "signed_by",
    "signed_at",
    "version",
    "drafted_at",
    "issued_at",
    "issued_channel",
    "issued_by",
)


def _letter_values(
    letter: Letter,
    *,
    case: CaseOnFile,
    at: datetime,
    content: dict[str, Any] | None,
) -> list[Any]:
    """The letter's columns (`_LETTER` order) from its folded state, `at` the time of the
    event it was folded to (the draft's time on the first insert)."""
    current_step = letter.step if letter.current_role is not None else None
    return [
        letter.letter_id,
        letter.case_id,
        case.office,
        case.service,
        case.variant,
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
    ]


_ONE_ACTIVE = "letters_one_active_per_case"


def _letter_conflict() -> Refused:
    return Refused.conflict("letter_already_drafted", "This case already has a letter in progress.")


async def _save_letter(
    conn: asyncpg.Connection,
    letter: Letter,
    *,
    case: CaseOnFile,
    at: datetime,
    content: dict[str, Any] | None = None,
) -> None:
    """Upsert the letter's row from its folded state."""
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
            *_letter_values(letter, case=case, at=at, content=content),
        )
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == _ONE_ACTIVE:
            raise _letter_conflict() from exc
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
            case=case,
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


class Refolded:
    """The projections rebuilt in memory, then written with COPY (the rebuild's
    `InboundFacts`: the consumer's very policies record into it, with the upserts' rules)."""

    def __init__(self) -> None:
        self.opened: dict[UUID, ChecklistOpened] = {}
        self.dtks: dict[UUID, DtksOutcome] = {}
        self.drafters: dict[UUID, DrafterNamed] = {}
        self.progress: dict[UUID, ChecklistProgress] = {}
        self.letters: list[list[Any]] = []

    async def open_checklist(self, opened: ChecklistOpened) -> None:
        self.opened.setdefault(opened.case_id, opened)  # ON CONFLICT DO NOTHING

    async def record_dtks(self, outcome: DtksOutcome) -> None:
        kept = self.dtks.get(outcome.case_id)
        if kept is None or _newer(kept.global_position, outcome.global_position):
            self.dtks[outcome.case_id] = outcome

    async def record_drafter(self, named: DrafterNamed) -> None:
        kept = self.drafters.get(named.case_id)
        if kept is None or _newer(kept.global_position, named.global_position):
            self.drafters[named.case_id] = named

    def case(self, case_id: UUID | None) -> CaseOnFile | None:
        opened = self.opened.get(case_id) if case_id is not None else None
        if opened is None:
            return None
        return CaseOnFile(
            case_id=opened.case_id,
            office=opened.office,
            service=opened.service,
            variant=opened.variant,
            channel=Channel(opened.channel) if opened.channel else None,
        )

    def fold_checklist(self, envelopes: Sequence[EventEnvelope]) -> bool:
        """Fold a `checklist-<case>` stream onto the checklist as opened (False: no such
        case was registered)."""
        opened = self.opened.get(envelopes[0].case_id) if envelopes[0].case_id else None
        if opened is None:
            return False
        after = checklist_model.fold(opened.checklist(), (e.payload() for e in envelopes))
        self.progress[opened.case_id] = checklist_progress(None, after, envelopes)
        return True

    def fold_letter(self, envelopes: Sequence[EventEnvelope]) -> bool:
        """Fold a `letter-<id>` stream to the row its upserts leave (False: its case was
        never registered)."""
        case = self.case(envelopes[0].case_id)
        if case is None:
            return False
        letter: Letter | None = None
        row: list[Any] | None = None
        for envelope in envelopes:
            event = envelope.payload()
            letter = letter_model.apply(letter, event)
            values = _letter_values(
                letter,
                case=case,
                at=envelope.occurred_at,
                content=event.content if isinstance(event, LetterSigned) else None,
            )
            if row is not None:
                for i in _LETTER_KEPT:
                    values[i] = row[i]
                for i in _LETTER_COALESCED:
                    values[i] = values[i] if values[i] is not None else row[i]
            row = values
        if row is not None:
            self.letters.append(row)
        return row is not None


# On a letter's upsert: columns the first insert sets for good, and those a later event
# only fills (`coalesce`).
_LETTER_KEPT = tuple(
    _LETTER.index(c)
    for c in (
        "letter_id",
        "case_id",
        "office",
        "service",
        "variant",
        "product",
        "letter_type",
        "drafted_at",
    )
)
_LETTER_COALESCED = tuple(_LETTER.index(c) for c in ("content", "signed_at"))


def _nothing_yet(opened: ChecklistOpened) -> ChecklistProgress:
    """The progress of a checklist whose stream is still empty: as `_INSERT_CHECKLIST`
    leaves it (complete already where the request itself met every requirement)."""
    return ChecklistProgress(
        received={},
        complete=opened.checklist().complete,
        version=0,
        completed_at=None,
        missing_noted=None,
        missing_noted_at=None,
    )


async def write_taken_in(conn: asyncpg.Connection, taken: Refolded) -> None:
    """The facts a run of events gave (`Refolded`'s inbound part, each case's newest),
    written onto the live tables with the statements `insert_checklist`, `record_dtks`
    and `record_drafter` run, one pipelined round each (the consumer's batch)."""
    for sql, rows in (
        (_INSERT_CHECKLIST, [_inserted_values(o) for o in taken.opened.values()]),
        (_UPSERT_DTKS, [_dtks_values(o) for o in taken.dtks.values()]),
        (_UPSERT_DRAFTER, [_drafter_values(n) for n in taken.drafters.values()]),
    ):
        if rows:
            await conn.executemany(sql, rows)


async def copy_refolded(conn: asyncpg.Connection, refolded: Refolded) -> None:
    """Write the rebuilt projections into their emptied tables with COPY."""
    await conn.copy_records_to_table(
        "checklists",
        schema_name="documents",
        columns=_CHECKLIST_OPENED + _CHECKLIST_PROGRESS,
        records=[
            _opened_values(opened)
            + _progress_values(refolded.progress.get(case_id) or _nothing_yet(opened))
            for case_id, opened in refolded.opened.items()
        ],
    )
    await conn.copy_records_to_table(
        "eligibility",
        schema_name="documents",
        columns=_ELIGIBILITY,
        records=[_dtks_values(o) for o in refolded.dtks.values()],
    )
    await conn.copy_records_to_table(
        "dispositions",
        schema_name="documents",
        columns=_DISPOSITION,
        records=[_drafter_values(n) for n in refolded.drafters.values()],
    )
    try:
        await conn.copy_records_to_table(
            "letters", schema_name="documents", columns=_LETTER, records=refolded.letters
        )
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == _ONE_ACTIVE:
            raise _letter_conflict() from exc
        raise
