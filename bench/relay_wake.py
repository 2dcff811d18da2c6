"""Is the outbox relay's poll still needed once it is woken after the commit (issue 15.3)?

Appends `--events` events in transactions of one from `--writers` concurrent writers in
this process (as a service's commands do), with the relay's poll set to 5 s: an event the
wake missed would wait for that poll. Prints how many the relay published on a wake and
on its poll, and the delay from each event's insert to its publication (p50, p99, max).
`python -m bench.relay_wake` on the embedded stack (or DATABASE_URL /
KAFKA_BOOTSTRAP_SERVERS).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from uuid import uuid4

from bench.raw import percentile
from bench.scratch import fresh_casework, run_on_infra
from shared.contracts.base import EventMetadata
from shared.contracts.events import CaseAssigned
from shared.contracts.vocab import Role
from shared.db import create_pool
from shared.eventstore.store import EventStore
from shared.infra import Infra
from shared.kafka import make_producer
from shared.logging import configure_logging
from shared.outbox import OutboxRelay


async def _measure(infra: Infra, events: int, writers: int) -> None:
    settings, dsn = await fresh_casework(infra, "wake")
    pool = await create_pool(dsn, max_size=writers + 2)
    producer = make_producer(settings, client_id="bench-relay-wake")
    await producer.start()
    relay = OutboxRelay(
        pool, "casework", producer, poll_seconds=5.0, topic_prefix=settings.kafka_topic_prefix
    )
    task = asyncio.create_task(relay.run())
    store = EventStore(owner="casework")

    async def writer(n: int) -> None:
        for _ in range(n):
            case_id = uuid4()
            event = CaseAssigned(
                case_id=case_id, assignee="sw", role=Role.SOCIAL_WORKER, assigned_by="b"
            )
            meta = EventMetadata(case_id=case_id, office="lumajang", actor="staff:bench")
            async with pool.acquire() as conn, conn.transaction():
                await store.append(conn, f"case-{case_id}", 0, [event], meta)
            await asyncio.sleep(0.002)

    try:
        await asyncio.sleep(0.5)
        await asyncio.gather(*(writer(events // writers) for _ in range(writers)))
        while relay.published < events // writers * writers:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        async with pool.acquire() as conn:
            delays = [
                float(r[0])
                for r in await conn.fetch(
                    """SELECT extract(epoch FROM o.sent_at - e.recorded_at) * 1000
                       FROM eventstore.outbox o JOIN eventstore.events e USING (global_position)"""
                )
            ]
        print(
            f"published on wake: {relay.published_on_wake}, on poll: {relay.published_on_poll}; "
            f"insert to publish ms p50 {percentile(delays, 50):.1f} "
            f"p99 {percentile(delays, 99):.1f} max {max(delays):.1f}"
        )
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await producer.stop()
        await pool.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--writers", type=int, default=8)
    args = parser.parse_args()
    configure_logging("bench", level="warning")
    run_on_infra("slrt-wake-", lambda infra: _measure(infra, args.events, args.writers))


if __name__ == "__main__":
    main()
