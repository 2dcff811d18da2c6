"""Notifications tells a run of events at once (issue 15.1): the run's contacts read in
one statement, the contacts and messages its policies keep written in one statement each
(`RunNotificationsUnitOfWork`); an event it does not tell the citizen about (a staff
notice) is applied where it stands. The tables, the staff notices' events and the
delivery worker's wakes come out as event by event; a redelivered run changes nothing; an
event that fails in a run is found, retried and dead-lettered alone. Real PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import orjson
import pytest

from services.notifications.adapters.directory import OfficeDirectory
from services.notifications.adapters.letter_links import SignedLetterLinks
from services.notifications.adapters.public_portal import PublicPortal
from services.notifications.domain import templates
from services.notifications.domain.notifications import notification_id
from services.notifications.entrypoints.consumers import build_consumers
from services.notifications.service_layer import notify_citizen
from shared.catalogue import load_catalogue
from shared.consumer import BatchHandler, Consumer, Handler, Record, store_origin
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.casework_events import CaseMerged
from shared.contracts.events import (
    Applicant,
    CaseAssigned,
    CaseResolved,
    ComplaintRegistered,
    DomicileRefused,
    DtksNotFound,
)
from shared.contracts.vocab import Channel, Role
from shared.eventstore.store import EventStore, read_all, stream_version
from shared.settings import Settings
from shared.unit_of_work import PostgresEventLog
from tests.integration.test_eligibility_batch import LogLines

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


async def _append(pool: asyncpg.Pool, owner: str, case_id: UUID, events: list[Event]) -> None:
    stream = f"{owner}-{case_id}"
    meta = EventMetadata(case_id=case_id, office="lumajang", actor=f"system:{owner}")
    async with pool.acquire() as conn, conn.transaction():
        version = await stream_version(conn, stream)
        await EventStore(owner).append(conn, stream, version, events, meta)


def _registered(case_id: UUID, channel: Channel, **applicant: Any) -> ComplaintRegistered:
    anonymous = not applicant
    return ComplaintRegistered(
        case_id=case_id,
        ticket_number=f"LMJ-2026-{case_id.int % 1_000_000:06d}",
        office="lumajang",
        service="kks-recommendation",
        channel=channel,
        applicant=Applicant(name="Warga Contoh", **applicant) if applicant else Applicant(),
        received_at=NOW,
        anonymous=anonymous,
    )


async def _events(pool: asyncpg.Pool) -> list[EventEnvelope]:
    """Cases reached by every kind of contact, told of what eligibility and casework
    decided (one told before its registration arrives, one merged into another, one
    assigned to staff in the middle of the run): as published."""
    cases = [uuid4() for _ in range(7)]
    await _append(pool, "eligibility", cases[0], [_not_found(cases[0])])  # before its case
    contacts: list[dict[str, Any]] = [
        {"phone": "081200000001"},
        {"email": "warga@example.org"},
        {"phone": "081200000003"},
        {},
        {"phone": "081200000005"},
        {"handle": "@warga_enam"},
        {"email": "lain@example.org"},
    ]
    channels = [
        Channel.WHATSAPP,
        Channel.EMAIL,
        Channel.TELEPHONE,
        Channel.WEBSITE,
        Channel.WALK_IN,
        Channel.INSTAGRAM,
        Channel.EMAIL,
    ]
    for case_id, channel, applicant in zip(cases, channels, contacts, strict=True):
        await _append(pool, "intake", case_id, [_registered(case_id, channel, **applicant)])
    await _append(pool, "eligibility", cases[1], [_not_found(cases[1])])
    await _append(
        pool,
        "eligibility",
        cases[2],
        [
            DomicileRefused(
                case_id=cases[2],
                required_region_code="35.08",
                found_region_code="35.09",
                basis="nik_region",
            )
        ],
    )
    await _append(
        pool,
        "casework",
        cases[4],
        [
            CaseAssigned(
                case_id=cases[4], assignee="lmj-officer", role=Role.OFFICER, assigned_by="b"
            )
        ],
    )
    await _append(
        pool,
        "casework",
        cases[5],
        [CaseMerged(case_id=cases[5], merged_into=cases[6], by="staff:lmj-fo")],
    )
    await _append(
        pool,
        "casework",
        cases[6],
        [CaseResolved(case_id=cases[6], outcome="answered", resolved_by="staff:lmj-fo")],
    )
    async with pool.acquire() as conn:
        envelopes, _ = await read_all(conn, limit=1000, opened=False)
    return envelopes


def _not_found(case_id: UUID) -> DtksNotFound:
    return DtksNotFound(case_id=case_id, nik="3508010101900001", reason="not_listed")


def _records(envelopes: list[EventEnvelope]) -> list[Record]:
    return [
        Record(orjson.dumps(e.model_dump(mode="json")), e.event_type, store_origin(e))
        for e in envelopes
    ]


class _Wakes:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


def _consumers(settings: Settings, wake: _Wakes) -> tuple[dict[str, Handler], BatchHandler]:
    catalogue = load_catalogue(settings.slrt_catalogue_dir)
    portal = PublicPortal(
        base_url="https://portal.example.org",
        check_code_secret=settings.slrt_check_code_secret,
        survey_secret=settings.slrt_survey_link_secret,
        clock=lambda: NOW,  # the survey link's expiry: the same in both runs
    )
    links = SignedLetterLinks(
        base_url="https://slrt.example.org", secret="s" * 32, ttl=timedelta(days=7)
    )
    return build_consumers(
        OfficeDirectory(catalogue),
        links,
        wake,
        portal=portal,
        staff_emails={"lmj-officer": "officer@example.org"},
    )


_TABLES = {
    "contacts": "case_id",
    "messages": "notification_id",
    "staff_inbox": "notice_id",
    "case_owners": "case_id",
    "letter_chains": "letter_id",
}
_TIMES = {"created_at", "next_attempt_at", "email_next_attempt_at"}
# A one-time link's token is new each time it is minted.
_TOKEN = re.compile(r"\?t=\S+")


def _row(row: asyncpg.Record) -> dict[str, Any]:
    return {
        k: _TOKEN.sub("?t=…", v) if k == "body" and v else v
        for k, v in dict(row).items()
        if k not in _TIMES
    }


async def _state(pool: asyncpg.Pool) -> dict[str, Any]:
    async with pool.acquire() as conn:
        tables: dict[str, Any] = {
            t: [
                _row(r) for r in await conn.fetch(f"SELECT * FROM notifications.{t} ORDER BY {key}")
            ]
            for t, key in _TABLES.items()
        }
        # The order a case's messages were kept in (the worker sends them in it).
        tables["order"] = [
            r["notification_id"]
            for r in await conn.fetch(
                "SELECT notification_id FROM notifications.messages ORDER BY created_at"
            )
        ]
        envelopes, _ = await read_all(conn, limit=10_000)
    tables["events"] = sorted(
        (e.stream_id, e.stream_version, e.event_type, orjson.dumps(e.data, option=4))
        for e in envelopes
        if e.stream_id.startswith("notification-")
    )
    return tables


async def _forget_notifications(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM eventstore.outbox WHERE owner = 'notifications'")
        await conn.execute("ALTER TABLE eventstore.events DISABLE TRIGGER events_append_only")
        await conn.execute("DELETE FROM eventstore.events WHERE owner = 'notifications'")
        await conn.execute("ALTER TABLE eventstore.events ENABLE TRIGGER events_append_only")
        tables = [*_TABLES, "provider_statuses", "processed_events"]
        await conn.execute("TRUNCATE " + ", ".join(f"notifications.{t}" for t in tables))


def _counted(consumer: Consumer) -> list[list[str]]:
    runs: list[list[str]] = []
    original = consumer.batch_handler
    assert original is not None

    async def counted(conn: asyncpg.Connection, run: Any) -> None:
        runs.append([e.event_type for e in run])
        await original.apply(conn, run)

    consumer.batch_handler = BatchHandler(original.event_types, counted)
    return runs


async def test_a_run_gives_the_messages_and_notices_event_by_event_gives(
    pool: asyncpg.Pool, notifications_ready: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    envelopes = await _events(pool)
    store_reads: list[UUID] = []
    read_case = PostgresEventLog.read_case

    async def counted_read(self: PostgresEventLog, case_id: UUID) -> list[EventEnvelope]:
        store_reads.append(case_id)
        return await read_case(self, case_id)

    monkeypatch.setattr(PostgresEventLog, "read_case", counted_read)
    wakes = _Wakes()
    handlers, batch = _consumers(notifications_ready, wakes)
    one_by_one = Consumer(pool, "notifications", handlers)
    for e in envelopes:
        await one_by_one.deliver_batch(_records([e]))
    expected = await _state(pool)
    woken = wakes.count
    # The DTKS answer that came ahead of its registration: its contact from the store.
    assert len(store_reads) == 1
    assert len(expected["contacts"]) == 7
    assert {m["template"] for m in expected["messages"]} >= {
        "complaint_registered",
        "dtks_not_found",
        "case_merged",
        "case_resolved",
    }
    assert [e[2] for e in expected["events"]] == ["StaffNotified"]
    assert woken > 0

    await _forget_notifications(pool)
    wakes.count = 0
    batched = Consumer(pool, "notifications", handlers, batch_handler=batch)
    runs = _counted(batched)
    await batched.deliver_batch(_records(envelopes))
    assert runs == [[e.event_type for e in envelopes]]  # all of them in one run
    assert await _state(pool) == expected
    assert len(store_reads) == 1  # in the run, from its registration there: no read
    assert wakes.count == woken

    # Delivered again: nothing changes, nothing is run, nobody is woken.
    await batched.deliver_batch(_records(envelopes))
    assert len(runs) == 1 and await _state(pool) == expected and wakes.count == woken


async def test_a_failing_event_in_a_run_is_dead_lettered_alone(
    pool: asyncpg.Pool, notifications_ready: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    envelopes = await _events(pool)
    poisoned = next(e for e in envelopes if e.event_type == "DomicileRefused")
    real_render = templates.render

    def render(template: Any, facts: Any, messages: Any) -> str:
        if template == "domicile_refused":
            raise RuntimeError("no words for this one")
        return real_render(template, facts, messages)

    monkeypatch.setattr(notify_citizen, "render", render)
    handlers, batch = _consumers(notifications_ready, _Wakes())
    consumer = Consumer(
        pool, "notifications", handlers, batch_handler=batch, attempts=2, backoff=0.01
    )
    runs = _counted(consumer)
    await consumer.deliver_batch(_records(envelopes))
    async with pool.acquire() as conn:
        dead = await conn.fetch("SELECT event_id, reason FROM notifications.dead_letters")
        processed = await conn.fetchval("SELECT count(*) FROM notifications.processed_events")
        kept = [
            r["template"] for r in await conn.fetch("SELECT template FROM notifications.messages")
        ]
    assert [(r["event_id"], "no words" in r["reason"]) for r in dead] == [(poisoned.event_id, True)]
    assert processed == len(envelopes) - 1
    assert "domicile_refused" not in kept and "complaint_registered" in kept
    at = envelopes.index(poisoned)
    assert [len(r) for r in runs] == [len(envelopes), len(envelopes) - at - 1]


async def test_a_message_kept_meanwhile_sends_the_run_event_by_event(
    pool: asyncpg.Pool, notifications_ready: Settings
) -> None:
    """The run holds its messages as new; one kept by another transaction first (live
    delivery and the store's catch-up at once) fails the run's write, and the consumer
    takes it event by event, which finds that message kept and keeps it once."""
    envelopes = await _events(pool)
    first = next(e for e in envelopes if e.event_type == "ComplaintRegistered")
    assert first.case_id is not None
    kept_before = notification_id(first.event_id, "complaint_registered")
    async with pool.acquire() as conn:
        await conn.execute(
            """INSERT INTO notifications.messages (notification_id, case_id, cause_event_id,
                   template, body, status)
               VALUES ($1, $2, $3, 'complaint_registered', 'kept before', 'recorded')""",
            kept_before,
            first.case_id,
            first.event_id,
        )
    wakes = _Wakes()
    handlers, batch = _consumers(notifications_ready, wakes)
    consumer = Consumer(pool, "notifications", handlers, batch_handler=batch)
    await consumer.deliver_batch(_records(envelopes))
    async with pool.acquire() as conn:
        bodies = await conn.fetch(
            "SELECT body FROM notifications.messages WHERE notification_id = $1", kept_before
        )
        processed = await conn.fetchval("SELECT count(*) FROM notifications.processed_events")
        dead = await conn.fetchval("SELECT count(*) FROM notifications.dead_letters")
        contacts = await conn.fetchval("SELECT count(*) FROM notifications.contacts")
    assert [r["body"] for r in bodies] == ["kept before"]
    assert processed == len(envelopes) and dead == 0 and contacts == 7


async def test_each_events_log_lines_name_its_case_and_flow(
    pool: asyncpg.Pool, notifications_ready: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    envelopes = await _events(pool)
    logged = LogLines()
    monkeypatch.setattr(notify_citizen, "log", logged)
    handlers, batch = _consumers(notifications_ready, _Wakes())
    consumer = Consumer(pool, "notifications", handlers, batch_handler=batch)
    runs = _counted(consumer)
    await consumer.deliver_batch(_records(envelopes))
    assert len(runs) == 1
    told = {str(e.event_id): e for e in envelopes if e.event_type != "CaseAssigned"}
    assert sorted(x["event_id"] for x in logged.lines) == sorted(told)  # one line each
    for line in logged.lines:
        envelope = told[line["event_id"]]
        assert line["case_id"] == str(envelope.case_id), line
        assert line["correlation_id"] == str(envelope.correlation_id), line
        assert line["event_type"] == envelope.event_type, line
