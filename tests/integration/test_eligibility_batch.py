"""Eligibility checks a run of registrations at once (issue 15.1): the registry and the
case streams read in one statement each, the verdicts appended in one round
(`shared.deferred_append`), the `checks` rows in one statement. The events, their outbox
rows and the rows come out as they do event by event; a redelivered run changes nothing;
an event that fails in a run is found, retried and dead-lettered alone. Real PostgreSQL."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson
import pytest
import structlog

from services.eligibility.bootstrap import MIGRATIONS
from services.eligibility.domain.decision import decide as domain_decide
from services.eligibility.entrypoints.consumers import batch_handler, build_handlers
from services.eligibility.service_layer import when_complaint_registered_check_eligibility
from services.eligibility.service_layer.load_demo_registry import load_demo_registry
from shared.catalogue import Catalogue, load_catalogue
from shared.consumer import BatchHandler, Consumer, Record, store_origin
from shared.contracts.base import EventEnvelope, EventMetadata
from shared.contracts.events import DtksNotFound
from shared.contracts.streams import eligibility_stream
from shared.deferred_append import DeferredAppends, stream_versions
from shared.eventstore.store import ConcurrencyError, EventStore, read_all
from shared.settings import Settings
from tests.integration.conftest import with_store_and_service
from tests.integration.test_eligibility_checks import CASES, register

pytestmark = pytest.mark.integration

STORE = EventStore("eligibility")


@pytest.fixture
async def ready(pool: asyncpg.Pool, settings: Settings) -> Catalogue:
    """The store, eligibility's schema and the demo registry; the catalogue."""
    assert settings.database_url
    await with_store_and_service(pool, settings.database_url, "eligibility", MIGRATIONS)
    async with pool.acquire() as conn:
        await load_demo_registry(conn, only_if_empty=True)
    return load_catalogue(settings.slrt_catalogue_dir)


async def _registrations(pool: asyncpg.Pool) -> list[EventEnvelope]:
    """Every kind of check (tests.integration.test_eligibility_checks), twice over, and one
    of a service the catalogue does not know: as published (personal fields sealed)."""
    for _ in range(2):
        for office, service, nik, proxy, _expected in CASES:
            await register(pool, office=office, service=service, nik=nik, proxy_nik=proxy)
    await register(pool, office="mataram", service="no-such-service", nik="5271011505800001")
    async with pool.acquire() as conn:
        envelopes, _ = await read_all(conn, limit=1000, opened=False)
    return [e for e in envelopes if e.event_type == "ComplaintRegistered"]


def _records(envelopes: list[EventEnvelope]) -> list[Record]:
    return [
        Record(orjson.dumps(e.model_dump(mode="json")), "intake.events", store_origin(e))
        for e in envelopes
    ]


async def _state(pool: asyncpg.Pool) -> dict[str, Any]:
    """Eligibility's events (opened), their outbox rows and its `checks` rows, with what
    differs between two runs of the same input left out (event ids, positions, times); a
    check row names its events by (stream, version)."""
    async with pool.acquire() as conn:
        envelopes, _ = await read_all(conn, limit=10_000)
        outbox = {
            r["global_position"]: (r["topic"], r["key"], r["sent_at"] is None)
            for r in await conn.fetch("SELECT * FROM eventstore.outbox WHERE owner = 'eligibility'")
        }
        metadata = {
            r["event_id"]: r["metadata"]
            for r in await conn.fetch(
                "SELECT event_id, metadata FROM eventstore.events WHERE owner = 'eligibility'"
            )
        }
        checks = await conn.fetch("SELECT * FROM eligibility.checks ORDER BY id")
    mine = [e for e in envelopes if e.stream_id.startswith("eligibility-")]
    named = {str(e.event_id): (e.stream_id, e.stream_version) for e in mine}
    events = sorted(
        (
            e.stream_id,
            e.stream_version,
            e.event_type,
            e.schema_version,
            orjson.dumps(e.data, option=orjson.OPT_SORT_KEYS),
            e.case_id,
            e.office,
            e.correlation_id,
            e.causation_id,
            e.actor,
            e.channel,
            orjson.dumps(metadata[e.event_id], option=orjson.OPT_SORT_KEYS),
            outbox[e.global_position],
        )
        for e in mine
    )
    rows = [
        {
            **{k: v for k, v in dict(r).items() if k not in ("id", "checked_at", "events")},
            "events": [{**x, "event_id": named[x["event_id"]]} for x in r["events"]],
        }
        for r in checks
    ]
    return {"events": events, "outbox": len(outbox), "checks": rows}


