"""Backlog drain: events a service's consumer applies per second from a standing backlog.

Issue 15's `drain_<service>` rows measure it for each real service; this module is the
entry point they (and the batch consumer's crash test) use:

* `make_backlog(settings, pool, n)`: n `CaseAssigned` events appended to the store as
  casework appends them and published to Kafka by casework's outbox relay, so the topic
  holds a standing backlog (nothing consumes it yet).
* `skip_store_catch_up(pool, schema)`: moves a service's store checkpoint to the head, so
  its start-up catch-up takes nothing: whatever it applies comes from the broker.
* `drain_rate(runtime, count, target)`: starts a service runtime against the backlog and
  times it until `count()` reaches `target`; events per second.
* `probe_runtime(settings)`: a consuming service ("notifications" by its schema and group)
  whose one handler writes one row per `CaseAssigned` into `notifications.probe_effects`
  (no key: an event applied twice shows as two rows). `python -m bench.drain serve` runs it
  as a process of its own (the crash test kills it); `python -m bench.drain` measures it
  on the embedded stack (or DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS) and prints events/s.

A real service drains the same way: build its app (`services.<name>.bootstrap`), call
`skip_store_catch_up` for its schema, and `drain_rate(app.state.runtime, ...)` with a count
of its own rows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import time
from collections.abc import Awaitable, Callable
from uuid import uuid4

import asyncpg

from bench.scratch import fresh_casework, run_on_infra
from shared.consumer import BATCH_SIZE, handles
from shared.contracts.base import EventEnvelope, EventMetadata
from shared.contracts.events import CaseAssigned
from shared.contracts.vocab import Role
from shared.db import create_pool
from shared.eventstore.store import Append, EventStore
from shared.infra import Infra
from shared.kafka import make_producer
from shared.logging import configure_logging
from shared.outbox import OutboxRelay
from shared.runtime import ServiceRuntime, migrate_service
from shared.settings import Settings, get_settings

PROBE_SCHEMA = "notifications"


async def make_backlog(
    settings: Settings, pool: asyncpg.Pool, n: int, *, per_transaction: int = 200
) -> None:
    """Append `n` CaseAssigned (one case each) as casework, and publish them all."""
    store = EventStore(owner="casework")
    left = n
    while left:
        k = min(per_transaction, left)
        appends = []
        for _ in range(k):
            case_id = uuid4()
            event = CaseAssigned(
                case_id=case_id, assignee="sw-drain", role=Role.SOCIAL_WORKER, assigned_by="b"
            )
            meta = EventMetadata(case_id=case_id, office="lumajang", actor="staff:bench")
            appends.append(Append(f"case-{case_id}", 0, [event], meta))
        async with pool.acquire() as conn, conn.transaction():
            await store.append_many(conn, appends)
        left -= k
    await publish_all(settings, pool, "casework")


async def publish_all(settings: Settings, pool: asyncpg.Pool, owner: str) -> None:
    """Everything `owner` has in the outbox, published by its relay (a standing backlog)."""
    producer = make_producer(settings, client_id=f"bench-drain-{owner}")
    await producer.start()
    try:
        relay = OutboxRelay(
            pool, owner, producer, batch_size=1000, topic_prefix=settings.kafka_topic_prefix
        )
        while await relay.drain_once():
            pass
    finally:
        await producer.stop()


async def skip_store_catch_up(pool: asyncpg.Pool, schema: str) -> None:
    """Set `schema`'s store checkpoint to the store's head (its catch-up then finds
    nothing older)."""
    async with pool.acquire() as conn:
        head = await conn.fetchrow(
            """SELECT transaction_id::text::bigint AS tx, global_position FROM eventstore.events
               ORDER BY transaction_id DESC, global_position DESC LIMIT 1"""
        )
        if head is None:
            return
        await conn.execute(
            f"""INSERT INTO "{schema}".store_checkpoint (transaction_id, position)
                VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET transaction_id = $1,
                position = $2""",
            head["tx"],
            head["global_position"],
        )


async def _probe_effect(conn: asyncpg.Connection, event: CaseAssigned, env: EventEnvelope) -> None:
    await conn.execute(
        "INSERT INTO notifications.probe_effects (event_id, case_id) VALUES ($1, $2)",
        env.event_id,
        event.case_id,
    )


async def prepare_probe(database_url: str) -> None:
    """The probe service's schema, and its table of effects (no key, on purpose)."""
    await migrate_service(database_url, PROBE_SCHEMA, None)
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS notifications.probe_effects (
                   event_id uuid NOT NULL, case_id uuid NOT NULL,
                   at timestamptz NOT NULL DEFAULT clock_timestamp())"""
        )
    finally:
        await conn.close()


def probe_runtime(settings: Settings, *, batch_size: int = BATCH_SIZE) -> ServiceRuntime:
    return ServiceRuntime(
        PROBE_SCHEMA,
        migrations=None,
        handlers=handles(CaseAssigned, _probe_effect),
        settings=settings,
        consumer_batch_size=batch_size,
    )


async def probe_effects(pool: asyncpg.Pool) -> int:
    async with pool.acquire() as conn:
        return int(await conn.fetchval("SELECT count(*) FROM notifications.probe_effects"))


async def drain_rate(
    runtime: ServiceRuntime,
    count: Callable[[], Awaitable[int]],
    target: int,
    *,
    timeout: float = 600.0,
) -> float:
    """Start `runtime`, wait until `count()` reaches `target`, stop it; events per second
    from the start of the runtime (joining the consumer group included: a drain is what
    a restarted service does)."""
    started = time.perf_counter()
    await runtime.start()
    try:
        while (done := await count()) < target:
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"drained {done} of {target} in {timeout} s")
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
    finally:
        await runtime.stop()
    return target / elapsed


async def _serve() -> None:
    """The probe service as a process (see the crash test): until SIGTERM."""
    settings = get_settings()
    configure_logging(PROBE_SCHEMA)
    assert settings.database_url
    await prepare_probe(settings.database_url)
    runtime = probe_runtime(settings, batch_size=int(os.environ.get("PROBE_BATCH_SIZE", "50")))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await runtime.start()
    try:
        await stop.wait()
    finally:
        await runtime.stop()


async def _measure(infra: Infra, events: int, batch_size: int) -> None:
    settings, dsn = await fresh_casework(infra, "drain")
    await prepare_probe(dsn)
    pool = await create_pool(dsn, max_size=4)
    try:
        t0 = time.perf_counter()
        await make_backlog(settings, pool, events)
        print(f"backlog: {events} events in {time.perf_counter() - t0:.1f} s")
        await skip_store_catch_up(pool, PROBE_SCHEMA)
        rate = await drain_rate(
            probe_runtime(settings, batch_size=batch_size), lambda: probe_effects(pool), events
        )
        print(f"drain_probe: {rate:.0f} events/s (batch size {batch_size})")
    finally:
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("command", nargs="?", choices=["measure", "serve"], default="measure")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    args = parser.parse_args()
    if args.command == "serve":
        asyncio.run(_serve())
        return
    configure_logging("bench", level="warning")
    run_on_infra("slrt-drain-", lambda infra: _measure(infra, args.events, args.batch_size))


if __name__ == "__main__":
    main()
