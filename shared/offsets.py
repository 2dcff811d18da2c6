"""A consumer's Kafka offsets, committed after its batches are applied, at most once an
interval (`KAFKA_COMMIT_INTERVAL_MS`).

Offsets are never committed before the batch's transaction has committed: a crash in
between gives the batch again, and the consumer meets it as applied (`processed_events`).
Nor are they committed after every batch: at a trickle a batch holds an event or two, and
each commit is a round trip to the broker and a write there, in every consuming service.
The offsets of the batches applied since the last commit are kept and committed together
once the interval has passed, by the next batch or by a timer, and at once on stop. A
crash or a rebalance in the meantime gives those batches again (at most one interval's
worth), which every consumer already expects: delivery is at least once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable
from typing import Any

from aiokafka.structs import TopicPartition

from shared.logging import get_logger

log = get_logger(__name__)


class OffsetCommits:
    """The offsets of applied batches of one service's consumer, waiting to be committed."""

    def __init__(self, interval_seconds: float) -> None:
        self.interval = interval_seconds
        self._client: Any = None  # aiokafka's consumer the offsets belong to
        self._pending: dict[TopicPartition, int] = {}
        self._last = time.monotonic()
        self._timer: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def applied(self, client: Any, records: Iterable[Any]) -> None:
        """`records` (aiokafka's) are applied and committed in PostgreSQL: their offsets
        go to Kafka now if the interval has passed, else within it."""
        if client is not self._client:
            # A new client (the old one was replaced after a lost broker): the old one's
            # offsets are no longer ours to commit; its batches come again, met as applied.
            self._pending.clear()
            self._client = client
        for record in records:
            partition = TopicPartition(record.topic, record.partition)
            if record.offset >= self._pending.get(partition, 0):
                self._pending[partition] = record.offset + 1  # the next record to read
        if time.monotonic() - self._last >= self.interval:
            await self.flush()
        elif self._timer is None or self._timer.done():
            self._timer = asyncio.create_task(self._later(), name="offset-commit")

    async def _later(self) -> None:
        await asyncio.sleep(max(0.0, self._last + self.interval - time.monotonic()))
        await self.flush()

    async def flush(self) -> None:
        """Commit what is waiting. A commit that fails (a rebalance, a lost broker) is
        logged and dropped: those batches come again."""
        async with self._lock:
            self._last = time.monotonic()
            if not self._pending:
                return
            offsets, self._pending = self._pending, {}
            try:
                await self._client.commit(offsets)
            except Exception as exc:
                log.warning("offset_commit_failed", partitions=len(offsets), error=repr(exc))

    def forget(self) -> None:
        """The broker is lost: what waits is not committed, and a commit under way is
        cancelled. aiokafka retries a commit until a coordinator answers, so one begun
        while the broker is away would otherwise reach the broker that comes back, with
        offsets that point past the records of a broker restarted empty (the embedded
        one): the new client would then skip the records up to there. The batches come
        again instead, and are met as applied."""
        self._pending.clear()
        if self._timer is not None:
            self._timer.cancel()

    async def close(self) -> None:
        """On stop, before the client stops: what is waiting is committed now."""
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._timer
        await self.flush()
