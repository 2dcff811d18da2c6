"""Append with an expected version; read a stream, a case, or everything by position.

`append` writes the events and their outbox rows in the caller's transaction, so a
service's decision and the fact that it must be published commit together or not at all.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from shared.after_commit import after_commit
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.eventstore.subjects import Sealed, ToSeal, open_envelopes, seal_appends

MIGRATIONS = Path(__file__).parent / "migrations"
SCHEMA = "eventstore"

_COLUMNS = """global_position, transaction_id::text AS transaction_id, event_id, stream_id,
    stream_version, event_type, schema_version, data, case_id, office, correlation_id,
    causation_id, actor, channel, occurred_at, recorded_at"""

# `read_all`'s page: events after a checkpoint ($1 transaction, $2 position), of the given
# types ($4, NULL for all), only from transactions older than every one still in flight,
# in (transaction, position) order, $3 at most. Qualified: a bare `transaction_id` would be
# the text column of the select list, and "10" sorts before "9" (events skipped or read
# twice whenever transaction ids gain a digit).
_PAGE = """WHERE (e.transaction_id, e.global_position) > ($1::text::xid8, $2)
      AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
      AND ($4::text[] IS NULL OR e.event_type = ANY($4::text[]))
    ORDER BY e.transaction_id, e.global_position
    LIMIT $3"""
# Whether an event was recorded at least $5 seconds ago (NULL: every event is).
_SETTLED = """($5::float8 IS NULL OR e.recorded_at
        < clock_timestamp() - make_interval(secs => $5::float8)) AS settled"""


# Who to wake when a service's appends commit: its outbox relay, in this process (see
# outbox.py). No NOTIFY (it would serialise every commit, see eventstore migration 002).
_on_append: dict[str, list[Callable[[], None]]] = {}


def on_append(owner: str, callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` after each commit of a transaction in which `owner` appended (in
    this process): when it runs, the events are visible. Returns a function that removes
    the callback."""
    _on_append.setdefault(owner, []).append(callback)
    return lambda: _on_append.get(owner, []).remove(callback)


def _wake_owner(owner: str) -> None:
    for wake in _on_append.get(owner, ()):
        wake()


def _wake_after_commit(conn: asyncpg.Connection, owner: str) -> None:
    """Wake `owner`'s relays once the transaction on `conn` commits, not if it rolls back
    (`shared.after_commit`): whoever owns the transaction (a unit of work, a consumer's
    batch, a group commit, a plain `conn.transaction()`) need do nothing."""
    if not _on_append.get(owner):
        return  # nobody in this process to wake (a test, a rebuild)
    # Once per transaction, however many appends it made for the owner.
    after_commit(conn, functools.partial(_wake_owner, owner), key=("eventstore", owner))


@dataclass(frozen=True)
class Append:
    """One stream's share of a multi-stream append (see EventStore.append_many)."""

    stream_id: str
    expected_version: int
    events: Sequence[Event]
    meta: EventMetadata


class ConcurrencyError(Exception):
    """Someone else appended to the stream since it was read. Reload and decide again."""

    def __init__(self, stream_id: str, expected_version: int) -> None:
        super().__init__(
            f"stream {stream_id!r} has moved past version {expected_version}; reload and retry"
        )
        self.stream_id = stream_id
        self.expected_version = expected_version


@dataclass(frozen=True, order=True)
class Checkpoint:
    """Where a reader by position stands: (writing transaction, global position)."""

    transaction_id: int = 0
    position: int = 0


def envelope_from_row(row: Any) -> EventEnvelope:
    return EventEnvelope(
        event_id=row["event_id"],
        event_type=row["event_type"],
        schema_version=row["schema_version"],
        stream_id=row["stream_id"],
        stream_version=row["stream_version"],
        global_position=row["global_position"],
        case_id=row["case_id"],
        office=row["office"],
        correlation_id=row["correlation_id"],
        causation_id=row["causation_id"],
        actor=row["actor"],
        channel=row["channel"],
        occurred_at=row["occurred_at"],
        recorded_at=row["recorded_at"],
        data=row["data"],
    )