async def _forget_eligibility(pool: asyncpg.Pool) -> None:
    """Eligibility's events, outbox rows, checks and processed ids gone (the store is
    append-only: its trigger is set aside for this, in the test's database only)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM eventstore.outbox WHERE owner = 'eligibility'")
        await conn.execute("ALTER TABLE eventstore.events DISABLE TRIGGER events_append_only")
        await conn.execute("DELETE FROM eventstore.events WHERE owner = 'eligibility'")
        await conn.execute("ALTER TABLE eventstore.events ENABLE TRIGGER events_append_only")
        await conn.execute("TRUNCATE eligibility.checks, eligibility.processed_events")


def _counted(consumer: Consumer) -> list[int]:
    """The lengths of the runs the consumer's batch handler is given, as they come."""
    runs: list[int] = []
    original = consumer.batch_handler
    assert original is not None

    async def counted(conn: asyncpg.Connection, run: Any) -> None:
        runs.append(len(run))
        await original.apply(conn, run)

    consumer.batch_handler = BatchHandler(original.event_types, counted)
    return runs


async def test_a_run_gives_the_events_and_rows_event_by_event_gives(
    pool: asyncpg.Pool, ready: Catalogue
) -> None:
    envelopes = await _registrations(pool)
    one_by_one = Consumer(pool, "eligibility", build_handlers(ready, STORE))
    for e in envelopes:
        await one_by_one.deliver_batch(_records([e]))
    expected = await _state(pool)
    assert len(expected["checks"]) == len(envelopes) == 2 * len(CASES) + 1
    assert expected["outbox"] == len(expected["events"]) == 2 * sum(len(c[4]) for c in CASES)
    assert expected["checks"][-1]["dtks_reason"] == "unknown_service"

    await _forget_eligibility(pool)
    batched = Consumer(
        pool, "eligibility", build_handlers(ready, STORE), batch_handler=batch_handler(ready, STORE)
    )
    runs = _counted(batched)
    await batched.deliver_batch(_records(envelopes))
    assert runs == [len(envelopes)]  # every one of them in one run
    assert await _state(pool) == expected

    # Delivered again (Kafka is at least once): nothing changes, nothing is run.
    await batched.deliver_batch(_records(envelopes))
    assert runs == [len(envelopes)]
    assert await _state(pool) == expected
    # Half of it again with the other half new: only the new half is run.
    await _forget_eligibility(pool)
    await batched.deliver_batch(_records(envelopes[::2]))
    await batched.deliver_batch(_records(envelopes))
    assert runs == [len(envelopes), len(envelopes[::2]), len(envelopes[1::2])]
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM eligibility.checks") == len(envelopes)
        assert await conn.fetchval("SELECT count(*) FROM eligibility.processed_events") == len(
            envelopes
        )


