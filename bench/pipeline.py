"""Issue 15's bench rows: does the event pipeline keep pace with the front door?

* **Open-loop arrivals** (`open_loop_half_load_p50`/`_p99`): requests arrive on a fixed
  schedule (request i at t0 + i/rate, whether or not earlier ones have been answered: no
  closed loop that slows down with the system) at half of the end-to-end maximum this run
  measured, for `seconds`. Each is timed from its *scheduled* arrival (so a request that
  waits for a free connection counts that wait) until its case is visible in casework's
  case view (`casework.cases`, what casework's API reads; polled every 10 ms from one
  connection, so the measurement does not load casework's HTTP side). Where the time went
  is split by hop afterwards (`open_loop_stage_<hop>_p99`, see `STAGES`) from the times
  the database kept (the event written, the outbox row marked sent, casework's
  processed-event row), and the slowest arrivals are printed with when they came: a tail
  that comes at one moment is something periodic, not load.
* **Backlog drain** (`drain_<service>`): the complaints registered while the consuming
  services were paused (SIGSTOP) are a standing backlog on Kafka; once resumed, each
  service's `processed_events` rows for those events are sampled every 50 ms, and the rate
  is what it applied divided by the time from its first applied event to its last (the
  time to rejoin the consumer group before that is printed, not counted). Only the
  service's own table is read, so it measures any consumer implementation (one event per
  transaction, or batches). Baseline: a raw consume of the same topic
  (`raw_kafka_consume_intake_events`) in the same run.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg
from aiokafka import AIOKafkaConsumer

from bench.http import Connection
from bench.raw import percentile

CONSUMERS = ("eligibility", "documents", "casework", "notifications")
MAX_CONNECTIONS = 256  # open-loop: connections opened as arrivals need them, up to this
IDLE_SECONDS = 3.0  # an idle connection older than this is not reused (server keep-alive: 5 s)


async def max_position(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(
            await conn.fetchval("SELECT coalesce(max(global_position), 0) FROM eventstore.events")
        )
    finally:
        await conn.close()


@dataclass
class DrainWatch:
    """Samples, per consuming service, how many events of positions (after, upto] it has
    applied, from `start()` until `stop()`."""

    dsn: str
    after: int
    upto: int
    interval: float = 0.05
    samples: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def _run(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            present = {
                r["nspname"]
                for r in await conn.fetch(
                    "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE c.relname = 'processed_events'"
                )
            }
            services = [s for s in CONSUMERS if s in present]
            query = " UNION ALL ".join(
                f"SELECT '{s}', count(*) FROM \"{s}\".processed_events"
                " WHERE global_position > $1 AND global_position <= $2"
                for s in services
            )
            while not self._stop.is_set():
                rows = await conn.fetch(query, self.after, self.upto)
                now = time.perf_counter()
                for name, count in rows:
                    self.samples.setdefault(name, []).append((now, int(count)))
                await asyncio.sleep(self.interval)
        finally:
            await conn.close()

    def start(self) -> DrainWatch:
        self._task = asyncio.create_task(self._run(), name="drain-watch")
        return self

    async def stop(self, *, still: float = 2.0, timeout: float = 30.0) -> None:
        """Once no service's count has moved for `still` seconds (or after `timeout`)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline and not self._still(still):  # noqa: ASYNC110
            await asyncio.sleep(self.interval)  # (polled: the samples come from the database)
        self._stop.set()
        if self._task is not None:
            await self._task

    def _still(self, seconds: float) -> bool:
        now = time.perf_counter()
        for samples in self.samples.values():
            recent = [c for t, c in samples if t >= now - seconds]
            older = [c for t, c in samples if t < now - seconds]
            if not older or any(c != older[-1] for c in recent):
                return False
        return bool(self.samples)

    def rates(self, resumed_at: float) -> dict[str, dict[str, float]]:
        """Per service: events applied, events/s from first applied to last, and the wait
        from the resume to its first applied event."""
        out: dict[str, dict[str, float]] = {}
        for name, samples in self.samples.items():
            if not samples:
                continue
            start_count = samples[0][1]
            final = samples[-1][1]
            if final <= start_count:
                continue
            # The last sample before it moved, and the first that shows the final count.
            began = max(t for t, c in samples if c == start_count)
            ended = min(t for t, c in samples if c == final)
            out[name] = {
                "applied": final - start_count,
                "per_s": (final - start_count) / max(ended - began, self.interval),
                "lag_s": max(0.0, began - resumed_at),
            }
        return out


