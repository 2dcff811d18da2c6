"""A batch of Kafka records is applied in one transaction (issue 15.1): a poison event in
the middle applies the others and is dead-lettered with its reason; a redelivered batch
changes nothing; logs carry each event's own case and correlation ids; an event the store
does not have is dead-lettered `not_in_store` (16.3); the relay is woken only once the
appending transaction has committed (15.3). Real PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from uuid import uuid4

import asyncpg
import orjson
import pytest
import structlog
from structlog.testing import capture_logs

from shared.consumer import BatchHandler, Consumer, Origin, Record, handles, store_origin
from shared.contracts.base import EventEnvelope, EventMetadata
from shared.contracts.events import CaseAssigned, DtksNotFound
from shared.contracts.streams import eligibility_stream
from shared.contracts.vocab import Role
from shared.eventstore.store import Checkpoint, EventStore, on_append, read_all
from shared.logging import get_logger
from shared.personal import PREFIX, is_sealed
from shared.runtime import migrate_service

pytestmark = pytest.mark.integration

log = get_logger(__name__)
TOPIC = CaseAssigned.topic


class Probe:
    """Writes one row per event (no key: twice applied shows as two rows); fails for
    the assignees it is told to."""

    def __init__(self, failing: set[str] | None = None) -> None:
        self.failing = failing or set()
        self.calls: list[str] = []

    async def __call__(
        self, conn: asyncpg.Connection, event: CaseAssigned, envelope: EventEnvelope
    ) -> None:
        self.calls.append(event.assignee)
        log.warning("probe_saw", assignee=event.assignee)
        # Written before failing: the savepoint must take it back.
        await conn.execute(
            "INSERT INTO notifications.probe_rows (event_id, assignee) VALUES ($1, $2)",
            envelope.event_id,
            event.assignee,
        )
        if event.assignee in self.failing:
            raise RuntimeError(f"poison: {event.assignee}")


async def _prepare(database_url: str, pool: asyncpg.Pool) -> None:
    await migrate_service(database_url, "notifications", None)
    async with pool.acquire() as conn:
        await conn.execute(
            "CREATE TABLE notifications.probe_rows (event_id uuid, assignee text,"
            " tx_started timestamptz NOT NULL DEFAULT now())"
        )


async def _assigned(pool: asyncpg.Pool, *assignees: str) -> list[EventEnvelope]:
    out = []
    for assignee in assignees:
        case_id = uuid4()
        event = CaseAssigned(
            case_id=case_id, assignee=assignee, role=Role.SOCIAL_WORKER, assigned_by="t"
        )
        meta = EventMetadata(case_id=case_id, office="lumajang", actor="staff:t")
        async with pool.acquire() as conn, conn.transaction():
            out += await EventStore(owner="casework").append(
                conn, f"case-{case_id}", 0, [event], meta
            )
    return out


def _records(envelopes: list[EventEnvelope]) -> list[Record]:
    """As the relay publishes them: the envelope, keyed by case, with its headers."""
    return [
        Record(orjson.dumps(e.model_dump(mode="json")), TOPIC, store_origin(e)) for e in envelopes
    ]


async def _rows(pool: asyncpg.Pool, sql: str) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return list(await conn.fetch(sql))


async def test_a_poison_event_in_the_middle_of_a_batch_is_dead_lettered_and_the_rest_applied(
    database_url: str, pool: asyncpg.Pool
) -> None:
    await _prepare(database_url, pool)
    envs = await _assigned(pool, "sw-1", "sw-2", "sw-poison", "sw-4", "sw-5")
    poison = envs[2]
    probe = Probe({"sw-poison"})
    consumer = Consumer(pool, "notifications", handles(CaseAssigned, probe), backoff=0.01)

    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as lines:
        await consumer.deliver_batch(_records(envs))

    # In order; the poison one tried three times (once in the batch, twice on its own).
    # The batch runs without savepoints: its transaction is rolled back at the poison
    # event, and what came before it is applied again (its effects once: the rows below).
    assert probe.calls == [
        *["sw-1", "sw-2", "sw-poison"],
        *["sw-1", "sw-2"],
        *["sw-poison", "sw-poison"],
        *["sw-4", "sw-5"],
    ]
    rows = await _rows(pool, "SELECT event_id, assignee FROM notifications.probe_rows")
    assert sorted(r["assignee"] for r in rows) == ["sw-1", "sw-2", "sw-4", "sw-5"]
    processed = await _rows(pool, "SELECT event_id FROM notifications.processed_events")
    assert {r["event_id"] for r in processed} == {e.event_id for e in envs} - {poison.event_id}
    [dead] = await _rows(pool, "SELECT * FROM notifications.dead_letters")
    assert dead["event_id"] == poison.event_id and dead["event_type"] == "CaseAssigned"
    assert dead["reason"] == "failed: RuntimeError('poison: sw-poison')"
    assert dead["key"] == str(poison.case_id).encode() and dead["topic"] == TOPIC
    assert dict(dead["headers"])["correlation_id"] == str(poison.correlation_id)
    assert orjson.loads(dead["raw"])["event_id"] == str(poison.event_id)
    # Each line carries its own event's case and correlation ids, inside the batch too.
    by_assignee = {e.data["assignee"]: e for e in envs}
    for line in lines:
        if line["event"] == "probe_saw":
            env = by_assignee[line["assignee"]]
            assert line["case_id"] == str(env.case_id)
            assert line["correlation_id"] == str(env.correlation_id)
    [dead_line] = [x for x in lines if x["event"] == "event_dead_lettered"]
    assert dead_line["case_id"] == str(poison.case_id)
    failed = [x for x in lines if x["event"] == "event_apply_failed"]
    assert [x["attempt"] for x in failed] == [1, 2, 3]
    assert {x["case_id"] for x in failed} == {str(poison.case_id)}

    # The same batch again (Kafka redelivers what was not committed): nothing changes.
    calls = list(probe.calls)
    await consumer.deliver_batch(_records(envs))
    assert len(await _rows(pool, "SELECT * FROM notifications.probe_rows")) == 4
    assert len(await _rows(pool, "SELECT * FROM notifications.processed_events")) == 4
    # The poison one is met again (it was never applied): retried, dead-lettered again.
    assert probe.calls[len(calls) :] == ["sw-poison"] * 3
    assert len(await _rows(pool, "SELECT * FROM notifications.dead_letters")) == 2


async def test_a_batch_without_failures_is_one_transaction_and_a_redelivery_changes_nothing(
    database_url: str, pool: asyncpg.Pool
) -> None:
    await _prepare(database_url, pool)
    envs = await _assigned(pool, *(f"sw-{i}" for i in range(20)))
    probe = Probe()
    consumer = Consumer(pool, "notifications", handles(CaseAssigned, probe))
    records = _records(envs)
    await consumer.deliver_batch(records + records[:3])  # three of them twice already

    # One transaction wrote every effect (`now()` is its start) and every processed id.
    [tx] = await _rows(
        pool,
        """SELECT count(DISTINCT p.tx_started) AS effects, count(DISTINCT e.xmin::text) AS ids,
               count(*) AS n
           FROM notifications.probe_rows p
           JOIN notifications.processed_events e USING (event_id)""",
    )
    assert (tx["effects"], tx["ids"], tx["n"]) == (1, 1, 20)
    before = await _rows(pool, "SELECT * FROM notifications.probe_rows ORDER BY event_id")
    assert len(before) == 20
    await consumer.deliver_batch(list(reversed(records)))
    assert await _rows(pool, "SELECT * FROM notifications.probe_rows ORDER BY event_id") == before
    assert probe.calls == [f"sw-{i}" for i in range(20)]
    assert await _rows(pool, "SELECT * FROM notifications.dead_letters") == []


async def test_an_event_the_store_does_not_have_is_dead_lettered_not_in_store(
    database_url: str, pool: asyncpg.Pool
) -> None:
    await _prepare(database_url, pool)
    real, altered_source = await _assigned(pool, "sw-real", "sw-altered")
    probe = Probe()
    consumer = Consumer(pool, "notifications", handles(CaseAssigned, probe))
    # Never in the store: a forged id. And a real id with its content changed.
    forged = real.model_copy(update={"event_id": uuid4(), "case_id": uuid4()})
    altered = altered_source.model_copy(
        update={"data": {**altered_source.data, "assignee": "sw-intruder"}}
    )
    origin = Origin(key=b"forged", headers=(("event_id", str(forged.event_id).encode()),))
    await consumer.deliver_batch(
        [
            Record(orjson.dumps(forged.model_dump(mode="json")), TOPIC, origin),
            *_records([real, altered]),
        ]
    )
    assert probe.calls == ["sw-real"]
    dead = await _rows(pool, "SELECT * FROM notifications.dead_letters ORDER BY id")
    assert [d["event_id"] for d in dead] == [forged.event_id, altered.event_id]
    assert {d["reason_code"] for d in dead} == {"not_in_store"}
    assert all(d["reason"].startswith("not_in_store: ") for d in dead)
    assert dead[0]["key"] == b"forged"
    processed = await _rows(pool, "SELECT event_id FROM notifications.processed_events")
    assert [r["event_id"] for r in processed] == [real.event_id]


async def test_the_relay_is_woken_after_the_commit_and_not_for_a_rollback(
    database_url: str, pool: asyncpg.Pool
) -> None:
    await _prepare(database_url, pool)
    woken: list[bool] = []
    seen_by_another: list[int] = []

    async def look() -> None:
        async with pool.acquire() as other:
            seen_by_another.append(
                int(await other.fetchval("SELECT count(*) FROM eventstore.events"))
            )

    remove = on_append("casework-wake-test", lambda: woken.append(True))
    store = EventStore(owner="casework-wake-test")
    case_id = uuid4()
    event = CaseAssigned(case_id=case_id, assignee="sw-1", role=Role.SOCIAL_WORKER, assigned_by="t")
    meta = EventMetadata(case_id=case_id, office="lumajang", actor="staff:t")
    try:
        async with pool.acquire() as conn:
            tx = conn.transaction()
            await tx.start()
            await store.append(conn, f"case-{case_id}", 0, [event], meta)
            await asyncio.sleep(0.05)
            assert woken == []  # appended, not committed: nobody would find it
            await tx.commit()
            await asyncio.sleep(0)  # the wake runs just after the COMMIT returns
            assert woken == [True]
            await look()
            assert seen_by_another == [1]

            tx = conn.transaction()
            await tx.start()
            await store.append(conn, f"case-{case_id}", 1, [event], meta)
            await tx.rollback()
            await asyncio.sleep(0.05)
            assert woken == [True]  # nothing committed, nobody woken
            async with conn.transaction():  # the connection's next transaction
                await conn.execute("SELECT 1")
            await asyncio.sleep(0.05)
            assert woken == [True]
    finally:
        remove()


async def test_a_batch_handler_writes_a_run_at_once_and_a_failing_run_is_taken_event_by_event(
    database_url: str, pool: asyncpg.Pool
) -> None:
    """Issue 15.1, the handlers' same-shape writes batched: a run whose events the batch
    handler covers is applied by it in one call; when that call fails, the batch is taken
    event by event (a savepoint each) so the failing event alone is dead-lettered."""
    await _prepare(database_url, pool)
    probe = Probe({"sw-poison"})
    runs: list[list[str]] = []

    async def apply_run(conn: asyncpg.Connection, envelopes: Sequence[EventEnvelope]) -> None:
        runs.append([e.data["assignee"] for e in envelopes])
        await conn.executemany(
            "INSERT INTO notifications.probe_rows (event_id, assignee) VALUES ($1, $2)",
            [(e.event_id, e.data["assignee"]) for e in envelopes],
        )
        if any(e.data["assignee"] == "sw-poison" for e in envelopes):
            raise RuntimeError("poison in the run")

    consumer = Consumer(
        pool,
        "notifications",
        handles(CaseAssigned, probe),
        backoff=0.01,
        batch_handler=BatchHandler(frozenset({CaseAssigned.event_type}), apply_run),
    )
    clean = await _assigned(pool, "sw-a", "sw-b", "sw-c")
    await consumer.deliver_batch(_records(clean))
    assert runs == [["sw-a", "sw-b", "sw-c"]] and probe.calls == []  # one call, no handler

    mixed = await _assigned(pool, "sw-d", "sw-poison", "sw-e")
    await consumer.deliver_batch(_records(mixed))
    assert runs[1] == ["sw-d", "sw-poison", "sw-e"]  # tried as a run, rolled back whole
    assert probe.calls[:2] == ["sw-d", "sw-poison"]  # then event by event
    rows = await _rows(pool, "SELECT assignee FROM notifications.probe_rows")
    assert sorted(r["assignee"] for r in rows) == ["sw-a", "sw-b", "sw-c", "sw-d", "sw-e"]
    [dead] = await _rows(pool, "SELECT event_id, reason FROM notifications.dead_letters")
    assert dead["event_id"] == mixed[1].event_id
    assert dead["reason"] == "failed: RuntimeError('poison: sw-poison')"

    # Delivered again: nothing applied twice, by the run or by the handlers.
    await consumer.deliver_batch(_records(clean + mixed))
    rows = await _rows(pool, "SELECT assignee FROM notifications.probe_rows")
    assert len(rows) == 5


async def test_a_forged_event_naming_a_subject_without_a_key_does_not_poison_its_batch(
    database_url: str, pool: asyncpg.Pool
) -> None:
    """The store's confirmation brings the batch's data keys in the same query, and only
    the kept events' subjects must have one: a forged event whose sealed field names a
    subject nobody has is dead-lettered `not_in_store`, and the real event beside it is
    applied with its personal fields opened."""
    await _prepare(database_url, pool)
    case_id = uuid4()
    event = DtksNotFound(case_id=case_id, nik="3571000000000001", reason="not_listed")
    meta = EventMetadata(case_id=case_id, office="lumajang", actor="service:eligibility")
    async with pool.acquire() as conn, conn.transaction():
        await EventStore(owner="eligibility").append(
            conn, eligibility_stream(case_id), 0, [event], meta
        )
    async with pool.acquire() as conn:
        stored, _ = await read_all(conn, Checkpoint(), opened=False)
    [real] = [e for e in stored if e.case_id == case_id]  # as the relay publishes it
    assert is_sealed(real.data["nik"])
    forged = real.model_copy(
        update={"event_id": uuid4(), "data": {**real.data, "nik": f"{PREFIX}{uuid4()}:"}}
    )
    seen: list[str | None] = []

    async def record_nik(
        conn: asyncpg.Connection, event: DtksNotFound, envelope: EventEnvelope
    ) -> None:
        seen.append(event.nik)

    consumer = Consumer(pool, "notifications", handles(DtksNotFound, record_nik))
    await consumer.deliver_batch(
        [
            Record(orjson.dumps(e.model_dump(mode="json")), DtksNotFound.topic, store_origin(e))
            for e in (forged, real)
        ]
    )
    assert seen == ["3571000000000001"]
    dead = await _rows(pool, "SELECT * FROM notifications.dead_letters")
    assert [(d["event_id"], d["reason_code"]) for d in dead] == [(forged.event_id, "not_in_store")]