async def test_a_failing_event_in_a_run_is_dead_lettered_alone(
    pool: asyncpg.Pool, ready: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    envelopes = await _registrations(pool)
    poisoned = envelopes[4]
    assert poisoned.case_id is not None

    def decide(registered: Any, rules: Any, member: Any) -> Any:
        if registered.case_id == poisoned.case_id:
            raise RuntimeError("this one cannot be decided")
        return domain_decide(registered, rules, member)

    monkeypatch.setattr(when_complaint_registered_check_eligibility, "decide", decide)
    consumer = Consumer(
        pool,
        "eligibility",
        build_handlers(ready, STORE),
        batch_handler=batch_handler(ready, STORE),
        attempts=2,
        backoff=0.01,
    )
    runs = _counted(consumer)
    await consumer.deliver_batch(_records(envelopes))
    # Tried at once, then event by event (savepoints) to find the failing one; what
    # comes after it goes on at once.
    assert runs == [len(envelopes), len(envelopes) - envelopes.index(poisoned) - 1]
    async with pool.acquire() as conn:
        dead = await conn.fetch("SELECT event_id, reason FROM eligibility.dead_letters")
        checked = {r["case_id"] for r in await conn.fetch("SELECT case_id FROM eligibility.checks")}
        processed = await conn.fetchval("SELECT count(*) FROM eligibility.processed_events")
    assert [(r["event_id"], "cannot be decided" in r["reason"]) for r in dead] == [
        (poisoned.event_id, True)
    ]
    assert checked == {e.case_id for e in envelopes} - {poisoned.case_id}
    assert processed == len(envelopes) - 1
    # The others are as event by event would have left them: each case's verdicts once.
    async with pool.acquire() as conn:
        per_stream = await conn.fetch(
            """SELECT stream_id, count(*) AS n FROM eventstore.events
               WHERE owner = 'eligibility' GROUP BY stream_id"""
        )
    assert all(r["n"] <= 2 for r in per_stream)
    assert eligibility_stream(poisoned.case_id) not in {r["stream_id"] for r in per_stream}


async def test_the_store_still_refuses_a_stream_moved_meanwhile(
    pool: asyncpg.Pool, ready: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deferred appends keep the expected-version check: a stream another writer moved
    after its version was read fails the whole write (`ConcurrencyError`); the consumer
    then takes the run event by event, which reads the stream again."""
    envelopes = await _registrations(pool)
    target = envelopes[0]
    assert target.case_id is not None
    stream = eligibility_stream(target.case_id)
    meta = EventMetadata(case_id=target.case_id, office="mataram", actor="system:test")
    verdict = DtksNotFound(case_id=target.case_id, nik=None, reason="nik_missing")
    async with pool.acquire() as conn, conn.transaction():
        deferred = DeferredAppends(conn, STORE)
        await deferred.load_versions([stream])
        assert await stream_versions(conn, [stream, "nothing-here"]) == {
            stream: 0,
            "nothing-here": 0,
        }
        await deferred.append(stream, 0, [verdict], meta)
        with pytest.raises(ConcurrencyError):
            await deferred.append(stream, 0, [verdict], meta)  # queued: now at version 1
        async with pool.acquire() as other, other.transaction():
            await STORE.append(other, stream, 0, [verdict], meta)  # another writer, first
        with pytest.raises(ConcurrencyError):
            await deferred.flush()  # (the transaction is aborted: nothing of it is kept)

    # In the consumer: another writer moves a stream of the run between the run's read of
    # the versions and its write.
    other_case = envelopes[1]
    assert other_case.case_id is not None
    moved = eligibility_stream(other_case.case_id)
    real_flush = DeferredAppends.flush
    interfered: list[str] = []

    async def flush(self: DeferredAppends) -> list[EventEnvelope]:
        if not interfered:
            interfered.append(moved)
            async with pool.acquire() as other, other.transaction():
                await STORE.append(other, moved, 0, [verdict], meta)
        return await real_flush(self)

    monkeypatch.setattr(DeferredAppends, "flush", flush)
    consumer = Consumer(
        pool, "eligibility", build_handlers(ready, STORE), batch_handler=batch_handler(ready, STORE)
    )
    await consumer.deliver_batch(_records(envelopes))
    assert interfered == [moved]
    async with pool.acquire() as conn:
        versions = {
            r["stream_id"]: r["versions"]
            for r in await conn.fetch(
                """SELECT stream_id, array_agg(stream_version ORDER BY stream_version)
                       AS versions
                   FROM eventstore.events WHERE stream_id = ANY($1::text[])
                   GROUP BY stream_id""",
                [stream, moved],
            )
        }
        dead = await conn.fetchval("SELECT count(*) FROM eligibility.dead_letters")
        processed = await conn.fetchval("SELECT count(*) FROM eligibility.processed_events")
        checks = await conn.fetchval("SELECT count(*) FROM eligibility.checks")
    # The first writer's at 1 (kept), then the check's after it.
    assert versions == {stream: [1, 2], moved: [1, 2]}
    assert dead == 0 and processed == checks == len(envelopes)


class LogLines:
    """Stands in for a module's logger: each line with the log context it was logged in
    (what the service's log would carry)."""

    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []

    def _line(self, event: str, **values: Any) -> None:
        self.lines.append({**structlog.contextvars.get_contextvars(), **values, "event": event})

    info = warning = error = _line


async def test_each_events_log_lines_name_its_case_and_flow(
    pool: asyncpg.Pool, ready: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No log context is bound per event of a run: the lines name the event themselves."""
    envelopes = await _registrations(pool)
    logged = LogLines()
    monkeypatch.setattr(when_complaint_registered_check_eligibility, "log", logged)
    consumer = Consumer(
        pool, "eligibility", build_handlers(ready, STORE), batch_handler=batch_handler(ready, STORE)
    )
    runs = _counted(consumer)
    await consumer.deliver_batch(_records(envelopes))
    assert runs == [len(envelopes)]
    by_id = {str(e.event_id): e for e in envelopes}
    assert sorted(x["event_id"] for x in logged.lines) == sorted(by_id)  # one line each
    for line in logged.lines:
        envelope = by_id[line["event_id"]]
        assert line["case_id"] == str(envelope.case_id), line
        assert line["correlation_id"] == str(envelope.correlation_id), line
        assert line["event_type"] == "ComplaintRegistered"
    assert {x["event"] for x in logged.lines} == {
        "eligibility_checked",
        "eligibility_unknown_service",
    }
