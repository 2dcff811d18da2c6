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
) -> None:
    await conn.execute(
        """INSERT INTO intake.inbound_messages (id, received_at, source, content_type, headers,
               body, body_truncated, entered_by, entered_by_office, correlation_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
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
    await conn.execute(
        """UPDATE intake.inbound_messages
           SET status = $2, reason = $3, reason_message = $4, reason_details = $5,
               case_id = $6, channel = $7, office = $8, external_id = $9,
               decided_at = clock_timestamp()
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


async def next_ticket(conn: asyncpg.Connection, prefix: str, year: int) -> int:
    """The next number for (prefix, year); holds the counter row until commit."""
    n = await conn.fetchval(
        """INSERT INTO intake.ticket_counters AS c (prefix, year, n) VALUES ($1, $2, 1)
           ON CONFLICT (prefix, year) DO UPDATE SET n = c.n + 1
           RETURNING n""",
        prefix,
        year,
    )
    return int(n)


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
) -> None:
    await conn.execute(
        """INSERT INTO intake.registrations (case_id, ticket_number, office, service, variant,
               channel, external_id, inbound_id, received_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        case_id,
        ticket_number,
        office,
        service,
        variant,
        channel,
        external_id,
        inbound_id,
        received_at,
    )
