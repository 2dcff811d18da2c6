"""What the citizen sent, sealed at rest (shared/at_rest.py): the raw message's body,
headers and what its adapter read (`parsed`), the message and details of its decision (a
refusal's may quote what was sent), its attachments' bytes and its triage summary, each
with the data key of the message's subject.

The subject: the case's when the message is kept with its case (the staff API), else the
message's flow (its correlation id), which the event store gives the case registered from
it; a message routed to an existing case (a reply, a redelivery) is linked to that case's
person (`repository.mark_inbound`). Erasure of the case's person destroys the key.

Every reader opens what it read through `open_rows`, one key lookup for all its rows; a
value whose subject is erased opens to None and the row says `erased`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

import asyncpg

from shared.at_rest import (
    KeyBook,
    Sealer,
    open_bytes,
    open_json,
    seal_bytes,
    seal_json,
    sealer_for,
    sealer_of,
    sealers_for,
)
from shared.personal import ERASED_TEXT

BODY, HEADERS, PARSED = "inbound.body", "inbound.headers", "inbound.parsed"
REASON_MESSAGE, REASON_DETAILS = "inbound.reason_message", "inbound.reason_details"
SUMMARY, ATTACHMENT = "triage.summary", "attachment.content"
VISITOR = ("visitor_name", "visitor_phone", "visitor_nik", "purpose")  # intake.visits


async def sealers_of_messages(
    conn: asyncpg.Connection, messages: Sequence[Mapping[str, Any]]
) -> list[Sealer]:
    """The sealer of each message about to be kept (`record_inbound`'s keywords)."""
    return await sealers_for(conn, [(m.get("case_id"), m["correlation_id"]) for m in messages])


def seal_message(sealer: Sealer, message: Mapping[str, Any]) -> dict[str, Any]:
    """`message` (`record_inbound`'s keywords) with what the citizen sent sealed."""
    row_id: UUID = message["inbound_id"]
    out = dict(message)
    out["body"] = seal_bytes(sealer, message["body"], BODY, row_id)
    out["headers"] = seal_json(sealer, message.get("headers") or {}, HEADERS, row_id)
    out["parsed"] = seal_json(sealer, message.get("parsed"), PARSED, row_id)
    out["message"], out["details"] = seal_decision(
        sealer, row_id, message.get("message"), message.get("details")
    )
    return out


def seal_decision(
    sealer: Sealer, inbound_id: UUID, message: str | None, details: Any
) -> tuple[str | None, Any]:
    """A decision's `reason_message` and `reason_details` as stored (None stays None)."""
    sealed_message = seal_json(sealer, message, REASON_MESSAGE, inbound_id)
    return (
        None if sealed_message is None else str(sealed_message),
        seal_json(sealer, details, REASON_DETAILS, inbound_id),
    )


async def sealer_of_message(conn: asyncpg.Connection, inbound_id: UUID) -> Sealer:
    """What a kept message's attachments and summary are sealed with."""
    subject_id = await conn.fetchval(
        "SELECT subject_id FROM intake.inbound_messages WHERE id = $1", inbound_id
    )
    return await sealer_of(conn, subject_id)


async def seal_summary(conn: asyncpg.Connection, inbound_id: UUID, summary: str) -> str:
    sealer = await sealer_of_message(conn, inbound_id)
    return str(seal_json(sealer, summary, SUMMARY, inbound_id))


def seal_attachment(sealer: Sealer, content: bytes, attachment_id: UUID) -> bytes:
    return seal_bytes(sealer, content, ATTACHMENT, attachment_id)


async def open_rows(
    conn: asyncpg.Connection, rows: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The one way to read what the citizen sent: each row (with `inbound_id` and
    `subject_id`, and any of `body`, `headers`, `parsed`, `reason_message`,
    `reason_details`, `summary`, or `content` with `attachment_id`) as a dict with those
    columns opened, and `erased`: True when the message's subject is erased (the opened
    columns are then None)."""
    book = await KeyBook.of(conn, (r["subject_id"] for r in rows))
    out: list[dict[str, Any]] = []
    for r in rows:
        row = dict(r)
        subject: UUID | None = r["subject_id"]
        inbound_id: UUID = r["inbound_id"]
        row["erased"] = subject is not None and book.key(subject) is None
        if "body" in row:
            row["body"] = open_bytes(book, subject, r["body"], BODY, inbound_id)
        if "headers" in row:
            row["headers"] = open_json(book, subject, r["headers"], HEADERS, inbound_id)
        if "parsed" in row:
            row["parsed"] = open_json(book, subject, r["parsed"], PARSED, inbound_id)
        for column, label in (
            ("reason_message", REASON_MESSAGE),
            ("reason_details", REASON_DETAILS),
        ):
            if column in row:
                row[column] = open_json(book, subject, r[column], label, inbound_id)
        if "summary" in row:
            row["summary"] = open_json(book, subject, r["summary"], SUMMARY, inbound_id)
        if "content" in row:
            row["content"] = open_bytes(book, subject, r["content"], ATTACHMENT, r["attachment_id"])
        out.append(row)
    return out


async def open_row(conn: asyncpg.Connection, row: Mapping[str, Any]) -> dict[str, Any]:
    return (await open_rows(conn, [row]))[0]


async def seal_visitor(
    conn: asyncpg.Connection,
    visit_id: UUID,
    anchors: tuple[UUID | None, UUID],
    visitor: Mapping[str, Any],
) -> tuple[UUID | None, dict[str, Any]]:
    """The guest book's details of a new visit as stored (each column bound to the visit),
    with the subject they are sealed for: its events' (`anchors`: their case id, if the
    card was left against a case, and correlation id)."""
    sealer = await sealer_for(conn, *anchors)
    return sealer.subject_id, {
        column: seal_json(sealer, visitor.get(column), f"visit.{column}", visit_id)
        for column in VISITOR
    }


async def open_visits(
    conn: asyncpg.Connection, rows: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Rows of `intake.visits` (with `id` and `subject_id`) with the guest book's details
    opened; once the visitor is erased, the name and purpose read `[dihapus]`."""
    book = await KeyBook.of(conn, (r["subject_id"] for r in rows))
    out: list[dict[str, Any]] = []
    for r in rows:
        row = dict(r)
        subject: UUID | None = r["subject_id"]
        for column in VISITOR:
            row[column] = open_json(book, subject, r[column], f"visit.{column}", r["id"])
        if subject is not None and book.key(subject) is None:
            row["visitor_name"] = row["purpose"] = ERASED_TEXT
        out.append(row)
    return out
