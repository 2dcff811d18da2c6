"""Dead letters for people: list them with their reason, replay them after a fix.

Each consuming service keeps what it could not decode or apply in `<service>.dead_letters`
(shared/consumer.py). Listing reads those tables (every service's, or one's); a replay takes
one dead letter back through the service's own consumer: the recorded event is applied as
live delivery applies it (one transaction, recorded in `processed_events`), so an event
applied in the meantime, or replayed twice, changes nothing the second time. A record of a
topic without envelopes (intake's outside adapters) goes back through its raw handler.

Every replay is a row of `<service>.dead_letter_replays` (who, when, result, detail): the
replay is an operator's act on the service's own table, not a fact of any case, so it is
kept beside the dead letter rather than as an event on the store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg
import orjson
from pydantic import ValidationError

from shared.consumer import Consumer, Origin, RawHandler
from shared.contracts.base import EventEnvelope, UnknownEventType
from shared.eventstore.subjects import shape_of
from shared.refusal import Refused

Result = Literal["applied", "already_applied", "not_handled", "failed"]
# A dead letter whose last replay ended so is done with; others are still open.
SETTLED: frozenset[str] = frozenset({"applied", "already_applied", "not_handled"})


@dataclass(frozen=True)
class DeadLetter:
    service: str
    id: int
    received_at: datetime
    topic: str | None
    event_id: str | None
    event_type: str | None
    reason_code: str | None
    reason: str
    replays: int
    last_result: str | None  # of the latest replay; None: never replayed
    last_replayed_at: datetime | None
    last_replayed_by: str | None

    @property
    def ref(self) -> str:
        """How an operator names it: `<service>:<id>`."""
        return f"{self.service}:{self.id}"

    @property
    def open(self) -> bool:
        return self.last_result not in SETTLED

    def as_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            **asdict(self),
            "received_at": self.received_at.isoformat(),
            "last_replayed_at": self.last_replayed_at.isoformat()
            if self.last_replayed_at
            else None,
            "open": self.open,
        }


@dataclass(frozen=True)
class Replayed:
    service: str
    dead_letter_id: int
    result: Result
    detail: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"ref": f"{self.service}:{self.dead_letter_id}", **asdict(self)}


async def services_with_dead_letters(conn: asyncpg.Connection) -> list[str]:
    """The schemas that keep dead letters (every service that ever consumed)."""
    rows = await conn.fetch(
        """SELECT table_schema FROM information_schema.tables
            WHERE table_name = 'dead_letters' ORDER BY table_schema"""
    )
    return [r["table_schema"] for r in rows]


async def _has_replays_table(conn: asyncpg.Connection, service: str) -> bool:
    return bool(
        await conn.fetchval(
            """SELECT EXISTS (SELECT 1 FROM information_schema.tables
                WHERE table_schema = $1 AND table_name = 'dead_letter_replays')""",
            service,
        )
    )


async def list_dead_letters(
    conn: asyncpg.Connection,
    service: str,
    *,
    ids: Sequence[int] | None = None,
    only_open: bool = False,
) -> list[DeadLetter]:
    """One service's dead letters, oldest first, each with its latest replay (if any)."""
    if await _has_replays_table(conn, service):
        last = f"""LEFT JOIN LATERAL (
                     SELECT count(*) OVER () AS n, r.result, r.replayed_at, r.replayed_by
                       FROM "{service}".dead_letter_replays r
                      WHERE r.dead_letter_id = d.id ORDER BY r.id DESC LIMIT 1) last ON true"""
        cols = "coalesce(last.n, 0) AS replays, last.result, last.replayed_at, last.replayed_by"
    else:  # a schema not migrated since replays were recorded: never replayed
        last = ""
        cols = "0 AS replays, NULL AS result, NULL AS replayed_at, NULL AS replayed_by"
    rows = await conn.fetch(
        f"""SELECT d.id, d.received_at, d.topic, d.event_id, d.event_type, d.reason_code,
                   d.reason, {cols}
              FROM "{service}".dead_letters d {last}
             WHERE ($1::bigint[] IS NULL OR d.id = ANY($1::bigint[]))
             ORDER BY d.id""",
        list(ids) if ids is not None else None,
    )
    letters = [
        DeadLetter(
            service=service,
            id=r["id"],
            received_at=r["received_at"],
            topic=r["topic"],
            event_id=str(r["event_id"]) if r["event_id"] else None,
            event_type=r["event_type"],
            reason_code=r["reason_code"],
            reason=r["reason"],
            replays=r["replays"],
            last_result=r["result"],
            last_replayed_at=r["replayed_at"],
            last_replayed_by=r["replayed_by"],
        )
        for r in rows
    ]
    return [d for d in letters if d.open] if only_open else letters


async def replay(
    consumer: Consumer,
    raw_handlers: Mapping[str, RawHandler],
    *,
    ids: Sequence[int] | None,
    by: str,
) -> list[Replayed]:
    """Replay the named dead letters of `consumer`'s service (None: every open one), each
    once, through the consumer; record each replay. Unknown ids are refused up front."""
    service = consumer.schema
    async with consumer.pool.acquire() as conn:
        letters = await list_dead_letters(conn, service, ids=ids, only_open=ids is None)
    if ids is not None:
        missing = sorted(set(ids) - {d.id for d in letters})
        if missing:
            raise Refused(
                "dead_letter_not_found",
                f"{service} has no dead letter {', '.join(map(str, missing))}",
                status=404,
            )
    done: list[Replayed] = []
    for letter in letters:
        async with consumer.pool.acquire() as conn:
            raw, key, headers = await conn.fetchrow(
                f'SELECT raw, key, headers FROM "{service}".dead_letters WHERE id = $1',
                letter.id,
            )
        origin = Origin(key=key, headers=tuple((k, v.encode()) for k, v in _headers(headers)))
        result, detail = await _replay_one(consumer, raw_handlers, letter, bytes(raw), origin)
        async with consumer.pool.acquire() as conn:
            await conn.execute(
                f"""INSERT INTO "{service}".dead_letter_replays
                        (dead_letter_id, replayed_by, result, detail)
                    VALUES ($1, $2, $3, $4)""",
                letter.id,
                by,
                result,
                detail,
            )
        done.append(Replayed(service, letter.id, result, detail))
    return done


def _headers(value: Any) -> list[tuple[str, str]]:
    pairs = orjson.loads(value) if isinstance(value, str | bytes) else value
    return [(str(k), str(v)) for k, v in pairs or []]


async def _replay_one(
    consumer: Consumer,
    raw_handlers: Mapping[str, RawHandler],
    letter: DeadLetter,
    raw: bytes,
    origin: Origin,
) -> tuple[Result, str | None]:
    raw_handler = raw_handlers.get(letter.topic or "")
    try:
        if raw_handler is not None:
            await raw_handler(raw, origin)  # keeps and decides it; its own dedup holds
            return "applied", None
        envelope = EventEnvelope.model_validate(orjson.loads(raw))
        if envelope.event_type not in consumer.handlers:
            return "not_handled", f"{consumer.schema} has no handler for {envelope.event_type}"
        shape_of(envelope).payload()  # validates (with upcasting) before any effect
        applied = await consumer.apply(envelope)
    except Refused as refusal:
        return "failed", f"{refusal.code}: {refusal.message}"[:1000]
    except (orjson.JSONDecodeError, ValidationError, UnknownEventType, ValueError) as exc:
        return "failed", f"undecodable: {exc}"[:1000]
    except Exception as exc:
        return "failed", f"failed: {exc!r}"[:1000]
    return ("applied", None) if applied else ("already_applied", None)
