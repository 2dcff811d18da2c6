"""The analysts' views over a large store (issue 17): `make bench` rows.

A database of its own gets the event store's and the analytics migrations, then `events`
synthetic events written by PostgreSQL itself (INSERT ... SELECT generate_series, in
chunks of a million, through the table's real indexes and triggers): 10 per case, cases
spread over four offices, six channels and the twelve months of 2026. Measured in the
same run:

* `count(*)` over eventstore.events (the baseline: one pass over the table);
* the monthly per-office aggregate over the per-case view (registered, closed, on time,
  by channel: what the report asks) for one office and one month;
* `slrt export`'s Parquet + CSV rate over the events view (events/s), against a raw
  `COPY eventstore.events TO` a file of the same rows.

Run alone: `python -m bench.analytics --events 1000000` (an embedded PostgreSQL of its own).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from shared.dbroles import set_statistics_target, with_database

CHUNK = 1_000_000
PER_CASE = 10
TYPES = (
    "ComplaintRegistered",
    "CaseFileOpened",
    "CaseAssigned",
    "LetterDrafted",
    "LetterReviewed",
    "LetterReviewed",
    "LetterSigned",
    "CaseResolved",
    "NotificationSent",
    "SurveyAnswered",
)
OFFICES = ("kupang", "lumajang", "mataram", "pariaman")
SERVICES = ("public-complaint", "kks-recommendation", "sembako-complaint", "dtks-certificate")
CHANNELS = ("walk_in", "whatsapp", "letter", "email", "sp4n_lapor", "website")

# One synthetic event per g in [lo, hi): case g / 10, its (g % 10)-th fact.
_INSERT = """
INSERT INTO eventstore.events (event_id, stream_id, stream_version, event_type,
    schema_version, data, metadata, case_id, office, correlation_id, actor, channel, owner,
    occurred_at)
SELECT md5('e' || g)::uuid, 'case-' || c, k + 1, ($3::text[])[k + 1], 1,
    CASE k
      WHEN 0 THEN jsonb_build_object('case_id', md5('c' || c)::uuid, 'office', o,
          'service', ($5::text[])[c % 4 + 1], 'channel', ch, 'received_at', t0,
          'applicant', jsonb_build_object('name', 'Warga Sintetis', 'nik',
              lpad((3500000000000000 + c)::text, 16, '0')),
          'citizen_id', md5('p' || (c % 300000))::uuid, 'anonymous', false)
      WHEN 2 THEN jsonb_build_object('role', 'officer', 'kind', 'assignment')
      WHEN 3 THEN jsonb_build_object('letter_id', md5('l' || c)::uuid)
      WHEN 4 THEN jsonb_build_object('letter_id', md5('l' || c)::uuid, 'step', 1,
          'role', 'sub_coordinator')
      WHEN 5 THEN jsonb_build_object('letter_id', md5('l' || c)::uuid, 'step', 2,
          'role', 'head_of_division')
      WHEN 6 THEN jsonb_build_object('letter_id', md5('l' || c)::uuid, 'role', 'secretary')
      WHEN 7 THEN jsonb_build_object('outcome', 'letter_issued')
      WHEN 9 THEN jsonb_build_object('survey_id', md5('s' || c)::uuid, 'office', o,
          'service', ($5::text[])[c % 4 + 1], 'scores', jsonb_build_object('u1', 3, 'u2', 4,
          'u3', 3, 'u4', 4, 'u5', 3, 'u6', 3, 'u7', 4, 'u8', 3, 'u9', 3))
      ELSE '{}'::jsonb
    END,
    '{}'::jsonb, md5('c' || c)::uuid, o, md5('c' || c)::uuid,
    CASE WHEN k = 0 THEN 'citizen' ELSE 'staff:bench' END, ch, 'bench',
    t0 + make_interval(hours => k * 7)
FROM generate_series($1::bigint, $2::bigint - 1) AS g,
     LATERAL (SELECT g / 10 AS c, (g % 10)::int AS k) ck,
     LATERAL (SELECT ($4::text[])[c % 4 + 1] AS o, ($6::text[])[c % 6 + 1] AS ch,
                     timestamptz '2026-01-01 01:00+00'
                         + make_interval(secs => (c * 7919 % 31536000)) AS t0) x
"""

MONTHLY = """
SELECT channel, count(*) AS registered,
       count(*) FILTER (WHERE closed_at IS NOT NULL) AS closed,
       count(*) FILTER (WHERE sla_met) AS on_time
