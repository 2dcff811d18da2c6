"""Read side: a case's contact and the messages sent (or kept) for it, and the log of
who read them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg


async def case_contact(conn: asyncpg.Connection, case_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        """SELECT case_id, office, ticket_number, request_channel, channel, address, anonymous
           FROM notifications.contacts WHERE case_id = $1""",
        case_id,
    )
    return dict(row) if row else None


async def case_messages(conn: asyncpg.Connection, case_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT notification_id, channel, recipient_masked, template, body, status, error,
                  created_at, sent_at
           FROM notifications.messages WHERE case_id = $1
           ORDER BY created_at, notification_id""",
        case_id,
    )
    return [dict(r) for r in rows]


async def log_read(
    conn: asyncpg.Connection, *, staff_id: str, office: str, case_id: UUID, correlation_id: UUID
) -> None:
    """Every read of a case's messages by staff is logged (`notifications.access_log`)."""
    await conn.execute(
        """INSERT INTO notifications.access_log
               (staff_id, office, case_id, purpose, correlation_id)
           VALUES ($1, $2, $3, 'view_notifications', $4)""",
        staff_id,
        office,
        case_id,
        correlation_id,
    )
