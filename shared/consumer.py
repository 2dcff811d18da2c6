"""The idempotent consumer: apply each event once, retry, then dead-letter with the reason.

A handler gets a connection inside a transaction. The event id is recorded in the
service's `processed_events` in that same transaction, so a redelivery (Kafka is at least
once) or a catch-up from the store that meets an event already applied changes nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import asyncpg
import orjson
from pydantic import ValidationError

from shared.contracts.base import Event, EventEnvelope, UnknownEventType
from shared.eventstore.store import Checkpoint, read_all
from shared.logging import bind_context, fresh_log_context, get_logger

log = get_logger(__name__)

Handler = Callable[[asyncpg.Connection, EventEnvelope], Awaitable[None]]
DeadLetterPublisher = Callable[[str, bytes, Mapping[str, str]], Awaitable[None]]
E = TypeVar("E", bound=Event)
TypedHandler = Callable[[asyncpg.Connection, E, EventEnvelope], Awaitable[None]]


def handles(event_class: type[E], handler: TypedHandler[E]) -> dict[str, Handler]:
    """Register a typed handler: it receives the event as its own class (upcast and
    validated), and the envelope for its metadata. `{**handles(A, f), **handles(B, g)}`
    builds a service's handler map; no handler ever checks a type by name."""

    async def handle(conn: asyncpg.Connection, envelope: EventEnvelope) -> None:
        event = envelope.payload()
        if not isinstance(event, event_class):  # the registry maps the name to the class
            raise TypeError(f"{envelope.event_type} is not a {event_class.__name__}")
        await handler(conn, event, envelope)

    handle.__name__ = getattr(handler, "__name__", "handle")
    return {event_class.event_type: handle}


class Consumer:
    """One service's way of taking events in, from Kafka or from the store."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        schema: str,
        handlers: Mapping[str, Handler],
        *,
        dead_letter: DeadLetterPublisher | None = None,
        attempts: int = 3,
    ) -> None:
        self.pool = pool
        self.schema = schema
        self.handlers = dict(handlers)
        self.dead_letter = dead_letter
        self.attempts = attempts

    @property
    def event_types(self) -> list[str]:
        return sorted(self.handlers)

    async def apply(self, envelope: EventEnvelope) -> bool:
        """Apply one event in one transaction; False if it had been applied before."""
        handler = self.handlers.get(envelope.event_type)
        if handler is None:
            return False
        async with self.pool.acquire() as conn, conn.transaction():
            fresh = await conn.fetchval(
                f"""INSERT INTO "{self.schema}".processed_events
                        (event_id, event_type, global_position)
                    VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING RETURNING true""",
                envelope.event_id,
                envelope.event_type,
                envelope.global_position,
            )
            if not fresh:
                return False
            await handler(conn, envelope)
        return True

    @fresh_log_context  # nothing of the previous message is logged with this one
    async def deliver(self, raw: bytes, *, topic: str = "") -> None:
        """Take one Kafka message: decode, apply with retries, or dead-letter it."""
        started = time.perf_counter()
        try:
            envelope = EventEnvelope.model_validate(orjson.loads(raw))
            if envelope.event_type in self.handlers:
                envelope.payload()  # validates the schema (with upcasting) before any effect
        except (orjson.JSONDecodeError, ValidationError, UnknownEventType, ValueError) as exc:
            await self._dead_letter(topic, raw, None, None, f"undecodable: {exc}")
            return
        if envelope.event_type not in self.handlers:
            return
        bind_context(
            case_id=str(envelope.case_id) if envelope.case_id else None,
            correlation_id=str(envelope.correlation_id),
            event_type=envelope.event_type,
            event_id=str(envelope.event_id),
        )
        for attempt in range(1, self.attempts + 1):
            try:
                applied = await self.apply(envelope)
            except Exception as exc:
                log.warning("event_apply_failed", attempt=attempt, error=repr(exc))
                if attempt == self.attempts:
                    await self._dead_letter(
                        topic, raw, envelope.event_id, envelope.event_type, f"failed: {exc!r}"
                    )
                    return
                await asyncio.sleep(0.1 * 2**attempt)
                continue
            log.info(
                "event_handled",
                topic=topic,
                applied=applied,
                duplicate=not applied,
                ms=round((time.perf_counter() - started) * 1000, 2),
            )
            return

    async def _dead_letter(
        self,
        topic: str,
        raw: bytes,
        event_id: Any,
        event_type: str | None,
        reason: str,
    ) -> None:
        log.error("event_dead_lettered", topic=topic, reason=reason[:500])
        async with self.pool.acquire() as conn:
            await conn.execute(
                f"""INSERT INTO "{self.schema}".dead_letters
                        (topic, event_id, event_type, reason, raw)
                    VALUES ($1, $2, $3, $4, $5)""",
                topic,
                event_id,
                event_type,
                reason,
                raw,
            )
        if self.dead_letter is not None:
            try:
                await self.dead_letter(topic, raw, {"reason": reason[:1000], "source_topic": topic})
            except Exception as exc:
                log.error("dead_letter_publish_failed", error=repr(exc))

    @fresh_log_context  # the last event's ids stay with it
    async def catch_up(self, *, batch: int = 1000) -> int:
        """Apply from the event store whatever Kafka has not brought (e.g. broker restart)."""
        total = 0
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f'SELECT transaction_id, position FROM "{self.schema}".store_checkpoint'
            )
        cp = Checkpoint(row["transaction_id"], row["position"]) if row else Checkpoint()
        while True:
            async with self.pool.acquire() as conn:
                events, new_cp = await read_all(conn, cp, limit=batch, event_types=self.event_types)
            for env in events:
                bind_context(
                    case_id=str(env.case_id) if env.case_id else None,
                    correlation_id=str(env.correlation_id),
                    event_type=env.event_type,
                    event_id=str(env.event_id),
                    via="store",
                )
                if await self.apply(env):
                    total += 1
            if new_cp != cp:
                async with self.pool.acquire() as conn:
                    await conn.execute(
                        f"""INSERT INTO "{self.schema}".store_checkpoint
                                (transaction_id, position)
                            VALUES ($1, $2) ON CONFLICT (id) DO UPDATE
                            SET transaction_id = $1, position = $2,
                                updated_at = clock_timestamp()""",
                        new_cp.transaction_id,
                        new_cp.position,
                    )
                cp = new_cp
            if len(events) < batch:
                return total
