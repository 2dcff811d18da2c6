"""The staff inbox's tables: notices, case owners, letter chains (plain functions on the
consumer's connection)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from services.notifications.domain.staff_notices import StaffNotice
from shared.contracts.vocab import Role


async def keep_notice(
    conn: asyncpg.Connection, notice: StaffNotice, *, email_to: str | None, email_reason: str
) -> bool:
    """Keep a notice; False when it was kept before (a redelivered cause)."""
    kept = await conn.fetchval(
        """INSERT INTO notifications.staff_inbox (notice_id, office, staff_id, role, case_id,
               kind, text, email_status, email_reason, email_to, email_next_attempt_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                   CASE WHEN $8 = 'pending' THEN clock_timestamp() END)
           ON CONFLICT (notice_id) DO NOTHING RETURNING true""",
        notice.notice_id,
        notice.office,
        notice.staff_id,
        notice.role.value if notice.role else None,
        notice.case_id,
        notice.kind,
        notice.text,
        "pending" if email_to else "no_address",
        email_reason,
        email_to,
    )
    return bool(kept)


async def set_owner(conn: asyncpg.Connection, case_id: UUID, office: str, staff_id: str) -> None:
    await conn.execute(
        """INSERT INTO notifications.case_owners (case_id, office, staff_id) VALUES ($1, $2, $3)
           ON CONFLICT (case_id) DO UPDATE SET staff_id = EXCLUDED.staff_id""",
        case_id,
        office,
        staff_id,
    )


async def owner_of(conn: asyncpg.Connection, case_id: UUID) -> str | None:
    found = await conn.fetchval(
        "SELECT staff_id FROM notifications.case_owners WHERE case_id = $1", case_id
    )
    return str(found) if found is not None else None


async def keep_chain(
    conn: asyncpg.Connection,
    letter_id: UUID,
    case_id: UUID,
    chain: tuple[Role, ...],
    drafted_by: str,
) -> None:
    await conn.execute(
        """INSERT INTO notifications.letter_chains (letter_id, case_id, chain, drafted_by)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (letter_id) DO UPDATE SET chain = EXCLUDED.chain,
               drafted_by = EXCLUDED.drafted_by""",
        letter_id,
        case_id,
        [r.value for r in chain],
        drafted_by,
    )


async def chain_of(
    conn: asyncpg.Connection, letter_id: UUID
) -> tuple[tuple[Role, ...], str] | None:
    row = await conn.fetchrow(
        "SELECT chain, drafted_by FROM notifications.letter_chains WHERE letter_id = $1",
        letter_id,
    )
    if row is None:
        return None
    return tuple(Role(r) for r in row["chain"]), row["drafted_by"]


async def inbox(
    conn: asyncpg.Connection,
    office: str,
    staff_id: str,
    roles: list[str],
    *,
    unread: bool,
    limit: int = 200,
    after: tuple[datetime, UUID] | None = None,
) -> list[dict[str, Any]]:
    """Newest first; `after`: the (created_at, notice_id) of the previous page's last."""
    rows = await conn.fetch(
        """SELECT notice_id, case_id, kind, text, staff_id, role, email_status, email_reason,
                  created_at, read_at
           FROM notifications.staff_inbox
           WHERE office = $1 AND (staff_id = $2 OR role = ANY($3::text[]))
             AND (NOT $4 OR read_at IS NULL)
             AND ($6::timestamptz IS NULL OR created_at < $6
                  OR (created_at = $6 AND notice_id > $7))
           ORDER BY created_at DESC, notice_id LIMIT $5""",
        office,
        staff_id,
        roles,
        unread,
        limit,
        *(after or (None, None)),
    )
    return [dict(r) for r in rows]


async def mark_read(conn: asyncpg.Connection, notice_id: UUID, office: str) -> bool:
    done = await conn.fetchval(
        """UPDATE notifications.staff_inbox SET read_at = coalesce(read_at, clock_timestamp())
           WHERE notice_id = $1 AND office = $2 RETURNING true""",
        notice_id,
        office,
    )
    return bool(done)
