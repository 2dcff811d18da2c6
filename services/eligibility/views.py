"""Read side of eligibility: the latest check of a case."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg


async def latest_check(conn: asyncpg.Connection, case_id: UUID) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        """SELECT case_id, office, service, dtks_status, dtks_reason, domicile_status, events,
                  caused_by, checked_at,
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
