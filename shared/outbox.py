"""The outbox relay: publishes a service's committed events to Kafka, then marks them sent.

Delivery is at least once (a crash between produce and mark re-sends); consumers are
idempotent. Events are keyed by case id so one case stays on one partition, in order.
The relay wakes on NOTIFY from the outbox trigger and polls once a second besides.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer

from shared.eventstore.store import envelope_from_row
from shared.logging import get_logger

log = get_logger(__name__)


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        owner: str,
        producer: AIOKafkaProducer,
        *,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
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
            await conn.execute(
                "UPDATE eventstore.outbox SET sent_at = clock_timestamp() "
                "WHERE global_position = ANY($1::bigint[])",
                [r["global_position"] for r in rows],
            )
        self.published += len(rows)
        return len(rows)

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Drain until cancelled. Errors are logged and retried with a back-off."""
        listener: asyncpg.Connection | None = None
        channel = f"slrt_outbox_{self.owner}"
        backoff = 0.2
        try:
            listener = await self.pool.acquire()
            await listener.add_listener(channel, self._on_notify)
            while True:
                self._wake.clear()  # before draining, so a NOTIFY during the drain is kept
                try:
                    while await self.drain_once() >= self.batch_size:
                        pass
                    backoff = 0.2
                except Exception as exc:
                    log.warning("outbox_relay_error", owner=self.owner, error=repr(exc))
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
        finally:
            if listener is not None:
                with contextlib.suppress(Exception):
                    await listener.remove_listener(channel, self._on_notify)
                await self.pool.release(listener)
