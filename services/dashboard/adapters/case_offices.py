"""Which office each case belongs to (`dashboard.case_offices`), learnt from the events
that name it, for the events that do not."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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


async def remember_many(conn: asyncpg.Connection, offices: Mapping[UUID, str]) -> None:
    """`remember` for a run of events, in one statement."""
    if offices:
        await conn.execute(
            """INSERT INTO dashboard.case_offices (case_id, office)
               SELECT * FROM unnest($1::uuid[], $2::text[])
               ON CONFLICT (case_id) DO NOTHING""",
            list(offices),
            list(offices.values()),
        )


async def offices_of(conn: asyncpg.Connection, case_ids: Iterable[UUID]) -> dict[UUID, str]:
    """`office_of` for several cases, in one statement (the unknown ones are left out)."""
    wanted = list(set(case_ids))
    if not wanted:
        return {}
    rows = await conn.fetch(
        "SELECT case_id, office FROM dashboard.case_offices WHERE case_id = ANY($1::uuid[])",
        wanted,
    )
    return {r["case_id"]: r["office"] for r in rows}
