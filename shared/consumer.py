"""The idempotent consumer: apply each event once, retry, then dead-letter with the reason.

A handler gets a connection inside a transaction. The event id is recorded in the
service's `processed_events` in that same transaction, so a redelivery (Kafka is at least
once) or a catch-up from the store that meets an event already applied changes nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
import orjson
from pydantic import ValidationError

from shared import metrics
from shared.contracts.base import EVENT_TYPES, Event, EventEnvelope, UnknownEventType
from shared.eventstore.store import Checkpoint, read_all
from shared.logging import bind_context, fresh_log_context, get_logger, log_scope
from shared.refusal import Refused

log = get_logger(__name__)


@dataclass(frozen=True)
class Origin:
    """The Kafka record's own key and headers, exactly as they came: a dead letter keeps
    them, so whoever published it can find it again by key, event id and correlation id."""

    key: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k == name:
                return v.decode("utf-8", errors="replace")
        return None

    def uuid_header(self, name: str) -> UUID | None:
        try:
            return UUID(self.header(name) or "")
        except ValueError:
            return None


Handler = Callable[[asyncpg.Connection, EventEnvelope], Awaitable[None]]
# A topic whose records are not event envelopes (the outside adapters' topic): the handler
# gets the raw value and its origin, and raises `Refused` for what it will not take.
RawHandler = Callable[[bytes, Origin], Awaitable[None]]
# (source topic, raw value, headers to publish, original key)
DeadLetterPublisher = Callable[
    [str, bytes, Sequence[tuple[str, bytes]], bytes | None], Awaitable[None]
]
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
        backoff: float = 0.1,
    ) -> None:
        self.pool = pool
        self.schema = schema
        self.handlers = dict(handlers)
        self.dead_letter = dead_letter
        self.attempts = attempts
        self.backoff = backoff  # seconds; doubled per attempt

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
        metrics.event_applied(self.schema, envelope.event_type)
        return True

    @fresh_log_context  # nothing of the previous message is logged with this one
    async def deliver(self, raw: bytes, *, topic: str = "", origin: Origin | None = None) -> None:
        """Take one Kafka message: decode, apply with retries, or dead-letter it."""
        started = time.perf_counter()
        origin = origin or Origin()
        try:
            envelope = EventEnvelope.model_validate(orjson.loads(raw))
            if envelope.event_type in self.handlers:
                envelope.payload()  # validates the schema (with upcasting) before any effect
        except (orjson.JSONDecodeError, ValidationError, UnknownEventType, ValueError) as exc:
            await self._dead_letter(
                topic, raw, origin.uuid_header("event_id"), None, f"undecodable: {exc}", origin
            )
            return
        if envelope.event_type not in self.handlers:
            return
        bind_context(
            case_id=str(envelope.case_id) if envelope.case_id else None,
            correlation_id=str(envelope.correlation_id),
            event_type=envelope.event_type,
            event_id=str(envelope.event_id),
        )
        applied = await self._apply_or_dead_letter(envelope, topic=topic, raw=raw, origin=origin)
        if applied is not None:
            log.info(
                "event_handled",
                topic=topic,
                applied=applied,
                duplicate=not applied,
                ms=round((time.perf_counter() - started) * 1000, 2),
            )

    async def _apply_or_dead_letter(
        self,
        envelope: EventEnvelope,
        *,
        topic: str,
        raw: bytes,
        origin: Origin,
        unless_dead_lettered_before: bool = False,
    ) -> bool | None:
        """Apply one event, retrying a failure (bounded, with back-off); after the last
        attempt dead-letter it with its reason. True if applied now, False if applied
        before, None if dead-lettered. `unless_dead_lettered_before`: an event this service
        already dead-lettered (live, from Kafka) is not dead-lettered a second time."""
        for attempt in range(1, self.attempts + 1):
            try:
                return await self.apply(envelope)
            except Exception as exc:
                log.warning("event_apply_failed", attempt=attempt, error=repr(exc))
                if attempt == self.attempts:
                    # A refusal is dead-lettered with its domain reason, not as a failure.
                    code = exc.code if isinstance(exc, Refused) else None
                    reason = f"{code}: {exc}" if code else f"failed: {exc!r}"
                    if unless_dead_lettered_before and await self._dead_lettered_before(
                        envelope.event_id
                    ):
                        log.warning("event_dead_lettered_before", reason=reason[:500])
                        return None
                    await self._dead_letter(
                        topic, raw, envelope.event_id, envelope.event_type, reason, origin, code
                    )
                    return None
                await asyncio.sleep(self.backoff * 2**attempt)
        return None  # attempts < 1: nothing tried

    async def _dead_lettered_before(self, event_id: UUID) -> bool:
        async with self.pool.acquire() as conn:
            return bool(
                await conn.fetchval(
                    f'''SELECT EXISTS (SELECT 1 FROM "{self.schema}".dead_letters
                        WHERE event_id = $1)''',
                    event_id,
                )
            )

    @fresh_log_context
    async def deliver_raw(
        self, raw: bytes, handler: RawHandler, *, topic: str, origin: Origin
    ) -> None:
        """Take one record of a topic that carries no envelope (the outside adapters'):
        the handler keeps and decides it; a `Refused` is dead-lettered at once with its
        code, any other failure after the retries."""
        event_id = origin.uuid_header("event_id")
        bind_context(
            case_id=None,
            correlation_id=origin.header("correlation_id"),
            event_type=None,
            event_id=str(event_id) if event_id else None,
        )
        for attempt in range(1, self.attempts + 1):
            try:
                await handler(raw, origin)
            except Refused as refusal:
                reason = f"{refusal.code}: {refusal.message}"
                await self._dead_letter(topic, raw, event_id, None, reason, origin, refusal.code)
                return
            except Exception as exc:
                log.warning("record_handle_failed", attempt=attempt, error=repr(exc))
                if attempt == self.attempts:
                    reason = f"failed: {exc!r}"
                    await self._dead_letter(topic, raw, event_id, None, reason, origin)
                    return
                await asyncio.sleep(self.backoff * 2**attempt)
                continue
            log.info("record_handled", topic=topic)
            return

    async def _dead_letter(
        self,
        topic: str,
        raw: bytes,
        event_id: Any,
        event_type: str | None,
        reason: str,
        origin: Origin | None = None,
        code: str | None = None,
    ) -> None:
        """Keep it in `<service>.dead_letters` and publish it to the dead-letter topic with
        the original key and headers, plus `reason` (and `reason_code` for a refusal) and
        `source_topic`."""
        origin = origin or Origin()
        log.error("event_dead_lettered", topic=topic, reason=reason[:500], reason_code=code)
        metrics.event_dead_lettered(self.schema, event_type)
        async with self.pool.acquire() as conn:
            await conn.execute(
                f"""INSERT INTO "{self.schema}".dead_letters
                        (topic, event_id, event_type, reason, raw, key, headers, reason_code)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
                topic,
                event_id,
                event_type,
                reason,
                raw,
                origin.key,
                [[k, v.decode("utf-8", errors="replace")] for k, v in origin.headers],
                code,
            )
        if self.dead_letter is not None:
            added = [("reason", reason[:1000].encode()), ("source_topic", topic.encode())]
            if code is not None:
                added.append(("reason_code", code.encode()))
            try:
                await self.dead_letter(topic, raw, [*origin.headers, *added], origin.key)
            except Exception as exc:
                log.error("dead_letter_publish_failed", error=repr(exc))

    @fresh_log_context  # nothing of the caller's context leaks in or out
    async def catch_up(self, *, batch: int = 1000) -> int:
        """Apply from the event store whatever Kafka has not brought (e.g. broker restart).

        Each event is taken as live delivery takes it: retried (bounded, with back-off),
        then dead-lettered with its reason, original key and headers (event id, correlation
        id). The checkpoint then moves past it, so one bad event never holds back the ones
        after it. An event already dead-lettered live is not dead-lettered twice."""
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
                with log_scope(
                    case_id=str(env.case_id) if env.case_id else None,
                    correlation_id=str(env.correlation_id),
                    event_type=env.event_type,
                    event_id=str(env.event_id),
                    via="store",
                ):
                    topic = EVENT_TYPES[env.event_type].topic
                    applied = await self._apply_or_dead_letter(
                        env,
                        topic=topic,
                        raw=orjson.dumps(env.model_dump(mode="json")),
                        origin=store_origin(env),
                        unless_dead_lettered_before=True,
                    )
                if applied:
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


def store_origin(envelope: EventEnvelope) -> Origin:
    """The key and headers the outbox relay gives this event on Kafka, so a dead letter
    from catch-up looks like one from live delivery (keyed by case, else by stream)."""
    key = str(envelope.case_id) if envelope.case_id else envelope.stream_id
    return Origin(
        key=key.encode(),
        headers=(
            ("event_type", envelope.event_type.encode()),
            ("event_id", str(envelope.event_id).encode()),
            ("correlation_id", str(envelope.correlation_id).encode()),
        ),
    )
