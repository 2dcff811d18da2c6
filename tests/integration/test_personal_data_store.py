"""Crypto-shredding on a real PostgreSQL: the store seals personal fields with the
person's key, readers open them, erasure destroys the key for good."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import asyncpg
import pytest

from shared.contracts.base import EventMetadata
from shared.contracts.events import Applicant, ComplaintRegistered
from shared.contracts.intake_events import InboundReceived
from shared.contracts.vocab import Channel
from shared.db import migrate
from shared.eventstore.store import MIGRATIONS, EventStore, read_all, read_case, read_stream
from shared.eventstore.subjects import destroy_keys, person_of_case
from shared.personal import ERASED_TEXT

pytestmark = pytest.mark.integration

NIK, NAME, PHONE = "3508019912990001", "Siti Sintetis", "081299990001"
OTHER_NIK = "3508019912990003"


@pytest.fixture
async def store_pool(pool: asyncpg.Pool) -> asyncpg.Pool:
    async with pool.acquire() as conn:
        await migrate(conn, "eventstore", MIGRATIONS)
    return pool


def _registered(case_id, nik: str = NIK) -> ComplaintRegistered:  # type: ignore[no-untyped-def]
    return ComplaintRegistered(
        case_id=case_id,
        ticket_number="LMJ-2026-000001",
        office="lumajang",
        service="kks-recommendation",
        channel=Channel.WALK_IN,
        applicant=Applicant(name=NAME, nik=nik, phone=PHONE),
        description=f"Saya {NAME}, kartu hilang",
        received_at=datetime.now(UTC),
    )


async def _register(pool: asyncpg.Pool, nik: str = NIK):  # type: ignore[no-untyped-def]
    case_id = uuid4()
    async with pool.acquire() as conn, conn.transaction():
        appended = await EventStore("intake").append(
            conn,
            f"complaint-{case_id}",
            0,
            [_registered(case_id, nik)],
            EventMetadata(case_id=case_id, office="lumajang"),
        )
    return case_id, appended


async def test_personal_fields_are_sealed_in_the_table_and_the_outbox(
    store_pool: asyncpg.Pool,
) -> None:
    case_id, appended = await _register(store_pool)
    assert appended[0].payload().applicant.nik == NIK
    async with store_pool.acquire() as conn:
        raw = await conn.fetchval(
            "SELECT string_agg(data::text || metadata::text, ' ') FROM eventstore.events"
        )
        opened = await read_stream(conn, f"complaint-{case_id}")
        by_case = await read_case(conn, case_id)
        everything, _ = await read_all(conn)
    for secret in (NIK, NAME, PHONE, "kartu hilang"):
        assert secret not in raw
    assert "enc:v1:" in raw
    for envs in (opened, by_case, everything):
        event = envs[0].payload()
        assert isinstance(event, ComplaintRegistered)
        assert (event.applicant.nik, event.applicant.name) == (NIK, NAME)


async def test_the_same_nik_is_one_person_and_erasure_reads_as_erased_forever(
    store_pool: asyncpg.Pool,
) -> None:
    first, _ = await _register(store_pool)
    second, _ = await _register(store_pool)
    other, _ = await _register(store_pool, nik="3508019912990002")
    async with store_pool.acquire() as conn, conn.transaction():
        person = await person_of_case(conn, first)
        assert set(person.cases) >= {first, second} and other not in person.cases
        assert await destroy_keys(conn, person.subjects, reason="UU 27/2022 Pasal 8", by="t") >= 1
    async with store_pool.acquire() as conn:
        count = await conn.fetchval("SELECT count(*) FROM eventstore.events")
        everything, _ = await read_all(conn)  # what a rebuild reads
        for case_id in (first, second):
            (env,) = await read_case(conn, case_id)
            event = env.payload()
            assert isinstance(event, ComplaintRegistered)
            assert event.applicant == Applicant() and event.description == ERASED_TEXT
            assert event.office == "lumajang" and event.ticket_number  # the rest stays
        (kept,) = await read_case(conn, other)
    assert count == 3 and len(everything) == 3  # the log keeps its length
    assert kept.payload().applicant.name == NAME  # type: ignore[attr-defined]
    # A new request by the erased NIK is a new subject, readable again.
    again, _ = await _register(store_pool)
    async with store_pool.acquire() as conn:
        (env,) = await read_case(conn, again)
    assert env.payload().applicant.nik == NIK  # type: ignore[attr-defined]


async def test_people_of_one_delivery_are_erased_one_at_a_time(
    store_pool: asyncpg.Pool,
) -> None:
    """One delivery (the suggestion box's slips) is one flow: its raw message is erased
    with each person it carries, but each case registered from it has its own key, so
    erasing one person leaves the other's case readable and announces only their own."""
    flow = uuid4()
    inbound = InboundReceived(
        inbound_id=uuid4(),
        channel=Channel.SUGGESTION_BOX,
        received_at=datetime.now(UTC),
        payload={"slips": [f"{NAME} {NIK}", f"Budi Sintetis {OTHER_NIK}"]},
    )
    meta = EventMetadata(office="lumajang", correlation_id=flow)
    async with store_pool.acquire() as conn, conn.transaction():
        await EventStore("intake").append(conn, f"inbound-{inbound.inbound_id}", 0, [inbound], meta)
    cases = []
    for nik in (NIK, OTHER_NIK):
        case_id = uuid4()
        async with store_pool.acquire() as conn, conn.transaction():
            await EventStore("intake").append(
                conn,
                f"complaint-{case_id}",
                0,
                [_registered(case_id, nik)],
                EventMetadata(case_id=case_id, office="lumajang", correlation_id=flow),
            )
        cases.append(case_id)
    first, second = cases
    async with store_pool.acquire() as conn, conn.transaction():
        person = await person_of_case(conn, first)
        assert person.cases == [first]  # the other slip's case is not this person's
        await destroy_keys(conn, person.subjects, reason="UU 27/2022 Pasal 8", by="t")
    async with store_pool.acquire() as conn:
        (erased,) = await read_case(conn, first)
        (kept,) = await read_case(conn, second)
        (raw,) = await read_stream(conn, f"inbound-{inbound.inbound_id}")
    assert erased.payload().applicant == Applicant()  # type: ignore[attr-defined]
    assert kept.payload().applicant.nik == OTHER_NIK  # type: ignore[attr-defined]
    assert raw.payload().payload == {}  # type: ignore[attr-defined]  # held the first person
