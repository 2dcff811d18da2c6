"""Intake's own tables: inbound messages, ticket counters, registrations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg


@dataclass(frozen=True)
class Registration:
    case_id: UUID
    ticket_number: str
    office: str


async def record_inbound(
    conn: asyncpg.Connection,
    *,
    inbound_id: UUID,
    received_at: datetime,
    source: str,
    content_type: str | None,
    headers: dict[str, str],
    body: bytes,
    body_truncated: bool,
    entered_by: str | None,
    entered_by_office: str | None,
    correlation_id: UUID,
    status: str = "received",
    reason: str | None = None,
    message: str | None = None,
    details: Any = None,
    case_id: UUID | None = None,
    channel: str | None = None,
    office: str | None = None,
    external_id: str | None = None,
    parsed: dict[str, Any] | None = None,
    anonymous: bool = False,
    confidential: bool = False,
) -> None:
    """Keep a message as received, with its decision when it is already made.

    Adapter messages are kept `queued` with what the adapter read (`parsed`) until
    intake's consumer decides them."""
    await conn.execute(
        """INSERT INTO intake.inbound_messages (id, received_at, source, content_type, headers,
               body, body_truncated, entered_by, entered_by_office, correlation_id,
               status, reason, reason_message, reason_details, case_id, channel, office,
               external_id, parsed, anonymous, confidential, decided_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                   $17, $18, $19, $20, $21,
                   CASE WHEN $11 IN ('received', 'queued') THEN NULL
                        ELSE clock_timestamp() END)""",
        inbound_id,
        received_at,
        source,
        content_type,
        headers,
        body,
        body_truncated,
        entered_by,
        entered_by_office,
        correlation_id,
        status,
        reason,
        message,
        details,
        case_id,
        channel,
        office,
        external_id,
        parsed,
        anonymous,
        confidential,
    )


async def mark_inbound(
    conn: asyncpg.Connection,
    inbound_id: UUID,
    *,
    status: str,
    reason: str | None = None,
    message: str | None = None,
    details: Any = None,
    case_id: UUID | None = None,
    channel: str | None = None,
    office: str | None = None,
    external_id: str | None = None,
) -> None:
    """Record the decision on a message; a claim given as None keeps what is there."""
    await conn.execute(
        """UPDATE intake.inbound_messages
           SET status = $2, reason = $3, reason_message = $4, reason_details = $5,
               case_id = $6, channel = COALESCE($7, channel), office = COALESCE($8, office),
               external_id = COALESCE($9, external_id), decided_at = clock_timestamp()
           WHERE id = $1""",
        inbound_id,
        status,
        reason,
        message,
        details,
        case_id,
        channel,
        office,
        external_id,
    )


async def lock_external_id(conn: asyncpg.Connection, channel: str, external_id: str) -> None:
    """Serialise registrations of one (channel, external id) until this transaction ends.

    Two redeliveries arriving together: the second waits here, then finds the first's case.
    """
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        f"intake:external:{channel}:{external_id}",
    )


async def find_by_external_id(
    conn: asyncpg.Connection, channel: str, external_id: str
) -> Registration | None:
    row = await conn.fetchrow(
        """SELECT case_id, ticket_number, office FROM intake.registrations
           WHERE channel = $1 AND external_id = $2""",
        channel,
        external_id,
    )
    if row is None:
        return None
    return Registration(row["case_id"], row["ticket_number"], row["office"])


async def add_registration(
    conn: asyncpg.Connection,
    *,
    case_id: UUID,
    ticket_number: str,
    office: str,
    service: str,
    variant: str | None,
    channel: str,
    external_id: str | None,
    inbound_id: UUID,
    received_at: datetime,
    citizen_id: UUID | None = None,
    nik: str | None = None,
    phone: str | None = None,
) -> None:
    await conn.execute(
        """INSERT INTO intake.registrations (case_id, ticket_number, office, service, variant,
               channel, external_id, inbound_id, received_at, citizen_id, nik, phone)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)""",
        case_id,
        ticket_number,
        office,
        service,
        variant,
        channel,
        external_id,
        inbound_id,
        received_at,
        citizen_id,
        nik,
        phone,
    )


# ---- channel adapters ------------------------------------------------------------------