FROM analytics.cases
WHERE office = $1 AND opened_at >= $2 AND opened_at < $3
GROUP BY channel
"""


def _row(name: str, value: float, unit: str, baseline: float | None) -> dict[str, Any]:
    ratio = (value / baseline) if baseline else None
    return {
        "name": name,
        "value": round(value, 2),
        "unit": unit,
        "baseline": round(baseline, 2) if baseline else None,
        "ratio": round(ratio, 3) if ratio is not None else None,
    }


async def _timed(conn: asyncpg.Connection, sql: str, *args: Any, runs: int = 3) -> float:
    """The best of `runs` (seconds): a warm cache, as an analyst asking twice has."""
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        await conn.fetch(sql, *args)
        best = min(best, time.perf_counter() - t0)
    return best


async def analytics_bench(
    server_dsn: str, events: int, *, workdir: Path | None = None
) -> list[dict[str, Any]]:
    """Rows for bench/results.json."""
    from analytics.export import export_view
    from analytics.setup import migrate_analytics
    from shared import eventstore
    from shared.db import connect, migrate

    db = f"bench_analytics_{os.getpid()}"
    admin = await asyncpg.connect(server_dsn)
    await admin.execute(f'DROP DATABASE IF EXISTS "{db}"')
    await admin.execute(f'CREATE DATABASE "{db}"')
    # Planner statistics as the deployed database gathers them (shared/dbroles.py).
    await set_statistics_target(admin, db)
    dsn = with_database(server_dsn, db)
    conn = await connect(dsn)
    tmp = tempfile.TemporaryDirectory(prefix="slrt-analytics-", dir=workdir)
    try:
        await migrate(conn, eventstore.store.SCHEMA, eventstore.store.MIGRATIONS)
        await migrate_analytics(conn)
        t0 = time.perf_counter()
        for lo in range(0, events, CHUNK):
            await conn.execute(
                _INSERT,
                lo,
                min(lo + CHUNK, events),
                list(TYPES),
                list(OFFICES),
                list(SERVICES),
                list(CHANNELS),
            )
        await conn.execute("VACUUM ANALYZE eventstore.events")
        size = await conn.fetchval(
            "SELECT pg_size_pretty(pg_total_relation_size('eventstore.events'))"
        )
        print(
            f"analytics: {events} synthetic events ({events // PER_CASE} cases, {size}) "
            f"written in {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
        count_s = await _timed(conn, "SELECT count(*) FROM eventstore.events")
        since = datetime(2026, 11, 1, tzinfo=UTC)
        until = datetime(2026, 12, 1, tzinfo=UTC)
        monthly_s = await _timed(conn, MONTHLY, "kupang", since, until)
        cases_in_month = await conn.fetchval(
            "SELECT count(*) FROM analytics.cases WHERE office = $1 "
            "AND opened_at >= $2 AND opened_at < $3",
            "kupang",
            since,
            until,
        )
        # Export: the events view to Parquet + CSV, against COPY of the raw table.
        raw_path = Path(tmp.name) / "events.copy"
        t0 = time.perf_counter()
        await conn.copy_from_table("events", schema_name="eventstore", output=str(raw_path))
        raw_s = time.perf_counter() - t0
        raw_path.unlink()
        t0 = time.perf_counter()
        done = await export_view(conn, "events", Path(tmp.name))
        export_s = time.perf_counter() - t0
        print(
            f"analytics: monthly aggregate over {cases_in_month} cases {1000 * monthly_s:.0f} ms"
            f" (count(*) {1000 * count_s:.0f} ms); export {done.rows} events {export_s:.0f} s"
            f" (COPY {raw_s:.0f} s)",
            flush=True,
        )
        return [
            _row(f"events_count_{events}", 1000 * count_s, "ms", None),
            _row(
                f"analytics_monthly_office_aggregate_{events}_events",
                1000 * monthly_s,
                "ms",
                1000 * count_s,
            ),
            _row("raw_copy_events_to_file", events / raw_s, "events/s", None),
            _row("analytics_export_parquet_csv", done.rows / export_s, "events/s", events / raw_s),
        ]
    finally:
        await conn.close()
        tmp.cleanup()
        await admin.execute(f'DROP DATABASE IF EXISTS "{db}"')
        await admin.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--events", type=int, default=1_000_000)
    args = p.parse_args()
    from shared.infra import start_infra

    with tempfile.TemporaryDirectory(prefix="slrt-bench-analytics-") as tmp:
        Path(tmp).chmod(0o755)
        infra = start_infra(Path(tmp), mode="embedded", ephemeral=True)
        try:
            for r in asyncio.run(analytics_bench(infra.database_url, args.events)):
                print(r)
        finally:
            infra.close()


if __name__ == "__main__":
    main()
