"""A run's appends held back and written at once: the consumer's batch handlers' event log.

A policy run event by event (`shared/unit_of_work.py`: load, decide, append) costs a round
trip for each stream's version and two for each append (its subjects, then its rows). A
consumer applying a run of events at once (`shared.consumer.BatchHandler`) decides each
one in memory with the same domain code and lets this hold the appends:

* `load_versions(streams)`: the versions of every stream the run will append to, in one
  statement; `version(stream)` then answers from memory (what is queued included);
* `append(stream, expected_version, events, meta, then=...)`: queued, checked against the
  version known here (a second append to the same stream in the run goes after the first);
  `then` gets the stored envelopes once they are written (a projection row that names the
  events, for instance);
* `flush()`: every queued append in one `EventStore.append_many` (one round for the
  subjects, one for the events and their outbox rows), in the consumer's transaction.

What the event store enforces still holds: a stream another writer moved since its version
was read makes the whole write fail with `ConcurrencyError` (the unique stream version),
and the consumer takes the run again event by event; the outbox rows commit with the
events, and the relay is woken after the commit (`store._wake_after_commit`).

`event_scope(envelope)` is the log context of one event of a run: the same ids the
consumer binds for an event it applies on its own (case, correlation, type, event id).
`run_log_context()` does the same for a run's events one after the other, at a seventh of
the cost (the four ids bound over the previous event's, nothing cleared in between): for a
loop whose code binds nothing else.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog

from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.eventstore.store import Append, ConcurrencyError, EventStore
from shared.logging import log_scope

Then = Callable[[list[EventEnvelope]], None]


async def stream_versions(conn: asyncpg.Connection, stream_ids: Iterable[str]) -> dict[str, int]:
    """Each stream's version (0: no such stream yet), in one statement."""
    wanted = sorted(set(stream_ids))
    if not wanted:
        return {}
    rows = await conn.fetch(
        """SELECT u.stream_id, coalesce(
                  (SELECT max(e.stream_version) FROM eventstore.events e
                   WHERE e.stream_id = u.stream_id), 0) AS version
           FROM unnest($1::text[]) AS u(stream_id)""",
        wanted,
    )
    return {r["stream_id"]: int(r["version"]) for r in rows}


@dataclass(frozen=True)
class _Queued:
    append: Append
    then: Then | None


class DeferredAppends:
    """Appends of one run, held until `flush` (see the module's docstring)."""

    def __init__(self, conn: asyncpg.Connection, store: EventStore) -> None:
        self.conn = conn
        self.store = store
        self._versions: dict[str, int] = {}
        self._queued: list[_Queued] = []

    async def load_versions(self, stream_ids: Iterable[str]) -> None:
        """Read the versions of the streams not known here yet (one statement)."""
        missing = [s for s in stream_ids if s not in self._versions]
        self._versions.update(await stream_versions(self.conn, missing))

    async def version(self, stream_id: str) -> int:
        if stream_id not in self._versions:
            await self.load_versions([stream_id])
        return self._versions[stream_id]

    async def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[Event],
        meta: EventMetadata,
        *,
        then: Then | None = None,
    ) -> None:
        """Queue `events` after `expected_version`; ConcurrencyError at once if that is not
        the stream's version as known here (its store version, plus what is queued)."""
        if not events:
            return
        if await self.version(stream_id) != expected_version:
            raise ConcurrencyError(stream_id, expected_version)
        self._versions[stream_id] = expected_version + len(events)
        self._queued.append(_Queued(Append(stream_id, expected_version, list(events), meta), then))

    @property
    def pending(self) -> int:
        """Events queued and not yet written."""
        return sum(len(q.append.events) for q in self._queued)

    async def flush(self) -> list[EventEnvelope]:
        """Write every queued append at once (in the caller's transaction), hand each its
        envelopes (`then`), and return them all in the order they were queued."""
        queued, self._queued = self._queued, []
        if not queued:
            return []
        try:
            stored = await self.store.append_many(self.conn, [q.append for q in queued])
        except ConcurrencyError:
            # Another writer: what is known here is stale (the caller's transaction is
            # rolled back and the run taken again).
            self._versions.clear()
            raise
        at = 0
        for q in queued:
            mine = stored[at : at + len(q.append.events)]
            at += len(q.append.events)
            if q.then is not None:
                q.then(mine)
        return stored


def event_log_values(envelope: EventEnvelope) -> dict[str, Any]:
    """The ids a log line about one event carries (as the consumer binds them)."""
    return {
        "case_id": str(envelope.case_id) if envelope.case_id else None,
        "correlation_id": str(envelope.correlation_id),
        "event_type": envelope.event_type,
        "event_id": str(envelope.event_id),
    }


@contextlib.contextmanager
def event_scope(envelope: EventEnvelope) -> Iterator[None]:
    """The log context of one event of a run applied at once."""
    with log_scope(**event_log_values(envelope)):
        yield


@contextlib.contextmanager
def run_log_context() -> Iterator[Callable[[EventEnvelope], None]]:
    """`with run_log_context() as naming: ... naming(envelope)`: from each call on, log
    lines carry that event's ids (bound over the previous event's: the same four keys, so
    nothing of one event is logged with the next, as long as the loop's code binds no
    other key); on leaving, the context is as it was before."""
    saved = structlog.contextvars.get_contextvars()

    def naming(envelope: EventEnvelope) -> None:
        structlog.contextvars.bind_contextvars(**event_log_values(envelope))

    try:
        yield naming
    finally:
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(**saved)
