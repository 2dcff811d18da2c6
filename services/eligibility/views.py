"""Read side of eligibility, for the HTTP API: a case's latest check, the registry's
snapshots and the rows an import refused, a person's listing history."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from services.eligibility.adapters import registry


async def latest_check(pool: asyncpg.Pool, case_id: UUID) -> dict[str, Any] | None:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            """SELECT case_id, office, service, dtks_status, dtks_reason, domicile_status,
                      events, caused_by, checked_at,
                      count(*) OVER () AS checks
               FROM eligibility.checks WHERE case_id = $1
               ORDER BY id DESC LIMIT 1""",
            case_id,
        )
    if row is None:
        return None
    events: list[dict[str, Any]] = row["events"]
    by_type = {e["event_type"]: e["data"] for e in events}
    dtks = by_type.get("DtksVerified") or by_type.get("DtksNotFound")
    domicile = by_type.get("DomicileVerified") or by_type.get("DomicileRefused")
    return {
        "case_id": str(row["case_id"]),
        "office": row["office"],
        "service": row["service"],
        "checked_at": row["checked_at"].isoformat(),
        "dtks": {"status": row["dtks_status"], "reason": row["dtks_reason"], "result": dtks},
        "domicile": {"status": row["domicile_status"], "result": domicile},
        "events": [{"event_type": e["event_type"], "event_id": e["event_id"]} for e in events],
        "caused_by": str(row["caused_by"]),
        "checks": row["checks"],
    }


async def snapshots(
    pool: asyncpg.Pool, *, limit: int = 50, before_id: int | None = None
) -> list[dict[str, Any]]:
    """Loaded snapshots, newest first (those older than `before_id`), as JSON."""
    async with pool.acquire() as conn:
        rows = await registry.snapshots(conn, limit, before_id=before_id)
    return [
        {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in r.items()} for r in rows
    ]


async def snapshot_rejects(
    db: asyncpg.Pool | asyncpg.Connection,
    snapshot_id: int,
    *,
    limit: int = 1000,
    after_line: int = 0,
) -> list[dict[str, Any]]:
    """Rows an import refused, by line number."""
    rows = await db.fetch(
        """SELECT line_no, reason, detail, raw FROM eligibility.registry_rejects
           WHERE snapshot_id = $1 AND line_no > $2 ORDER BY line_no LIMIT $3""",
        snapshot_id,
        after_line,
        limit,
    )
    return [dict(r.items()) for r in rows]


async def snapshot_office(pool: asyncpg.Pool, snapshot_id: int) -> tuple[bool, str | None]:
    """(whether the snapshot exists, the office whose registry administrator loaded it)."""
    async with pool.acquire() as conn:
        return await registry.snapshot_office(conn, snapshot_id)


async def listing_history(pool: asyncpg.Pool, nik: str) -> list[dict[str, Any]]:
    """The person in every snapshot ever made current, oldest first, as JSON."""
    async with pool.acquire() as conn:
        history = await registry.listing_history(conn, nik)
    return [h.model_dump(mode="json") for h in history]


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}
