"""Writes to the service's own tables, always in the transaction of the events they reflect."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from services.documents.domain.checklist import Checklist, Requirement
from services.documents.domain.errors import DomainError
from services.documents.domain.files import CheckedFile
from services.documents.domain.letter import Letter
from shared.contracts.base import EventEnvelope
from shared.contracts.documents_events import CompletionPromise


async def insert_checklist(
    conn: asyncpg.Connection,
    *,
    case_id: Any,
    office: str,
    service: str,
    variant: str | None,
    channel: str | None,
    ticket_number: str,
    requires_dtks: bool,
    required: Sequence[Requirement],
    declared: Sequence[str],
    registered_at: datetime,
    promise: CompletionPromise | None = None,
) -> None:
    await conn.execute(
        """INSERT INTO documents.checklists (case_id, office, service, variant, channel,
               ticket_number, requires_dtks, required, declared, registered_at, promise)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           ON CONFLICT (case_id) DO NOTHING""",
        case_id,
        office,
        service,
        variant,
        channel,
        ticket_number,
        requires_dtks,
        [r.to_dict() for r in required],
        list(declared),
        registered_at,
        promise.model_dump(mode="json") if promise else None,
    )


def received_key(document_type: str, form: str) -> str:
    return f"{document_type}:{form}"


async def update_checklist(
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
    await conn.execute(
        """INSERT INTO documents.files (file_id, case_id, document_type, form, content_type,
               size, sha256, filename, content, uploaded_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
        file_id,
        case_id,
        document_type,
        form,
        file.content_type,
        file.size,
        file.sha256,
        file.filename,
        file.content,
        uploaded_by,
    )


async def save_disposition(
    conn: asyncpg.Connection,
    *,
    case_id: Any,
    assignee: str,
    assigned_by: str,
    note: str,
    version: int,
    at: datetime,
) -> None:
    await conn.execute(
        """INSERT INTO documents.dispositions
               (case_id, assignee, assigned_by, note, version, assigned_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (case_id) DO UPDATE SET assignee = EXCLUDED.assignee,
               assigned_by = EXCLUDED.assigned_by, note = EXCLUDED.note,
               version = EXCLUDED.version, assigned_at = EXCLUDED.assigned_at""",
        case_id,
        assignee,
        assigned_by,
        note,
        version,
        at,
    )


async def record_dtks(
    conn: asyncpg.Connection,
    *,
    case_id: Any,
    status: str,
    reason: str | None,
    programmes: Sequence[str],
    source: str | None,
    global_position: int | None,
) -> None:
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
        case_id,
        status,
        reason,
        list(programmes),
        source,
        global_position,
    )


def _reviews(letter_reviews: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {"step": r.step, "role": r.role.value, "actor": r.actor, "comment": r.comment}
        for r in letter_reviews
    ]


async def save_letter(
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
            raise DomainError(
                "letter_already_drafted", "This case already has a letter in progress."
            ) from exc
        raise
