"""Read side: a case's contact and the messages sent (or kept) for it, and the log of
who read them."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

# The citizen's check code (shared.check_codes: 8 of A-Z without I and O, 2-9) is the
# citizen's alone: staff reading the first message see it masked.
_CHECK_CODE = re.compile(r"\b[A-HJ-NP-Z2-9]{8}\b")


def without_check_code(template: str, body: str) -> str:
    if template != "complaint_registered":
        return body
    return _CHECK_CODE.sub("********", body)


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
                  reason, attempts, task_kind, delivered_how, delivered_by, provider_status,
                  created_at, sent_at
           FROM notifications.messages WHERE case_id = $1
           ORDER BY created_at, notification_id""",
        case_id,
    )
    return [{**dict(r), "body": without_check_code(r["template"], r["body"])} for r in rows]


TASK_KINDS = ("call_back", "print", "undelivered", "not_configured")


async def open_tasks(
    conn: asyncpg.Connection,
    office: str,
    kind: str | None = None,
    *,
    limit: int = 500,
    after: tuple[datetime, UUID] | None = None,
) -> list[dict[str, Any]]:
    """What staff of an office must deliver by hand or look at: call-backs (telephone,
    walk-in), letters to print and post, messages that failed (with the provider's
    reason), and messages waiting for a channel that is not configured. Oldest first;
    `after`: the (created_at, notification_id) of the previous page's last task."""
    rows = await conn.fetch(
        """SELECT * FROM (
               SELECT m.notification_id, m.case_id, c.ticket_number, m.channel,
                      m.recipient, m.template, m.body, m.status, m.attempts, m.created_at,
                      CASE WHEN m.status = 'task' THEN m.task_kind
                           WHEN m.status = 'failed' THEN 'undelivered'
                           ELSE 'not_configured' END AS kind,
                      COALESCE(m.error, m.reason) AS reason
               FROM notifications.messages m JOIN notifications.contacts c USING (case_id)
               WHERE c.office = $1
                 AND (m.status IN ('task', 'failed')
                      OR (m.status = 'pending' AND m.reason = 'channel_not_configured'))
           ) t
           WHERE ($2::text IS NULL OR t.kind = $2)
             AND ($4::timestamptz IS NULL OR (t.created_at, t.notification_id) > ($4, $5))
           ORDER BY t.created_at, t.notification_id
           LIMIT $3""",
        office,
        kind,
        limit,
        *(after or (None, None)),
    )
    return [dict(r) for r in rows]


async def log_read(
    conn: asyncpg.Connection,
    *,
    staff_id: str,
    office: str,
    case_id: UUID | None,
    correlation_id: UUID,
    purpose: str = "view_notifications",
) -> None:
    """Every read of a case's messages, or of the task list, by staff is logged
    (`notifications.access_log`)."""
    await conn.execute(
        """INSERT INTO notifications.access_log
               (staff_id, office, case_id, purpose, correlation_id)
           VALUES ($1, $2, $3, $4, $5)""",
        staff_id,
        office,
        case_id,
        purpose,
        correlation_id,
    )
