"""Is this process ready to take work? The checks behind `/health/ready` (and the database
gauges of `/metrics`).

* `database`: `SELECT 1` answers within `SLRT_READY_DB_TIMEOUT_SECONDS`.
* `consumer`: the Kafka consumer has joined its group (a service that consumes nothing
  passes).
* `outbox`: the service's unpublished events are fewer than `SLRT_READY_MAX_OUTBOX_BACKLOG`
  and the oldest is younger than `SLRT_READY_MAX_OUTBOX_AGE_SECONDS`.
* `consumer_lag`: the events in the store of the types this service handles that it has
  neither applied nor dead-lettered are fewer than `SLRT_READY_MAX_CONSUMER_LAG`, and the
  oldest is younger than `SLRT_READY_MAX_CONSUMER_LAG_SECONDS`. This is the lag that
  matters whatever the broker did: events committed, not yet in this service's views.

Every query runs under the same short timeout; a check that cannot be made fails, named.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from shared import metrics
from shared.settings import Settings


@dataclass
class Readiness:
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def failing(self) -> list[str]:
        return [name for name, c in self.checks.items() if not c["ok"]]

    @property
    def ready(self) -> bool:
        return not self.failing


async def outbox_backlog(conn: asyncpg.Connection, owner: str) -> tuple[int, float]:
    """(unpublished events, age in seconds of the oldest) of one service's outbox."""
    row = await conn.fetchrow(
        """SELECT count(*) AS backlog,
                  COALESCE(extract(epoch FROM clock_timestamp() - min(created_at)), 0)::float8
                      AS oldest
           FROM eventstore.outbox WHERE owner = $1 AND sent_at IS NULL""",
        owner,
    )
    assert row is not None
    return int(row["backlog"]), float(row["oldest"])


async def consumer_lag(
    conn: asyncpg.Connection, schema: str, event_types: Sequence[str]
) -> tuple[int, float]:
    """(events not yet applied, age in seconds of the oldest) for one consuming service:
    the store's events of its types after its catch-up checkpoint that are neither in its
    `processed_events` nor in its `dead_letters`."""
    row = await conn.fetchrow(
        f"""WITH cp AS (
                SELECT COALESCE(max(transaction_id), 0) AS tx, COALESCE(max(position), 0) AS pos
                FROM "{schema}".store_checkpoint)
            SELECT count(*) AS lag,
                   COALESCE(extract(epoch FROM clock_timestamp() - min(e.recorded_at)), 0)::float8
                       AS oldest
            FROM eventstore.events e, cp
            WHERE (e.transaction_id, e.global_position) > (cp.tx::text::xid8, cp.pos)
              AND e.event_type = ANY($1::text[])
              AND NOT EXISTS (SELECT 1 FROM "{schema}".processed_events p
                              WHERE p.event_id = e.event_id)
              AND NOT EXISTS (SELECT 1 FROM "{schema}".dead_letters d
                              WHERE d.event_id = e.event_id)""",
        list(event_types),
    )
    assert row is not None
    return int(row["lag"]), float(row["oldest"])


async def check(
    pool: asyncpg.Pool | None,
    *,
    service: str,
    settings: Settings,
    consumes: Sequence[str],
    consuming: bool,
) -> Readiness:
    """Run every check; set the database gauges of `/metrics` on the way."""
    result = Readiness()
    timeout = settings.slrt_ready_db_timeout_seconds
    if consumes:
        result.checks["consumer"] = {"ok": consuming, "joined": consuming}
    if pool is None:
        result.checks["database"] = {"ok": False, "error": "not started"}
        return result
    try:
        async with asyncio.timeout(timeout):
            async with pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
                result.checks["database"] = {"ok": True}
                backlog, age = await outbox_backlog(conn, service)
                lag = lag_age = None
                if consumes:
                    lag, lag_age = await consumer_lag(conn, service, consumes)
    except Exception as exc:  # a timeout, a refused connection, a missing table
        failed = "database" if "database" not in result.checks else "store_queries"
        result.checks[failed] = {"ok": False, "error": type(exc).__name__}
        return result
    metrics.OUTBOX_BACKLOG.labels(service).set(backlog)
    metrics.OUTBOX_AGE_SECONDS.labels(service).set(age)
    result.checks["outbox"] = {
        "ok": backlog <= settings.slrt_ready_max_outbox_backlog
        and age <= settings.slrt_ready_max_outbox_age_seconds,
        "backlog": backlog,
        "oldest_seconds": round(age, 3),
        "max_backlog": settings.slrt_ready_max_outbox_backlog,
        "max_oldest_seconds": settings.slrt_ready_max_outbox_age_seconds,
    }
    if lag is not None and lag_age is not None:
        metrics.CONSUMER_LAG_EVENTS.labels(service).set(lag)
        metrics.CONSUMER_LAG_SECONDS.labels(service).set(lag_age)
        result.checks["consumer_lag"] = {
            "ok": lag <= settings.slrt_ready_max_consumer_lag
            and lag_age <= settings.slrt_ready_max_consumer_lag_seconds,
            "events": lag,
            "oldest_seconds": round(lag_age, 3),
            "max_events": settings.slrt_ready_max_consumer_lag,
            "max_oldest_seconds": settings.slrt_ready_max_consumer_lag_seconds,
        }
    return result
