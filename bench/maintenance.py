"""When PostgreSQL's autovacuum worked during a bench phase, to set beside its slowest
requests.

On two cores an open loop keeps the machine 80-90% busy. An autovacuum round (a worker
that visits every table past its threshold, about once a minute under the bench's load:
vacuum, then `ANALYZE` of a sample of 300 rows per unit of the statistics target) takes
most of a core for seconds, and the requests that arrive meanwhile queue behind it: it
made the worst stall of most open loops measured (README, "Autovacuum"). The bench prints
the rounds beside each loop's slowest arrivals, so a reader sees which stalls they explain.

The watch reads `pg_stat_progress_vacuum` and `pg_stat_progress_analyze` every 100 ms from
one connection: it sees autovacuum's work and any manual VACUUM or ANALYZE alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

import asyncpg

SAMPLE_SECONDS = 0.1
GAP_SECONDS = 0.5  # samples closer than this belong to one span of work

PROGRESS = """
SELECT relid::regclass::text AS tbl, 'vacuum' AS what FROM pg_stat_progress_vacuum
UNION ALL
SELECT relid::regclass::text, 'analyze' FROM pg_stat_progress_analyze
"""


@dataclass
class Span:
    start: float  # perf_counter
    end: float
    tables: list[str] = field(default_factory=list)  # in the order they were worked on

    def covers(self, at: float, *, before: float = 0.0) -> bool:
        return self.start - before <= at <= self.end


@dataclass
class MaintenanceWatch:
    dsn: str
    spans: list[Span] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    def start(self) -> MaintenanceWatch:
        self._task = asyncio.create_task(self._watch())
        return self

    async def stop(self) -> list[Span]:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        return self.spans

    async def _watch(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            while True:
                rows = await conn.fetch(PROGRESS)
                now = time.perf_counter()
                if rows:
                    self._note(now, [f"{r['tbl']} ({r['what']})" for r in rows])
                await asyncio.sleep(SAMPLE_SECONDS)
        finally:
            with contextlib.suppress(Exception):
                await conn.close()

    def _note(self, now: float, tables: list[str]) -> None:
        if self.spans and now - self.spans[-1].end <= GAP_SECONDS:
            span = self.spans[-1]
            span.end = now
        else:
            span = Span(now, now)
            self.spans.append(span)
        span.tables += [t for t in tables if t not in span.tables]

    def seconds(self) -> float:
        """How long maintenance was seen working (a lone sample counts one interval)."""
        return sum(max(s.end - s.start, SAMPLE_SECONDS) for s in self.spans)


def describe(spans: list[Span], t0: float, *, most: int = 3) -> str:
    """`12.3-15.0 s: eventstore.events (analyze), …` per span, seconds after `t0`."""
    parts = []
    for s in spans:
        names = ", ".join(s.tables[:most]) + (
            f" +{len(s.tables) - most}" if len(s.tables) > most else ""
        )
        parts.append(f"{s.start - t0:.1f}-{s.end - t0:.1f} s: {names}")
    return "; ".join(parts) or "none"
