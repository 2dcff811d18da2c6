"""SQL of the erasure (crypto-shredding): which cases a person has and where they are,
and what casework's projections copied of the person, blanked."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import asyncpg

from services.casework.domain.timeline import TimelineEntry


async def case_places(conn: asyncpg.Connection, case_ids: Sequence[UUID]) -> dict[UUID, str]:
    """Office of each of these cases casework knows."""
    rows = await conn.fetch(
        "SELECT case_id, office FROM casework.cases WHERE case_id = ANY($1::uuid[])",
        list(case_ids),
    )
    return {r["case_id"]: r["office"] for r in rows}


async def blank_case(
    conn: asyncpg.Connection, case_id: UUID, entries: Sequence[TimelineEntry]
) -> None:
    """The case row without the applicant's name, its timeline rows as the erased events
    now read, and its folded state refolded from them on its next event (statuses, dates
    and counts are untouched)."""
    await conn.execute(
        "UPDATE casework.cases SET applicant_name = NULL WHERE case_id = $1", case_id
    )
    await conn.executemany(
        "UPDATE casework.case_timeline SET summary = $2, data = $3 WHERE event_id = $1",
        [(e.event_id, e.summary, e.data) for e in entries],
    )
    await conn.execute(
        "UPDATE casework.case_states SET fold_version = -1 WHERE case_id = $1", case_id
    )