async def raw_topic_consume(bootstrap: str, topic: str, *, idle_ms: int = 1500) -> dict[str, float]:
    """Everything on `topic` read from the earliest offset by a plain aiokafka consumer (no
    group), until it has been idle for `idle_ms`: the broker's own pace for that topic."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    got = 0
    started = time.perf_counter()
    last = started
    try:
        while True:
            records = await consumer.getmany(timeout_ms=idle_ms, max_records=5000)
            if not records:
                break
            got += sum(len(v) for v in records.values())
            last = time.perf_counter()
    finally:
        await consumer.stop()
    return {"messages": got, "per_s": got / (last - started) if got else float("nan")}


async def open_loop(
    intake_url: str,
    dsn: str,
    *,
    rate: float,
    seconds: float,
    body: Callable[[int], dict[str, Any]],
    headers: dict[str, str],
    first: int,
    settle_seconds: float = 30.0,
) -> dict[str, Any]:
    """Requests at a fixed `rate` for `seconds`, each timed from its scheduled arrival to
    its case in casework's view. Those not visible `settle_seconds` after the last arrival
    are counted as missing (and left out of the percentiles)."""
    n = max(1, int(rate * seconds))
    idle: list[tuple[float, Connection]] = []  # (when it was given back, the connection)
    opened = 0
    available = asyncio.Condition()
    scheduled: dict[UUID, float] = {}
    answered_at: dict[UUID, float] = {}
    visible_at: dict[UUID, float] = {}
    # Answered, not yet visible: what the watcher asks about. A set kept as cases come and
    # go, not a scan of every arrival so far each 10 ms (the generator shares the cores).
    pending: set[UUID] = set()
    errors: list[str] = []
    done_sending = asyncio.Event()

    async def take() -> Connection:
        nonlocal opened
        async with available:
            while not idle and opened >= MAX_CONNECTIONS:
                await available.wait()
            while idle:
                since, conn = idle.pop()
                if time.perf_counter() - since < IDLE_SECONDS:
                    return conn
                # The server may have closed it (uvicorn: 5 s keep-alive): a new one.
                opened -= 1
                await conn.close()
            opened += 1
        return await Connection.open(intake_url)

    async def give_back(conn: Connection) -> None:
        async with available:
            idle.append((time.perf_counter(), conn))
            available.notify()

    async def arrive(i: int, at: float) -> None:
        conn = await take()
        try:
            r = await conn.post_json("/v1/requests", body(i), headers)
        except (OSError, asyncio.IncompleteReadError) as exc:
            errors.append(repr(exc))
            return
        await give_back(conn)
        if r.status != 201:
            errors.append(f"{r.status} {r.body[:200]!r}")
            return
        reply = r.json()
        assert isinstance(reply, dict)
        case_id = UUID(reply["case_id"])
        scheduled[case_id] = at
        answered_at[case_id] = time.perf_counter()
        pending.add(case_id)

    async def watcher() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            deadline: float | None = None
            while True:
                if pending:
                    rows = await conn.fetch(
                        "SELECT case_id FROM casework.cases WHERE case_id = ANY($1::uuid[])",
                        list(pending),
                    )
                    now = time.perf_counter()
                    for r in rows:
                        visible_at[r["case_id"]] = now
                        pending.discard(r["case_id"])
                if done_sending.is_set():
                    deadline = deadline or time.perf_counter() + settle_seconds
                    if not pending or time.perf_counter() > deadline:
                        return
                await asyncio.sleep(0.01)
        finally:
            await conn.close()

    # The generator's own pauses must not count: what the bench holds by now (earlier
    # runs' results) made its full collections take 70-180 ms each, and an arrival due in
    # one is sent late. Frozen, those objects are left out of the collector's walks.
    gc.collect()
    gc.freeze()
    try:
        watching = asyncio.create_task(watcher())
        t0 = time.perf_counter() + 0.1
        arrivals: list[asyncio.Task[None]] = []
        for k in range(n):
            at = t0 + k / rate
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            arrivals.append(asyncio.create_task(arrive(first + k, at)))
        await asyncio.gather(*arrivals)
        done_sending.set()
        await watching
    finally:
        gc.unfreeze()
    for _, conn in idle:
        with contextlib.suppress(OSError):
            await conn.close()
    latencies = [visible_at[c] - scheduled[c] for c in scheduled if c in visible_at]
    stages = await stage_times(dsn, scheduled, answered_at, visible_at)
    # The slowest arrivals, by when they came (seconds into the run): a tail that comes
    # in bursts at fixed intervals points at something periodic.
    slowest = sorted(
        ((visible_at[c] - scheduled[c], scheduled[c] - t0) for c in scheduled if c in visible_at),
        reverse=True,
    )[:15]
    return {
        "stages": stages,
        "slowest": [(round(at, 2), round(ms * 1000)) for ms, at in slowest],
        "t0": t0,  # perf_counter of the first scheduled arrival
        "offered": n,
        "rate": rate,
        "accepted": len(scheduled),
        "visible": len(latencies),
        "connections": opened,
        "errors": errors[:5],
        "error_count": len(errors),
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }


# Where a request's time to visible goes, hop by hop. Wall-clock times of the database
# (recorded_at, sent_at, processed_at: clock_timestamp() on the same machine) are set
# against the bench's perf_counter through one offset taken at the end.
STAGES = (
    ("queued_and_answered", "arrival to intake's 201"),
    ("recorded", "arrival to the event written (intake's transaction)"),
    ("relayed", "event written to the outbox marked sent (relay published it)"),
    ("applied", "published to casework's processed_events row (broker + consumer)"),
    ("seen", "casework applied to seen by the bench (commit + 10 ms poll)"),
)


async def stage_times(
    dsn: str,
    scheduled: dict[UUID, float],
    answered_at: dict[UUID, float],
    visible_at: dict[UUID, float],
) -> dict[str, dict[str, float]]:
    """Per stage (STAGES), p50/p99/max in ms over the cases that became visible."""
    cases = [c for c in scheduled if c in visible_at]
    if not cases:
        return {}
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT e.case_id, extract(epoch FROM e.recorded_at) AS recorded,"
            " extract(epoch FROM o.sent_at) AS sent,"
            " extract(epoch FROM p.processed_at) AS applied"
            " FROM eventstore.events e"
            " JOIN eventstore.outbox o USING (global_position)"
            " LEFT JOIN casework.processed_events p USING (event_id)"
            " WHERE e.case_id = ANY($1::uuid[]) AND e.event_type = 'ComplaintRegistered'",
            cases,
        )
    finally:
        await conn.close()
    offset = time.time() - time.perf_counter()  # wall = perf + offset
    spans: dict[str, list[float]] = {name: [] for name, _ in STAGES}
    for r in rows:
        c = r["case_id"]
        if r["sent"] is None or r["applied"] is None:
            continue
        arrival = scheduled[c] + offset
        recorded, sent, applied = float(r["recorded"]), float(r["sent"]), float(r["applied"])
        seen = visible_at[c] + offset
        spans["queued_and_answered"].append(answered_at[c] - scheduled[c])
        spans["recorded"].append(recorded - arrival)
        spans["relayed"].append(sent - recorded)
        spans["applied"].append(applied - sent)
        spans["seen"].append(seen - applied)
    return {
        name: {
            "p50_ms": percentile(v, 50) * 1000,
            "p99_ms": percentile(v, 99) * 1000,
            "max_ms": max(v) * 1000,
        }
        for name, v in spans.items()
        if v
    }
