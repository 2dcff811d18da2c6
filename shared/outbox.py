"""The outbox relay: publishes a service's committed events to Kafka, then marks them sent.

Delivery is at least once (a crash between produce and mark re-sends); consumers are
idempotent. Events are keyed by case id so one case stays on one partition, in order.
The relay is woken in-process by the event store when its service appends (no NOTIFY: it
would serialise every commit, see eventstore migration 002). The wake comes before the
commit, so a woken relay looks again a few times over the next ~60 ms until the events
show; it also polls, for events written by other processes (a rebuild, a test).
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

# After a wake: look at once, then again after these pauses (seconds) while nothing shows.
_AFTER_WAKE = (0.0, 0.002, 0.005, 0.01, 0.02, 0.03)


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        owner: str,
        producer: AIOKafkaProducer,
        *,
        batch_size: int = 500,
        poll_seconds: float = 0.25,
        topic_prefix: str = "",
    ) -> None:
        self.topic_prefix = topic_prefix
        self.pool = pool
        self.owner = owner
        self.producer = producer
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self.published = 0

    @fresh_log_context
    async def drain_once(self) -> int:
        """Publish one batch of unsent events; return how many went out."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                """
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
                """,
                self.owner,
                self.batch_size,
            )
            if not rows:
                return 0
            # Hand every message to the producer first, then wait for all: one round trip
            # per batch, not per event.
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
            await conn.execute(
                "UPDATE eventstore.outbox SET sent_at = clock_timestamp() "
                "WHERE global_position = ANY($1::bigint[])",
                [r["global_position"] for r in rows],
            )
        self.published += len(rows)
        return len(rows)

    def wake(self) -> None:
        self._wake.set()

    async def _drain(self, woken: bool) -> None:
        # Woken by an append that may not have committed yet: look again shortly, a few
        # times, until something shows (under load the first look finds it).
        for pause in _AFTER_WAKE if woken else (0.0,):
            if pause:
                await asyncio.sleep(pause)
            published = 0
            while (n := await self.drain_once()) >= self.batch_size:
                published += n
            if published + n:
                return

    async def run(self) -> None:
        """Drain until cancelled. Errors are logged and retried with a back-off."""
        backoff = 0.2
        remove_hook = on_append(self.owner, self.wake)
        woken = True
        try:
            while True:
                self._wake.clear()  # before draining, so a wake during the drain is kept
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
        finally:
            remove_hook()
