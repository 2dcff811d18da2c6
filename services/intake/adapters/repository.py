"""Intake's own tables: inbound messages, ticket counters, registrations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import orjson


@dataclass(frozen=True)
class Registration:
    case_id: UUID
    ticket_number: str
    office: str


_INSERT_INBOUND = """
    INSERT INTO intake.inbound_messages (id, received_at, source, content_type, headers,
        body, body_truncated, entered_by, entered_by_office, correlation_id,
        status, reason, reason_message, reason_details, case_id, channel, office,
        external_id, parsed, anonymous, confidential, decided_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
            $17, $18, $19, $20, $21,
            CASE WHEN $11 IN ('received', 'queued') THEN NULL ELSE clock_timestamp() END)"""


def _inbound_args(
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
) -> tuple[Any, ...]:
    return (
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


async def record_inbound(conn: asyncpg.Connection, **message: Any) -> None:
    """Keep a message as received, with its decision when it is already made (the
    keywords of `_inbound_args`).

    Adapter messages are kept `queued` with what the adapter read (`parsed`) until
    intake's consumer decides them."""
    await conn.execute(_INSERT_INBOUND, *_inbound_args(**message))


async def record_inbound_many(conn: asyncpg.Connection, messages: list[dict[str, Any]]) -> None:
    """`record_inbound` for a batch, pipelined in one round trip."""
    if not messages:
        return
    await conn.executemany(_INSERT_INBOUND, [_inbound_args(**m) for m in messages])


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


_INSERT_REGISTRATION = """
    INSERT INTO intake.registrations (case_id, ticket_number, office, service, variant,
        channel, external_id, inbound_id, received_at, citizen_id, nik, phone)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"""


def _registration_args(
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
) -> tuple[Any, ...]:
    return (
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


async def add_registration(conn: asyncpg.Connection, **registration: Any) -> None:
    await conn.execute(_INSERT_REGISTRATION, *_registration_args(**registration))


async def add_registrations(conn: asyncpg.Connection, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    await conn.executemany(_INSERT_REGISTRATION, [_registration_args(**r) for r in rows])


async def find_by_external_ids(
    conn: asyncpg.Connection, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], Registration]:
    """The cases already registered for these (channel, external id) pairs.

    First each pair is locked until the transaction ends: two deliveries of one message
    arriving together (alone or in batches) are serialised, and the second then finds
    the first one's case."""
    unique = sorted(set(keys))  # one order for every caller: no deadlock between batches
    channels, external_ids = [c for c, _ in unique], [e for _, e in unique]
    # Lock, then read in a later statement: a statement reads from the snapshot taken
    # when it began, so a case committed while it waited on the lock would be missed.
    await conn.execute(
        """SELECT pg_advisory_xact_lock(hashtextextended(
                  'intake:external:' || k.channel || ':' || k.external_id, 0))
           FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(channel, external_id, n)
           ORDER BY k.n""",
        channels,
        external_ids,
    )
    rows = await conn.fetch(
        """SELECT r.channel, r.external_id, r.case_id, r.ticket_number, r.office
           FROM unnest($1::text[], $2::text[]) AS k(channel, external_id)
           JOIN intake.registrations r USING (channel, external_id)""",
        channels,
        external_ids,
    )
    return {
        (r["channel"], r["external_id"]): Registration(
            r["case_id"], r["ticket_number"], r["office"]
        )
        for r in rows
    }


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


@dataclass(frozen=True)
class ToIdentify:
    """A registration about to be made, as `identify_and_number` (and `identify_many`) take it."""

    identifiers: list[tuple[str, str]]
    new_id: UUID
    office: str
    service: str
    nik: str | None
    phone: str | None
    since: datetime
    prefix: str
    year: int


async def identify_and_number(conn: asyncpg.Connection, t: ToIdentify) -> Identified:
    """In one statement, for a registration about to be made:

    - the citizen: the one any identifier (NIK, phone, e-mail, handle) already belongs to
      (the earliest), else a new one; identifiers not seen before are attached to it, so
      the next message through another channel finds the same person;
    - the earliest open case of this office that looks like the same request: same NIK
      and service, same phone, or the same citizen and service;
    - the ticket number (a sequence per prefix and year: no lock, see migration 003).
    """
    row = await conn.fetchrow(
        "SELECT * FROM intake.identify($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        [k for k, _ in t.identifiers],
        [v for _, v in t.identifiers],
        t.new_id,
        t.office,
        t.service,
        t.nik,
        t.phone,
        t.since,
        t.prefix,
        t.year,
    )
    return _identified(row)


async def identify_many(conn: asyncpg.Connection, batch: list[ToIdentify]) -> list[Identified]:
    """`identify_and_number` for each of a batch, in order, in one round trip. Each sees
    the citizens made for the ones before it; none sees the others' registrations (they
    are not written yet: the caller compares the batch's own requests)."""
    # Identifiers travel as a JSON list of [kind, value] per request: a request has any
    # number of them, and SQL arrays of arrays must be rectangular.
    rows = await conn.fetch(
        """SELECT b.n, r.* FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[],
               $5::text[], $6::text[], $7::timestamptz[], $8::text[], $9::int[])
               WITH ORDINALITY AS b(ids, new_id, office, service, nik, phone, since, prefix,
                   year, n)
           CROSS JOIN LATERAL intake.identify(
               ARRAY(SELECT i ->> 0 FROM jsonb_array_elements(b.ids::jsonb) i),
               ARRAY(SELECT i ->> 1 FROM jsonb_array_elements(b.ids::jsonb) i),
               b.new_id, b.office, b.service, b.nik, b.phone, b.since, b.prefix, b.year) r
           ORDER BY b.n""",
        [orjson.dumps(t.identifiers).decode() for t in batch],
        [t.new_id for t in batch],
        [t.office for t in batch],
        [t.service for t in batch],
        [t.nik for t in batch],
        [t.phone for t in batch],
        [t.since for t in batch],
        [t.prefix for t in batch],
        [t.year for t in batch],
    )
    return [_identified(r) for r in rows]


def _identified(row: asyncpg.Record) -> Identified:
    duplicate = OpenCase(row["duplicate_of"], row["reason"]) if row["duplicate_of"] else None
    return Identified(row["citizen_id"], duplicate, int(row["ticket"]))


_INSERT_DUPLICATE = """
    INSERT INTO intake.duplicates (case_id, duplicate_of, office, reason)
    VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"""


async def add_duplicate(
    conn: asyncpg.Connection, *, case_id: UUID, duplicate_of: UUID, office: str, reason: str
) -> None:
    await conn.execute(_INSERT_DUPLICATE, case_id, duplicate_of, office, reason)


async def add_duplicates(conn: asyncpg.Connection, rows: list[dict[str, Any]]) -> None:
    await conn.executemany(
        _INSERT_DUPLICATE,
        [(r["case_id"], r["duplicate_of"], r["office"], r["reason"]) for r in rows],
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
