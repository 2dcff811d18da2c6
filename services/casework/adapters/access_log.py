"""The record of who read which case file (UU 27/2022: reads of personal data are logged)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

import asyncpg

Purpose = Literal["view", "view_as_of"]


async def record_access(
    conn: asyncpg.Connection,
    *,
    staff_id: str,
    office: str,
    case_id: UUID,
    purpose: Purpose,
    correlation_id: UUID | None,
) -> None:
    """Written in the read's own transaction: no read of a case file goes unrecorded."""
    await conn.execute(
        """INSERT INTO casework.access_log (staff_id, office, case_id, purpose, correlation_id)
           VALUES ($1, $2, $3, $4, $5)""",
        staff_id,
        office,
        case_id,
        purpose,
        correlation_id,
    )
