"""The outbox relay: publishes a service's committed events to Kafka, then marks them sent.

Delivery is at least once (a crash between produce and mark re-sends); consumers are
idempotent. Events are keyed by case id so one case stays on one partition, in order.
The relay is woken in-process by the event store when a transaction in which its service
appended has committed (no NOTIFY: it would serialise every commit, see eventstore
migration 002), so a woken relay finds the events at its first look. It also polls, for
events written by other processes (a rebuild, a test, a command line): `poll_seconds` is
only that fallback's delay (see `POLL_SECONDS`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer

from shared import metrics
from shared.eventstore.store import envelope_from_row, on_append
from shared.logging import fresh_log_context, get_logger

log = get_logger(__name__)

# How long events written by another process (nobody wakes this relay for them) may wait.
# Measured with the wake after the commit (issue 15.3, bench/relay_wake.py): every event a
# service writes itself is published on its wake, none by the poll, so the poll is only
# the fallback for other processes' writes.
POLL_SECONDS = 1.0
# Under a steady stream of commits, drains start at least this far apart (seconds); the
# first wake after a quiet spell drains at once. See `OutboxRelay.run`.
INTERVAL_SECONDS = 0.05

_UNSENT = """
    SELECT o.topic, o.key, e.global_position,
        e.transaction_id::text AS transaction_id, e.event_id, e.stream_id,
        e.stream_version, e.event_type, e.schema_version, e.data, e.case_id,
        e.office, e.correlation_id, e.causation_id, e.actor, e.channel,
        e.occurred_at, e.recorded_at
    FROM eventstore.outbox o JOIN eventstore.events e USING (global_position)
    WHERE o.owner = $1 AND o.sent_at IS NULL
    ORDER BY o.global_position
    LIMIT $2
    FOR UPDATE OF o SKIP LOCKED
"""


def _literal(text: str) -> str:
    """`text` as an SQL string literal (for a statement sent without parameters)."""
    return "'" + text.replace("'", "''") + "'"


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        owner: str,
        producer: AIOKafkaProducer,
        *,
        batch_size: int = 500,
        poll_seconds: float = POLL_SECONDS,
        interval_seconds: float = INTERVAL_SECONDS,
        topic_prefix: str = "",
    ) -> None:
        self.topic_prefix = topic_prefix
        self.pool = pool
        self.owner = owner
        self.producer = producer
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.interval_seconds = interval_seconds
        self._wake = asyncio.Event()
        self.published = 0
        # Published on a wake (the normal way) and found by the poll (written elsewhere, or
        # a wake missed): what bench/relay_wake.py reports.
        self.published_on_wake = 0
        self.published_on_poll = 0
        self._begin = (
            "BEGIN; SET LOCAL synchronous_commit = off;"
            f" SELECT pg_advisory_xact_lock(hashtext({_literal('slrt.outbox.' + owner)}))"
        )

    @fresh_log_context
    async def drain_once(self) -> int:
        """Publish one batch of unsent events; return how many went out.

        Three round trips to PostgreSQL, not five: the transaction is begun with its lock
        in one (simple protocol, so several statements), the unsent rows read in the
        second, the marks written with the COMMIT in the third. A relay drains after
        every commit of its service, so at a trickle this is a fair share of a case's
        round trips, and on a small machine a round trip costs more CPU than the work in
        it. The marks are committed without waiting for the WAL to reach the disk: a mark
        lost in a crash of PostgreSQL only sends its events again, which every consumer
        already expects (delivery is at least once)."""
        async with self.pool.acquire() as conn:
            # One relay of this service drains at a time, whichever process it is in (intake
            # on several workers, replicas): two relays sending at once could put a case's
            # later event on Kafka before its earlier one. The other waits, then looks.
            try:
                await conn.execute(self._begin)
                rows = await conn.fetch(_UNSENT, self.owner, self.batch_size)
                if not rows:
                    await conn.execute("ROLLBACK")
                    return 0
                # Hand every message to the producer first, then wait for all: one round
                # trip per batch, not per event.
                started = time.perf_counter()
                futures: list[Any] = []
                for r in rows:
                    env = envelope_from_row(r)
                    futures.append(
                        await self.producer.send(
                            self.topic_prefix + r["topic"],
                            value=orjson.dumps(env.model_dump(mode="json")),
                            key=r["key"].encode(),
                            headers=[
                                ("event_type", env.event_type.encode()),
                                ("event_id", str(env.event_id).encode()),
                                ("correlation_id", str(env.correlation_id).encode()),
                            ],
                        )
                    )
                await asyncio.gather(*futures)
                metrics.relay_published(self.owner, rows, started)
                # Positions are the store's own integers: written into the text as numbers.
                positions = ",".join(str(int(r["global_position"])) for r in rows)
                await conn.execute(
                    "UPDATE eventstore.outbox SET sent_at = clock_timestamp()"
                    f" WHERE global_position = ANY('{{{positions}}}'::bigint[]); COMMIT"
                )
            except BaseException:
                # Nothing marked: what was sent goes again. (Should the connection be
                # broken, the pool's reset ends the transaction.)
                if not conn.is_closed() and conn.is_in_transaction():
                    with contextlib.suppress(Exception):
                        await conn.execute("ROLLBACK")
                raise
        self.published += len(rows)
        return len(rows)

    def wake(self) -> None:
        self._wake.set()

    async def _drain(self, woken: bool) -> None:
        published = 0
        while (n := await self.drain_once()) > 0:
            published += n
            if n < self.batch_size:
                break
        if woken:
            self.published_on_wake += published
        else:
            self.published_on_poll += published

    async def run(self) -> None:
        """Drain until cancelled. Errors are logged and retried with a back-off.

        Drains start at least `interval_seconds` apart: a wake that comes sooner after the
        last drain began waits for the rest of the interval, and whatever commits in the
        meantime goes out in the same drain. A wake after a quiet spell drains at once, so
        a single event (a staff decision) is not held back. Each drain is a produce request,
        and the embedded broker keeps each as an object that every later fetch of its
        partition lists (bench/broker_growth.py): fewer, fuller drains cost it less now
        and later (README "Outbox" has the measurements)."""
        backoff = 0.2
        remove_hook = on_append(self.owner, self.wake)
        woken = False  # the first look finds what an earlier run left
        loop = asyncio.get_running_loop()
        try:
            while True:
                self._wake.clear()  # before draining, so a wake during the drain is kept
                began = loop.time()
                try:
                    await self._drain(woken)
                    backoff = 0.2
                except Exception as exc:
                    log.warning("outbox_relay_error", owner=self.owner, error=repr(exc))
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                woken = False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
                    woken = True
                rest = self.interval_seconds - (loop.time() - began)
                if rest > 0:
                    await asyncio.sleep(rest)
        finally:
            remove_hook()
