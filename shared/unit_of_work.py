"""The unit of work, the event log port, and the one "lock, fold, decide, append" runner.

Every use case in every service has the same shape (cosmicpython's): open a unit of work
(one transaction), load what it decides on through a repository (which takes the lock and
folds the stream), let the pure domain decide, append the new events (with their outbox
rows and the service's own projection) and commit. `decide_and_append` is that shape,
written once; commands and policies both run through it.

Two implementations of each port:

* `PostgresUnitOfWork` / `PostgresEventLog`: a pooled connection and a transaction (or,
  inside a consumer, the consumer's own connection and transaction: `joined`), and
  `shared.eventstore.EventStore` on it.
* `InMemoryUnitOfWork` / `InMemoryEventLog`: the same contract in memory, for fast unit
  tests of use cases with no PostgreSQL (a rollback forgets what was appended).

A service subclasses the unit of work to add its repositories (`self.cases = ...`).
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar
from uuid import UUID, uuid4

import asyncpg

from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.eventstore.store import (
    ConcurrencyError,
    EventStore,
    read_case,
    read_stream,
    stream_version,
)
from shared.logging import get_logger

log = get_logger(__name__)

S = TypeVar("S")
K = TypeVar("K")
K_contra = TypeVar("K_contra", contravariant=True)
U = TypeVar("U", bound="UnitOfWork")


# ---- the event log port ----------------------------------------------------------------


class EventLog(Protocol):
    """The event store as a use case sees it: inside its unit of work."""

    async def version(self, stream_id: str) -> int: ...

    async def read_stream(self, stream_id: str) -> list[EventEnvelope]: ...

    async def read_case(self, case_id: UUID) -> list[EventEnvelope]: ...

    async def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[Event],
        meta: EventMetadata,
    ) -> list[EventEnvelope]: ...


class PostgresEventLog:
    """`EventLog` on one connection inside its transaction."""

    def __init__(self, conn: asyncpg.Connection, store: EventStore) -> None:
        self.conn = conn
        self.store = store

    async def version(self, stream_id: str) -> int:
        return await stream_version(self.conn, stream_id)

    async def read_stream(self, stream_id: str) -> list[EventEnvelope]:
        return await read_stream(self.conn, stream_id)

    async def read_case(self, case_id: UUID) -> list[EventEnvelope]:
        return await read_case(self.conn, case_id)

    async def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[Event],
        meta: EventMetadata,
    ) -> list[EventEnvelope]:
        return await self.store.append(self.conn, stream_id, expected_version, events, meta)


class InMemoryEventLog:
    """`EventLog` in memory, with the store's contract: versions per stream, a global
    position, `ConcurrencyError` when a stream has moved. Appends are pending until the
    unit of work commits; a rollback forgets them."""

    def __init__(self, owner: str = "test") -> None:
        self.owner = owner
        self.committed: list[EventEnvelope] = []
        self.pending: list[EventEnvelope] = []

    def _all(self) -> list[EventEnvelope]:
        return self.committed + self.pending

    async def version(self, stream_id: str) -> int:
        return max((e.stream_version for e in self._all() if e.stream_id == stream_id), default=0)

    async def read_stream(self, stream_id: str) -> list[EventEnvelope]:
        return [e for e in self._all() if e.stream_id == stream_id]

    async def read_case(self, case_id: UUID) -> list[EventEnvelope]:
        return [e for e in self._all() if e.case_id == case_id]

    async def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[Event],
        meta: EventMetadata,
    ) -> list[EventEnvelope]:
        if await self.version(stream_id) != expected_version:
            raise ConcurrencyError(stream_id, expected_version)
        now = datetime.now(UTC)
        out = [
            EventEnvelope(
                event_id=uuid4(),
                event_type=e.event_type,
                schema_version=e.schema_version,
                stream_id=stream_id,
                stream_version=expected_version + n,
                global_position=len(self._all()) + n,
                case_id=meta.case_id,
                office=meta.office,
                correlation_id=meta.correlation_id,
                causation_id=meta.causation_id,
                actor=meta.actor,
                channel=meta.channel.value if meta.channel else None,
                occurred_at=now,
                recorded_at=now,
                data=e.model_dump(mode="json"),
            )
            for n, e in enumerate(events, start=1)
        ]
        self.pending.extend(out)
        return out

    def commit(self) -> None:
        self.committed.extend(self.pending)
        self.pending.clear()

    def rollback(self) -> None:
        self.pending.clear()


# ---- the unit of work ------------------------------------------------------------------


class UnitOfWork(abc.ABC):
    """One transaction. `async with uow:` then `await uow.commit()`; leaving the block
    without a commit rolls back (an exception, a refusal, or simply no commit)."""

    events: EventLog

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.rollback()

    @abc.abstractmethod
    async def commit(self) -> None: ...

    @abc.abstractmethod
    async def rollback(self) -> None: ...


class PostgresUnitOfWork(UnitOfWork):
    """A transaction on a pooled connection, or `joined` to a transaction someone else
    owns (a consumer's: the event id it records commits with the effect). A joined unit
    of work neither commits nor rolls back: its owner does."""

    def __init__(
        self,
        pool: asyncpg.Pool | None,
        store: EventStore,
        *,
        conn: asyncpg.Connection | None = None,
    ) -> None:
        if (pool is None) == (conn is None):
            raise ValueError("give a pool (own transaction) or a connection (joined), not both")
        self._pool = pool
        self.store = store
        self._conn = conn
        self._tx: asyncpg.transaction.Transaction | None = None
        self._done = False
        if conn is not None:
            self._on_connection()

    @classmethod
    def joined(cls, conn: asyncpg.Connection, store: EventStore) -> Self:
        """Inside a transaction someone else owns (a consumer's); subclasses with more
        constructor arguments override this."""
        return cls(None, store, conn=conn)

    @property
    def conn(self) -> asyncpg.Connection:
        if self._conn is None:
            raise RuntimeError("the unit of work is not open: use `async with`")
        return self._conn

    def _on_connection(self) -> None:
        """Build what lives on the connection; subclasses add their repositories."""
        self.events = PostgresEventLog(self.conn, self.store)

    async def __aenter__(self) -> Self:
        if self._pool is not None:
            conn = await self._pool.acquire()
            try:
                tx = conn.transaction()
                await tx.start()
            except BaseException:
                # A BEGIN that failed or was cancelled: `__aexit__` will not run, so the
                # connection goes back here (or the pool never closes).
                await self._pool.release(conn)
                raise
            self._conn, self._tx = conn, tx
            self._on_connection()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.rollback()
        except Exception as rollback_error:
            if exc is None:
                raise
            # The block's own exception is what the caller must see. A cancellation that
            # landed on COMMIT leaves asyncpg's transaction "in error state", and its
            # rollback raises InterfaceError: let that through and a worker's
            # `except Exception` would swallow its own stop. The release below rolls the
            # connection back.
            log.debug("rollback_skipped", error=repr(rollback_error), cause=repr(exc))
        finally:
            if self._pool is not None and self._conn is not None:
                conn, self._conn = self._conn, None
                await self._pool.release(conn)

    async def commit(self) -> None:
        if self._tx is not None and not self._done:
            await self._tx.commit()
            self._done = True

    async def rollback(self) -> None:
        if self._tx is not None and not self._done:
            self._done = True
            await self._tx.rollback()


class InMemoryUnitOfWork(UnitOfWork):
    """The fake: an `InMemoryEventLog` and a `committed` flag tests can assert on."""

    def __init__(self, events: InMemoryEventLog | None = None) -> None:
        self.events: InMemoryEventLog = events or InMemoryEventLog()
        self.committed = False

    async def commit(self) -> None:
        self.events.commit()
        self.committed = True

    async def rollback(self) -> None:
        self.events.rollback()


# ---- lock, fold, decide, append --------------------------------------------------------


@dataclass(frozen=True)
class Loaded(Generic[S]):
    """An aggregate's state as folded from its stream, and the version it was folded at."""

    state: S
    version: int


class Repository(Protocol[K_contra, S]):
    """What `decide_and_append` needs of an aggregate's repository."""

    async def load(self, key: K_contra) -> Loaded[S]:
        """Lock the aggregate (so concurrent deciders queue), fold it, give its version."""
        ...

    async def append(
        self, key: K_contra, version: int, events: Sequence[Event], meta: EventMetadata
    ) -> list[EventEnvelope]:
        """Append after `version` and project, in the unit of work's transaction."""
        ...


async def decide_and_append(
    new_uow: Callable[[], U],
    repository: Callable[[U], Repository[K, S]],
    key: K,
    decide: Callable[[S], Sequence[Event]],
    meta: EventMetadata,
    *,
    attempts: int = 3,
) -> list[EventEnvelope]:
    """The one use-case runner: open a unit of work, load (lock + fold), decide, append,
    commit. A decision refused by the domain raises `Refused` and nothing is written.
    If another writer moved the stream meanwhile (`ConcurrencyError`), decide again on
    the new state, up to `attempts` times (a policy inside a consumer passes 1: the
    consumer retries the whole event)."""
    for attempt in range(1, attempts + 1):
        try:
            async with new_uow() as uow:
                repo = repository(uow)
                loaded = await repo.load(key)
                new = list(decide(loaded.state))
                appended = await repo.append(key, loaded.version, new, meta) if new else []
                await uow.commit()
        except ConcurrencyError:
            if attempt == attempts:
                raise
            log.info("stream_moved_deciding_again", attempt=attempt)
            continue
        return appended
    raise AssertionError("unreachable")
