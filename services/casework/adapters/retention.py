"""SQL of the retention sweep: the cases closed before their office's cut-off whose
person is not yet erased, and the stage and closing time of any cases."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

# The stages a case ends in: closed by staff, forwarded to the body that has the
# authority, merged into its duplicate. Each keeps the moment it got there.
ENDED_STAGES = ("closed", "forwarded", "merged")


async def expired_cases(
    conn: asyncpg.Connection, cutoffs: Mapping[str, datetime]
) -> list[asyncpg.Record]:
    """Cases ended before their office's cut-off, without an erasure yet, oldest first."""
    rows: list[asyncpg.Record] = await conn.fetch(
        """
        SELECT c.case_id, c.office, c.channel, c.stage_changed_at AS ended_at
        FROM casework.cases c
        JOIN unnest($1::text[], $2::timestamptz[]) AS r(office, cutoff) ON r.office = c.office
        WHERE c.stage = ANY($3::text[]) AND c.stage_changed_at < r.cutoff
          AND NOT EXISTS (
              SELECT 1 FROM eventstore.events e
              WHERE e.stream_id = 'erasure-' || c.case_id::text
          )
        ORDER BY c.stage_changed_at, c.case_id
        """,
        list(cutoffs),
        list(cutoffs.values()),
        list(ENDED_STAGES),
    )
    return rows


async def case_ends(
    conn: asyncpg.Connection, case_ids: Sequence[UUID]
) -> dict[UUID, asyncpg.Record]:
    """Office, stage and stage time of each of these cases casework knows."""
    rows = await conn.fetch(
        """SELECT case_id, office, stage, stage_changed_at FROM casework.cases
           WHERE case_id = ANY($1::uuid[])""",
        list(case_ids),
    )
    return {r["case_id"]: r for r in rows}
