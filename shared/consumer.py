"""The idempotent consumer: apply each event once, retry, then dead-letter with the reason.

A handler gets a connection inside a transaction. The event id is recorded in the
service's `processed_events` in that same transaction, so a redelivery (Kafka is at least
once) or a catch-up from the store that meets an event already applied changes nothing.

Events come in batches (what the broker has, up to `BATCH_SIZE`; the store's catch-up in
its read batches) and a batch is applied in ONE transaction: the processed-event ids are
recorded in one statement, the handlers run in order, with no savepoint while all goes
well. An event whose handler fails is isolated: the transaction is rolled back whole and
what came before the event applied again (should that fail too, with a savepoint per
handler), so the batch commits what came before it; the event is retried on
its own (`ATTEMPTS`, back-off `BACKOFF_SECONDS` doubled per attempt) and then dead-lettered
with its reason, and the batch goes on after it, so the order of the events is kept. The
caller commits the Kafka offsets only once `deliver_batch` has returned, i.e. after every
transaction of the batch has committed.

What arrives from Kafka is trusted only as far as the event store agrees: an event whose id
is not in the store with the same content is dead-lettered as `not_in_store` (issue 16.3).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
import orjson
from pydantic import ValidationError

from shared import metrics
from shared.contracts.adapters import ADAPTERS_TOPIC
from shared.contracts.base import EVENT_TYPES, Event, EventEnvelope, UnknownEventType
from shared.eventstore.store import Checkpoint, read_all
from shared.eventstore.subjects import (
    open_envelopes,
    opened_with,
    shape_of,
    subjects_of,
    unwrapped_keys,
)
from shared.logging import bind_context, fresh_log_context, get_logger, log_scope
from shared.refusal import Refused
from shared.retry import RetryPolicy

log = get_logger(__name__)

# Records taken from the broker in one batch, at most (one transaction applies them).
BATCH_SIZE = 500
# Tries of a failing event before it is dead-lettered, and the back-off before the second
# try (doubled for each further one), in seconds.
ATTEMPTS = 3
BACKOFF_SECONDS = 0.1
# The dead-letter reason code of an event from the wire that the event store does not have.
NOT_IN_STORE = "not_in_store"


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


@dataclass(frozen=True)
class Record:
    """One Kafka record as it came: its value, its topic (without the prefix), its origin."""

    raw: bytes
    topic: str
    origin: Origin = field(default_factory=Origin)


@dataclass(frozen=True)
class _Pending:
    """A decoded event on its way to its handler, with what a dead letter must keep."""

    envelope: EventEnvelope
    topic: str
    wire: bytes | None  # as received; None: from the store, serialised if ever needed
    origin: Origin
    via: str | None = None  # "store" for catch-up; Kafka's need no mark
    # As stored (personal fields sealed): what a dead letter keeps of a catch-up event.
    sealed: EventEnvelope | None = None

    @property
    def raw(self) -> bytes:
        if self.wire is not None:
            return self.wire
        return orjson.dumps((self.sealed or self.envelope).model_dump(mode="json"))

    def log_values(self) -> dict[str, Any]:
        env = self.envelope
        values: dict[str, Any] = {
            "case_id": str(env.case_id) if env.case_id else None,
            "correlation_id": str(env.correlation_id),
            "event_type": env.event_type,
            "event_id": str(env.event_id),
        }
        if self.via:
            values["via"] = self.via
        return values


@dataclass
class _Outcome:
    """What one batch transaction did: applied (True) or met before (False) for each event
    before `failed`, the index of the first event whose handler failed (None: none did)."""

    applied: list[bool]
    failed: int | None = None
    error: Exception | None = None


class _BatchFailed(Exception):
    """The batch handler failed: which event did is found event by event (savepoints)."""


@dataclass(frozen=True)
class BatchHandler:
    """Applies a run of events at once, with one statement per kind of write, where each
    event's handler would run the same statements one event at a time (a service's
    projection). Used for a batch whose events are all of `event_types`; the per-event
    handlers remain, and take over when it fails (to find the failing event)."""

    event_types: frozenset[str]
    apply: Callable[[asyncpg.Connection, Sequence[EventEnvelope]], Awaitable[None]]


class _HandlerFailed(Exception):
    """The handler of the batch's `index`-th event failed without a savepoint: the
    batch's transaction is rolled back whole."""

    def __init__(self, index: int, error: Exception) -> None:
        super().__init__(index, error)
        self.index, self.error = index, error


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
        attempts: int = ATTEMPTS,
        backoff: float = BACKOFF_SECONDS,
        retry: RetryPolicy | None = None,
        batch_size: int = BATCH_SIZE,
        batch_handler: BatchHandler | None = None,
    ) -> None:
        self.pool = pool
        self.schema = schema
        self.handlers = dict(handlers)
        self.batch_handler = batch_handler
        self.dead_letter = dead_letter
        self.attempts = attempts
        self.backoff = backoff  # seconds; doubled per attempt
        # Deterministic failures: `attempts` tries; transient ones (database gone, try
        # again): up to a minute (shared/retry.py).
        self.retry = retry or RetryPolicy(attempts=attempts, backoff=backoff)
        self.batch_size = batch_size
        self.applied = 0  # events applied by this consumer (a drain's measure)
        # How far behind the store live delivery has been since the periodic catch-up last
        # asked (`live_lag_since_asked`): the catch-up leaves that much more alone.
        self._live_lag = 0.0

    @property
    def event_types(self) -> list[str]:
        return sorted(self.handlers)

    async def apply(self, envelope: EventEnvelope) -> bool:
        """Apply one event in one transaction; False if it had been applied before."""
        handler = self.handlers.get(envelope.event_type)
        if handler is None:
            return False
        async with self.pool.acquire() as conn, conn.transaction():
            envelope = (await open_envelopes(conn, [envelope]))[0]  # a replayed dead letter
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
        self.applied += 1
        metrics.event_applied(self.schema, envelope.event_type)
        return True

    async def deliver(self, raw: bytes, *, topic: str = "", origin: Origin | None = None) -> None:
        """Take one Kafka message: a batch of one."""
        await self.deliver_batch([Record(raw, topic, origin or Origin())])

    @fresh_log_context  # nothing of the previous batch is logged with this one
    async def deliver_batch(self, records: Sequence[Record]) -> None:
        """Take a batch of Kafka records (of event topics): decode each (what cannot be
        decoded is dead-lettered), keep what the event store confirms, and apply the rest
        in one transaction (see the module's docstring). When this returns, every effect
        and dead letter of the batch is committed: the caller may commit the offsets."""
        started = time.perf_counter()
        pending: list[_Pending] = []
        for record in records:
            envelope = await self._decode(record)
            if envelope is not None and envelope.event_type in self.handlers:
                pending.append(_Pending(envelope, record.topic, record.raw, record.origin))
        if not pending:
            return
        decoded = time.perf_counter()
        trusted = await self._confirmed_by_the_store(pending)
        confirmed = time.perf_counter()
        applied = await self._apply_batch(trusted)
        done = time.perf_counter()
        self._live_lag = max(
            self._live_lag, lag_seconds((p.envelope for p in trusted), datetime.now(UTC))
        )
        ms = round((done - started) * 1000, 2)
        # Where a slow batch spent its time: decoding, the store's confirmation (with the
        # keys), the transaction (the phases of batch_ms, in ms).
        phases = [
            round((b - a) * 1000, 1)
            for a, b in itertools.pairwise((started, decoded, confirmed, done))
        ]
        for p, now in applied:
            with log_scope(**p.log_values()):
                log.info(
                    "event_handled",
                    topic=p.topic,
                    applied=now,
                    duplicate=not now,
                    batch=len(records),
                    batch_ms=ms,
                    batch_phases_ms=phases,
                )

    def live_lag_since_asked(self) -> float:
        """The most live delivery has lagged behind the store (seconds from an event's
        recording to its batch being applied) since the last call."""
        lag, self._live_lag = self._live_lag, 0.0
        return lag

    async def _decode(self, record: Record) -> EventEnvelope | None:
        try:
            envelope = EventEnvelope.model_validate(orjson.loads(record.raw))
            if envelope.event_type in self.handlers:
                # validates the schema (with upcasting) before any effect; personal fields
                # are sealed on the wire, opened once the store has confirmed the batch
                shape_of(envelope).payload()
        except (orjson.JSONDecodeError, ValidationError, UnknownEventType, ValueError) as exc:
            with log_scope():
                await self._dead_letter(
                    record.topic,
                    record.raw,
                    record.origin.uuid_header("event_id"),
                    None,
                    f"undecodable: {exc}",
                    record.origin,
                )
            return None
        return envelope

    async def _confirmed_by_the_store(self, pending: list[_Pending]) -> list[_Pending]:
        """Consumers trust the store, not the wire: one query for the batch keeps the
        events whose id is in the event store with the same content (type, stream,
        metadata, data); the others are dead-lettered as `not_in_store`. The relay
        publishes only what has committed, so a real event is always there.

        The same query brings the data keys of the batch's subjects, and what is kept is
        returned with its personal fields opened (keys live no longer than the batch, so
        none outlives an erasure): one round trip, where a batch waits on each in turn."""
        envs = [p.envelope for p in pending]
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                """
                SELECT u.event_id, NULL::uuid AS subject_id, NULL::bytea AS wrapped_key
                FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::int[],
                    $6::jsonb[], $7::uuid[], $8::text[], $9::uuid[], $10::uuid[], $11::text[],
                    $12::text[], $13::timestamptz[], $14::bigint[])
                    AS u(event_id, event_type, schema_version, stream_id, stream_version,
                        data, case_id, office, correlation_id, causation_id, actor, channel,
                        occurred_at, global_position)
                JOIN eventstore.events e ON e.event_id = u.event_id
                WHERE e.event_type = u.event_type AND e.schema_version = u.schema_version
                  AND e.stream_id = u.stream_id AND e.stream_version = u.stream_version
                  AND e.data = u.data
                  AND e.case_id IS NOT DISTINCT FROM u.case_id
                  AND e.office IS NOT DISTINCT FROM u.office
                  AND e.correlation_id = u.correlation_id
                  AND e.causation_id IS NOT DISTINCT FROM u.causation_id
                  AND e.actor = u.actor AND e.channel IS NOT DISTINCT FROM u.channel
                  AND e.occurred_at = u.occurred_at
                  AND e.global_position = u.global_position
                UNION ALL
                SELECT NULL, subject_id, wrapped_key FROM eventstore.subjects
                WHERE subject_id = ANY($15::uuid[])
                """,
                [e.event_id for e in envs],
                [e.event_type for e in envs],
                [e.schema_version for e in envs],
                [e.stream_id for e in envs],
                [e.stream_version for e in envs],
                [e.data for e in envs],
                [e.case_id for e in envs],
                [e.office for e in envs],
                [e.correlation_id for e in envs],
                [e.causation_id for e in envs],
                [e.actor for e in envs],
                [e.channel for e in envs],
                [e.occurred_at for e in envs],
                [e.global_position for e in envs],
                list(subjects_of(envs)),
            )
        known = {r["event_id"] for r in rows if r["event_id"] is not None}
        trusted: list[_Pending] = []
        for p in pending:
            if p.envelope.event_id in known:
                trusted.append(p)
                continue
            with log_scope(**p.log_values()):
                log.warning("event_not_in_store", topic=p.topic)
                await self._dead_letter(
                    p.topic,
                    p.raw,
                    p.envelope.event_id,
                    p.envelope.event_type,
                    f"{NOT_IN_STORE}: no event with this id and this content in the event store"
                    f" (only its owner's outbox publishes an event; outside systems write to"
                    f" {ADAPTERS_TOPIC})",
                    p.origin,
                    NOT_IN_STORE,
                )
        trusted_envs = [p.envelope for p in trusted]
        subjects = subjects_of(trusted_envs)
        if not subjects:
            return trusted
        # Only the kept events' subjects must have a key: a forged event naming a subject
        # that has none is dead-lettered above, not a poison for its batch.
        keys = unwrapped_keys((r for r in rows if r["event_id"] is None), subjects)
        opened = opened_with(trusted_envs, keys)
        return [replace(p, envelope=e) for p, e in zip(trusted, opened, strict=True)]

    async def _apply_batch(
        self, pending: list[_Pending], *, unless_dead_lettered_before: bool = False
    ) -> list[tuple[_Pending, bool]]:
        """Apply events in order, as few transactions as their failures allow; return
        each event that was not dead-lettered with whether it was applied now (True) or
        before (False)."""
        done: list[tuple[_Pending, bool]] = []
        ids: set[UUID] = set()
        rest: list[_Pending] = []
        for p in pending:  # the same event twice in one batch (a redelivery): once
            if p.envelope.event_id in ids:
                done.append((p, False))
            else:
                ids.add(p.envelope.event_id)
                rest.append(p)
        while rest:
            try:
                outcome = await self._in_one_transaction(rest)
            except Exception as exc:
                # The batch as a whole failed (a lost connection, a deadlock): nothing of
                # it committed; take its events one at a time, as before batches.
                log.warning("event_batch_failed", events=len(rest), error=repr(exc))
                for p in rest:
                    with log_scope(**p.log_values()):
                        now = await self._apply_or_dead_letter(p, unless_dead_lettered_before)
                    if now is not None:
                        done.append((p, now))
                return done
            done.extend(zip(rest, outcome.applied, strict=False))
            self.applied += sum(outcome.applied)
            for p, now in zip(rest, outcome.applied, strict=False):
                if now:
                    metrics.event_applied(self.schema, p.envelope.event_type)
            if outcome.failed is None:
                return done
            failing = rest[outcome.failed]
            assert outcome.error is not None
            with log_scope(**failing.log_values()):
                now = await self._retry_or_dead_letter(
                    failing, outcome.error, 1, unless_dead_lettered_before
                )
            if now is not None:
                done.append((failing, now))
            rest = rest[outcome.failed + 1 :]
        return done

    async def _in_one_transaction(self, batch: list[_Pending]) -> _Outcome:
        """One transaction for the batch, without a savepoint per handler (two round trips
        per event fewer). When a handler fails, that transaction is rolled back whole; the
        events before the failing one are applied again in one transaction, and the
        outcome is as a savepoint's: what came before committed, the failing event to be
        retried on its own. (Should the second run fail too, the batch is applied with a
        savepoint per handler, `_with_savepoints`.) A batch of one (most batches at a
        trickle) needs no savepoint either: if it fails, nothing came before it."""
        try:
            return await self._without_savepoints(batch)
        except _BatchFailed:
            return await self._with_savepoints(batch)
        except _HandlerFailed as failed:
            index, error = failed.index, failed.error
        try:
            outcome = await self._without_savepoints(batch[:index]) if index else _Outcome([])
        except (_HandlerFailed, _BatchFailed):
            return await self._with_savepoints(batch)
        outcome.failed, outcome.error = index, error
        return outcome

    async def _record_fresh(self, conn: asyncpg.Connection, batch: list[_Pending]) -> set[UUID]:
        """Record the batch's event ids (one statement); return those not recorded before."""
        rows = await conn.fetch(
            f"""INSERT INTO "{self.schema}".processed_events
                    (event_id, event_type, global_position)
                SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[])
                ORDER BY 1  -- one lock order for every batch: no deadlock between two
                ON CONFLICT (event_id) DO NOTHING RETURNING event_id""",
            [p.envelope.event_id for p in batch],
            [p.envelope.event_type for p in batch],
            [p.envelope.global_position for p in batch],
        )
        return {r["event_id"] for r in rows}

    async def _without_savepoints(self, batch: list[_Pending]) -> _Outcome:
        """Every handler of the batch in one transaction, no savepoint; the first failure
        rolls the whole of it back (`_HandlerFailed`)."""
        outcome = _Outcome([])
        async with self.pool.acquire() as conn, conn.transaction():
            fresh = await self._record_fresh(conn, batch)
            run = [p.envelope for p in batch if p.envelope.event_id in fresh]
            by_batch = self.batch_handler
            if (
                by_batch is not None
                and len(run) > 1
                and all(e.event_type in by_batch.event_types for e in run)
            ):
                try:
                    await by_batch.apply(conn, run)
                except Exception as exc:
                    log.warning("event_batch_apply_failed", events=len(run), error=repr(exc))
                    raise _BatchFailed() from exc
                outcome.applied = [p.envelope.event_id in fresh for p in batch]
                return outcome
            for i, p in enumerate(batch):
                if p.envelope.event_id not in fresh:
                    outcome.applied.append(False)
                    continue
                with log_scope(**p.log_values()):
                    try:
                        await self.handlers[p.envelope.event_type](conn, p.envelope)
                    except Exception as exc:
                        log.warning("event_apply_failed", attempt=1, error=repr(exc))
                        raise _HandlerFailed(i, exc) from exc
                outcome.applied.append(True)
        return outcome

    async def _with_savepoints(self, batch: list[_Pending]) -> _Outcome:
        """One transaction: record the batch's event ids (one statement; those recorded
        before are not applied again), run each handler in a savepoint. At the first
        handler that fails, forget the ids from it on and commit what came before."""
        outcome = _Outcome([])
        async with self.pool.acquire() as conn, conn.transaction():
            fresh = await self._record_fresh(conn, batch)
            for i, p in enumerate(batch):
                if p.envelope.event_id not in fresh:
                    outcome.applied.append(False)
                    continue
                handler = self.handlers[p.envelope.event_type]
                with log_scope(**p.log_values()):
                    try:
                        async with conn.transaction():  # a savepoint: a failure leaves nothing
                            await handler(conn, p.envelope)
                    except Exception as exc:
                        log.warning("event_apply_failed", attempt=1, error=repr(exc))
                        await conn.execute(
                            f"""DELETE FROM "{self.schema}".processed_events
                                WHERE event_id = ANY($1::uuid[])""",
                            [
                                q.envelope.event_id
                                for q in batch[i:]
                                if q.envelope.event_id in fresh
                            ],
                        )
                        outcome.failed, outcome.error = i, exc
                        return outcome  # commits the events before it
                outcome.applied.append(True)
        return outcome

    async def _apply_or_dead_letter(
        self, p: _Pending, unless_dead_lettered_before: bool = False
    ) -> bool | None:
        """Apply one event in its own transaction, retrying and dead-lettering as below."""
        try:
            return await self.apply(p.envelope)
        except Exception as exc:
            log.warning("event_apply_failed", attempt=1, error=repr(exc))
            return await self._retry_or_dead_letter(p, exc, 1, unless_dead_lettered_before)

    async def _retry_or_dead_letter(
        self, p: _Pending, error: Exception, failed: int, unless_dead_lettered_before: bool
    ) -> bool | None:
        """An event failed `failed` times: retry it on its own (bounded, with back-off);
        after the last attempt dead-letter it with its reason. True if applied now, False
        if applied before, None if dead-lettered. `unless_dead_lettered_before`: an event
        this service already dead-lettered (live, from Kafka) is not dead-lettered a
        second time."""
        attempt, first = failed, time.monotonic()
        while (delay := self.retry.delay(attempt, error, time.monotonic() - first)) is not None:
            await asyncio.sleep(delay)
            attempt += 1
            try:
                return await self.apply(p.envelope)
            except Exception as exc:
                log.warning("event_apply_failed", attempt=attempt, error=repr(exc))
                error = exc
        # A refusal is dead-lettered with its domain reason, not as a failure.
        code = error.code if isinstance(error, Refused) else None
        reason = f"{code}: {error}" if code else f"failed: {error!r}"
        if unless_dead_lettered_before and await self._dead_lettered_before(p.envelope.event_id):
            log.warning("event_dead_lettered_before", reason=reason[:500])
            return None
        env = p.envelope
        await self._dead_letter(
            p.topic, p.raw, env.event_id, env.event_type, reason, p.origin, code
        )
        return None

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
        first = time.monotonic()
        for attempt in itertools.count(1):
            try:
                await handler(raw, origin)
            except Refused as refusal:
                reason = f"{refusal.code}: {refusal.message}"
                await self._dead_letter(topic, raw, event_id, None, reason, origin, refusal.code)
                return
            except Exception as exc:
                log.warning("record_handle_failed", attempt=attempt, error=repr(exc))
                delay = self.retry.delay(attempt, exc, time.monotonic() - first)
                if delay is None:
                    reason = f"failed: {exc!r}"
                    await self._dead_letter(topic, raw, event_id, None, reason, origin)
                    return
                await asyncio.sleep(delay)
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
    async def catch_up(self, *, batch: int = 1000, settled_seconds: float | None = None) -> int:
        """Apply from the event store whatever Kafka has not brought (e.g. broker restart).

        `settled_seconds` (the periodic catch-up's): only events recorded at least that
        long ago, and the checkpoint stops before the first younger one; live delivery
        applies those meanwhile, and whatever it never brings is taken next time.

        Each read batch is applied as live delivery applies one, in one transaction; a
        failing event is retried on its own (bounded, with back-off), then dead-lettered
        with its reason, original key and headers (event id, correlation id). The
        checkpoint then moves past it, so one bad event never holds back the ones after
        it. An event already dead-lettered live is not dead-lettered twice."""
        total = 0
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                f'SELECT transaction_id, position FROM "{self.schema}".store_checkpoint'
            )
        cp = saved = Checkpoint(row["transaction_id"], row["position"]) if row else Checkpoint()
        while True:
            async with self.pool.acquire() as conn:
                events, new_cp = await read_all(
                    conn,
                    cp,
                    limit=batch,
                    event_types=self.event_types,
                    settled_seconds=settled_seconds,
                    opened=False,
                    unless_processed_in=self.schema,
                )
                opened = await open_envelopes(conn, events)
            pending = [
                _Pending(
                    env,
                    EVENT_TYPES[env.event_type].topic,
                    None,
                    store_origin(env),
                    via="store",
                    sealed=sealed,
                )
                for env, sealed in zip(opened, events, strict=True)
            ]
            done = await self._apply_batch(pending, unless_dead_lettered_before=True)
            total += sum(now for _, now in done)
            # The end: nothing more to read (a page short of `batch` is no sign of it, as
            # what live delivery applied is left out of each page).
            if new_cp == cp:
                if cp != saved:
                    await self._save_checkpoint(cp)
                return total
            # Saved after a page that applied something; a page of events live delivery
            # had applied moves it only in memory (saved at the end): a periodic catch-up
            # walks a busy half-minute's events, and a commit per page of them, in every
            # service at once, was a stall of its own. Cut short, the next one walks them
            # again, as cheaply.
            if pending:
                await self._save_checkpoint(new_cp)
                saved = new_cp
            cp = new_cp

    async def _save_checkpoint(self, cp: Checkpoint) -> None:
        async with self.pool.acquire() as conn:
            await conn.execute(
                f"""INSERT INTO "{self.schema}".store_checkpoint (transaction_id, position)
                    VALUES ($1, $2) ON CONFLICT (id) DO UPDATE
                    SET transaction_id = $1, position = $2, updated_at = clock_timestamp()""",
                cp.transaction_id,
                cp.position,
            )


def lag_seconds(envelopes: Iterable[EventEnvelope], now: datetime) -> float:
    """How long the oldest of `envelopes` had been in the store at `now` (0 for none)."""
    recorded = [e.recorded_at for e in envelopes if e.recorded_at is not None]
    return max(0.0, (now - min(recorded)).total_seconds()) if recorded else 0.0


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