async def add_attachment(
    conn: asyncpg.Connection,
    *,
    attachment_id: UUID,
    inbound_id: UUID,
    file_name: str,
    content_type: str,
    content: bytes,
    sha256: str,
) -> None:
    await conn.execute(
        """INSERT INTO intake.inbound_attachments
               (id, inbound_id, file_name, content_type, size_bytes, sha256, content)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        attachment_id,
        inbound_id,
        file_name[:255],
        content_type[:255],
        len(content),
        sha256,
        content,
    )


async def case_by_ticket(conn: asyncpg.Connection, ticket: str) -> Registration | None:
    row = await conn.fetchrow(
        "SELECT case_id, ticket_number, office FROM intake.registrations WHERE ticket_number = $1",
        ticket,
    )
    return Registration(row["case_id"], row["ticket_number"], row["office"]) if row else None


async def case_by_thread(conn: asyncpg.Connection, refs: tuple[str, ...]) -> Registration | None:
    row = await conn.fetchrow(
        """SELECT r.case_id, r.ticket_number, r.office
           FROM intake.thread_refs t JOIN intake.registrations r USING (case_id)
           WHERE t.ref = ANY($1::text[]) LIMIT 1""",
        list(refs),
    )
    return Registration(row["case_id"], row["ticket_number"], row["office"]) if row else None


async def add_thread_ref(conn: asyncpg.Connection, ref: str, case_id: UUID) -> None:
    await conn.execute(
        "INSERT INTO intake.thread_refs (ref, case_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        ref,
        case_id,
    )


async def queue_for_triage(
    conn: asyncpg.Connection,
    *,
    inbound_id: UUID,
    office: str | None,
    channel: str,
    reason: str,
    summary: str,
) -> None:
    await conn.execute(
        """INSERT INTO intake.triage (inbound_id, office, channel, reason, summary)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (inbound_id) DO NOTHING""",
        inbound_id,
        office,
        channel,
        reason,
        summary,
    )


# ---- identities and duplicates -----------------------------------------------------------


@dataclass(frozen=True)
class OpenCase:
    case_id: UUID
    reason: str


@dataclass(frozen=True)
class Identified:
    citizen_id: UUID | None  # None: nothing identifies the person (or anonymous)
    duplicate: OpenCase | None
    ticket: int


async def identify_and_number(
    conn: asyncpg.Connection,
    identifiers: list[tuple[str, str]],
    new_id: UUID,
    *,
    office: str,
    service: str,
    nik: str | None,
    phone: str | None,
    since: datetime,
    prefix: str,
    year: int,
) -> Identified:
    """In one statement, for a registration about to be made:

    - the citizen: the one any identifier (NIK, phone, e-mail, handle) already belongs to
      (the earliest), else a new one; identifiers not seen before are attached to it, so
      the next message through another channel finds the same person;
    - the earliest open case of this office that looks like the same request: same NIK
      and service, same phone, or the same citizen and service;
    - the ticket number (a sequence per prefix and year: no lock, see migration 003).
    """
    row = await conn.fetchrow(
        """WITH wanted AS (
               SELECT * FROM unnest($1::text[], $2::text[]) AS w(kind, value)),
           found AS (
               SELECT i.citizen_id FROM intake.citizen_identifiers i
               JOIN wanted USING (kind, value) ORDER BY i.first_seen LIMIT 1),
           chosen AS (
               SELECT coalesce((SELECT citizen_id FROM found), $3::uuid) AS id
               WHERE cardinality($1::text[]) > 0),
           new_citizen AS (
               INSERT INTO intake.citizens (id)
               SELECT id FROM chosen WHERE NOT EXISTS (SELECT 1 FROM found)),
           attached AS (
               INSERT INTO intake.citizen_identifiers (kind, value, citizen_id)
               SELECT wanted.kind, wanted.value, chosen.id FROM wanted, chosen
               ON CONFLICT (kind, value) DO NOTHING),
           duplicate AS (
               SELECT r.case_id,
                      CASE WHEN r.nik = $6 AND r.service = $5 THEN 'same_nik_and_service'
                           WHEN r.phone = $7 THEN 'same_phone'
                           ELSE 'same_citizen_and_service' END AS reason
               FROM intake.registrations r
               WHERE r.office = $4 AND r.closed_at IS NULL AND r.received_at >= $8
                 AND ((r.nik = $6 AND r.service = $5) OR r.phone = $7
                      OR (r.citizen_id = (SELECT id FROM chosen) AND r.service = $5))
               ORDER BY r.received_at LIMIT 1)
           SELECT (SELECT id FROM chosen) AS citizen_id,
                  (SELECT case_id FROM duplicate) AS duplicate_of,
                  (SELECT reason FROM duplicate) AS reason,
                  intake.next_ticket($9, $10) AS ticket""",
        [k for k, _ in identifiers],
        [v for _, v in identifiers],
        new_id,
        office,
        service,
        nik,
        phone,
        since,
        prefix,
        year,
    )
    duplicate = OpenCase(row["duplicate_of"], row["reason"]) if row["duplicate_of"] else None
    return Identified(row["citizen_id"], duplicate, int(row["ticket"]))


async def add_duplicate(
    conn: asyncpg.Connection, *, case_id: UUID, duplicate_of: UUID, office: str, reason: str
) -> None:
    await conn.execute(
        """INSERT INTO intake.duplicates (case_id, duplicate_of, office, reason)
           VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING""",
        case_id,
        duplicate_of,
        office,
        reason,
    )


async def link_visit(
    conn: asyncpg.Connection, visit_id: UUID, case_id: UUID, office: str
) -> asyncpg.Record | None:
    """A walk-in request registered for a visit: the visit (and its ID card) get the case.

    Returns the card's kind and holder when the visit left an ID card that is still held
    at reception (it now belongs to the case), else None.
    """
    row: asyncpg.Record | None = await conn.fetchrow(
        """UPDATE intake.visits SET case_id = $2 WHERE id = $1 AND office = $3
           RETURNING id_card_kind, id_card_held_by, id_card_left_at, id_card_returned_at""",
        visit_id,
        case_id,
        office,
    )
    if row is None or row["id_card_left_at"] is None or row["id_card_returned_at"] is not None:
        return None
    return row