class EventStore:
    """The store as seen by one service: it appends to the streams that service owns."""

    def __init__(self, owner: str) -> None:
        self.owner = owner

    async def append(
        self,
        conn: asyncpg.Connection,
        stream_id: str,
        expected_version: int,
        events: Sequence[Event],
        meta: EventMetadata,
        *,
        occurred_at: datetime | None = None,
        publish: bool = True,
    ) -> list[EventEnvelope]:
        """Append `events` after `expected_version` (0 = new stream).

        Must run inside a transaction; raises ConcurrencyError if the stream has moved.
        """
        return await self.append_many(
            conn,
            [Append(stream_id, expected_version, events, meta)],
            occurred_at=occurred_at,
            publish=publish,
        )

    async def append_many(
        self,
        conn: asyncpg.Connection,
        appends: Sequence[Append],
        *,
        occurred_at: datetime | None = None,
        publish: bool = True,
    ) -> list[EventEnvelope]:
        """Append to several streams in one statement (one round trip, however many).

        Must run inside a transaction; raises ConcurrencyError if any stream has moved.
        """
        stored, _ = await self.append_many_with_subjects(
            conn, appends, occurred_at=occurred_at, publish=publish
        )
        return stored

    async def append_many_with_subjects(
        self,
        conn: asyncpg.Connection,
        appends: Sequence[Append],
        *,
        occurred_at: datetime | None = None,
        publish: bool = True,
    ) -> tuple[list[EventEnvelope], list[Sealed]]:
        """`append_many`, and for each append the subject (with its data key) its personal
        fields were sealed for: a caller that keeps what the same person sent in its own
        tables, in the same transaction, seals it with that key rather than finding the
        subject again (intake's group commit: one round trip fewer per batch). The key
        is the caller's for its transaction only, like `shared.at_rest.sealers_for`'s."""
        rows_in = [
            (a, v, e) for a in appends for v, e in enumerate(a.events, start=a.expected_version + 1)
        ]
        if not rows_in:
            return [], [Sealed([]) for _ in appends]
        if not conn.is_in_transaction():
            raise RuntimeError("append must run inside a transaction")
        occurred = occurred_at or datetime.now(UTC)
        metas = {id(a): a.meta.model_dump(mode="json") for a in appends}
        # Personal fields leave this process only sealed with their subject's key
        # (shared/eventstore/subjects.py): in the table, the outbox and on Kafka.
        plain = [
            ToSeal(
                a.meta.case_id,
                a.meta.correlation_id,
                [(e.event_type, e.model_dump(mode="json")) for e in a.events],
            )
            for a in appends
        ]
        sealed_appends = await seal_appends(conn, plain)
        sealed = [d for a in sealed_appends for d in a.data]
        plain_data = [d for p in plain for _, d in p.data]
        try:
            rows = await conn.fetch(
                """
                WITH appended AS (
                    INSERT INTO eventstore.events (event_id, stream_id, stream_version,
                        event_type, schema_version, data, metadata, case_id, office,
                        correlation_id, causation_id, actor, channel, owner, occurred_at)
                    SELECT u.event_id, u.stream_id, u.version, u.event_type, u.schema_version,
                        u.data, u.metadata, u.case_id, u.office, u.correlation_id,
                        u.causation_id, u.actor, u.channel, $1, $2
                    FROM unnest($3::uuid[], $4::text[], $5::int[], $6::text[], $7::int[],
                        $8::jsonb[], $9::jsonb[], $10::uuid[], $11::text[], $12::uuid[],
                        $13::uuid[], $14::text[], $15::text[])
                        WITH ORDINALITY AS u(event_id, stream_id, version, event_type,
                            schema_version, data, metadata, case_id, office, correlation_id,
                            causation_id, actor, channel, n)
                    ORDER BY u.n
                    RETURNING global_position, transaction_id::text AS transaction_id,
                        event_id, stream_id, stream_version, event_type, schema_version, data,
                        case_id, office, correlation_id, causation_id, actor, channel,
                        occurred_at, recorded_at
                ), published AS (
                    INSERT INTO eventstore.outbox (global_position, owner, topic, key)
                    SELECT a.global_position, $1, t.topic, t.key
                    FROM appended a
                    JOIN unnest($3::uuid[], $16::text[], $17::text[]) AS t(event_id, topic, key)
                        USING (event_id)
                    WHERE $18
                )
                SELECT * FROM appended ORDER BY global_position
                """,
                self.owner,
                occurred,
                [uuid4() for _ in rows_in],
                [a.stream_id for a, _, _ in rows_in],
                [v for _, v, _ in rows_in],
                [e.event_type for _, _, e in rows_in],
                [e.schema_version for _, _, e in rows_in],
                sealed,
                [metas[id(a)] for a, _, _ in rows_in],
                [a.meta.case_id for a, _, _ in rows_in],
                [a.meta.office for a, _, _ in rows_in],
                [a.meta.correlation_id for a, _, _ in rows_in],
                [a.meta.causation_id for a, _, _ in rows_in],
                [a.meta.actor for a, _, _ in rows_in],
                [a.meta.channel.value if a.meta.channel else None for a, _, _ in rows_in],
                [e.topic for _, _, e in rows_in],
                # Keyed by case, so one case stays on one partition, in order.
                [str(a.meta.case_id) if a.meta.case_id else a.stream_id for a, _, _ in rows_in],
                publish,
            )
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == "events_stream_version_unique":
                moved = next(
                    (a for a in appends if f"({a.stream_id}," in (exc.detail or "")), appends[0]
                )
                raise ConcurrencyError(moved.stream_id, moved.expected_version) from exc
            raise
        if publish:
            _wake_after_commit(conn, self.owner)
        # The caller gets its events as it gave them (rows come back in the input's order).
        stored = [
            envelope_from_row(r).model_copy(update={"data": d})
            for r, d in zip(rows, plain_data, strict=True)
        ]
        return stored, sealed_appends


