"""Which office each case belongs to (`dashboard.case_offices`), learnt from the events
that name it, for the events that do not."""

from __future__ import annotations

from uuid import UUID

import asyncpg


async def remember(conn: asyncpg.Connection, case_id: UUID, office: str) -> None:
    await conn.execute(
        """INSERT INTO dashboard.case_offices (case_id, office) VALUES ($1, $2)
           ON CONFLICT (case_id) DO NOTHING""",
        case_id,
        office,
    )


async def office_of(conn: asyncpg.Connection, case_id: UUID) -> str | None:
    office: str | None = await conn.fetchval(
        "SELECT office FROM dashboard.case_offices WHERE case_id = $1", case_id
    )
    return office
