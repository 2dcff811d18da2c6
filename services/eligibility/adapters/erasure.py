"""SQL of the erasure (crypto-shredding) in eligibility: the events a check kept (with the
NIK and KK it verified) as the erased person's events now read; statuses stay."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from shared.eventstore.subjects import erased_copy


async def forget_case_person(conn: asyncpg.Connection, case_id: UUID) -> None:
    rows = await conn.fetch(
        "SELECT id, events FROM eligibility.checks WHERE case_id = $1 FOR UPDATE", case_id
    )
    for row in rows:
        events = [
            {**e, "data": erased_copy(str(e.get("event_type")), e.get("data") or {})}
            for e in row["events"] or []
        ]
        await conn.execute(
            "UPDATE eligibility.checks SET events = $2 WHERE id = $1", row["id"], events
        )