async def stream_version(conn: asyncpg.Connection, stream_id: str) -> int:
    v = await conn.fetchval(
        "SELECT max(stream_version) FROM eventstore.events WHERE stream_id = $1", stream_id
    )
    return int(v or 0)


async def read_stream(conn: asyncpg.Connection, stream_id: str) -> list[EventEnvelope]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM eventstore.events WHERE stream_id = $1 ORDER BY stream_version",
        stream_id,
    )
    return await open_envelopes(conn, [envelope_from_row(r) for r in rows])


async def read_case(
    conn: asyncpg.Connection, case_id: UUID, *, until: datetime | None = None
) -> list[EventEnvelope]:
    """Every event of one case in store order; `until` gives the case as it was then."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM eventstore.events
            WHERE case_id = $1 AND ($2::timestamptz IS NULL OR recorded_at <= $2)
            ORDER BY global_position""",
        case_id,
        until,
    )
    return await open_envelopes(conn, [envelope_from_row(r) for r in rows])


async def read_all(
    conn: asyncpg.Connection,
    after: Checkpoint = Checkpoint(),
    *,
    limit: int = 1000,
    event_types: Sequence[str] | None = None,
    settled_seconds: float | None = None,
    opened: bool = True,
    unless_processed_in: str | None = None,
) -> tuple[list[EventEnvelope], Checkpoint]:
    """Events after `after`, never skipping one that commits late.

    A sequence number can become visible after a larger one (two transactions, committing
    in the other order). So only events written by transactions older than every
    transaction still in flight (`pg_snapshot_xmin`) are handed out, ordered by
    (transaction, position); anything newer waits for the next call.

    `settled_seconds`: stop at the first event recorded less than that long ago (it and
    those after it wait for a later call), so a periodic catch-up leaves alone what live
    delivery is about to bring. `opened=False`: with their personal fields sealed, as
    stored.

    `unless_processed_in` (a consuming service's schema): events that schema's
    `processed_events` already holds are left out (the checkpoint still moves past them).
    A periodic catch-up mostly finds what live delivery has applied; building, unsealing
    and re-checking those took seconds of the consumer's event loop after a busy minute.
    """
    args = (
        str(after.transaction_id),
        after.position,
        limit,
        list(event_types) if event_types is not None else None,
        settled_seconds,
    )
    if unless_processed_in is None:
        rows = await conn.fetch(
            f"SELECT {_COLUMNS}, {_SETTLED} FROM eventstore.events e {_PAGE}", *args
        )
        if settled_seconds is not None:
            rows = list(itertools.takewhile(lambda r: r["settled"], rows))
        if not rows:
            return [], after
        last = rows[-1]
    else:
        # The page's keys first, with whether each event is applied already; whole rows
        # are read only for those that are not. A periodic catch-up mostly finds applied
        # events, so most of its pages end with this query. The applied look is one index
        # probe per event (a lateral with LIMIT): as an EXISTS, the planner hashed the
        # service's whole `processed_events` for every page, a cost that grows with
        # everything the service ever applied.
        keys = await conn.fetch(
            f"""SELECT e.transaction_id::text AS transaction_id, e.global_position,
                    {_SETTLED}, applied.done IS NOT NULL AS done
                FROM eventstore.events e LEFT JOIN LATERAL (
                    SELECT true AS done FROM "{unless_processed_in}".processed_events p
                    WHERE p.event_id = e.event_id LIMIT 1) AS applied ON true
                {_PAGE}""",
            *args,
        )
        if settled_seconds is not None:
            keys = list(itertools.takewhile(lambda r: r["settled"], keys))
        if not keys:
            return [], after
        last = keys[-1]
        wanted = [k["global_position"] for k in keys if not k["done"]]
        rows = []
        if wanted:
            rows = await conn.fetch(
                f"""SELECT {_COLUMNS} FROM eventstore.events e
                    WHERE global_position = ANY($1::bigint[])
                    ORDER BY e.transaction_id, e.global_position""",
                wanted,
            )
    envelopes = [envelope_from_row(r) for r in rows]
    return await open_envelopes(conn, envelopes) if opened else envelopes, Checkpoint(
        int(last["transaction_id"]), last["global_position"]
    )
