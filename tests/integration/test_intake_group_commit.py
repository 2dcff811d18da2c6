"""Group commit: staff registrations that arrive together share one transaction, and each
comes out as it would have alone (tickets in order, citizens, likely duplicates, redeliveries,
refusals), answered only once committed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from services.intake.adapters import repository as repo
from services.intake.bootstrap import create_app
from services.intake.service_layer.group_commit import RegistrationWriter
from shared.contracts.vocab import Role
from shared.settings import Settings
from tests.servicekit import auth, running

pytestmark = pytest.mark.integration

LUMAJANG_DESK = auth("lumajang", Role.FRONT_OFFICE, staff_id="lmj-fo-07")
KUPANG_DESK = auth("kupang", Role.FRONT_OFFICE, staff_id="kpg-fo-07")


def body(n: int, **overrides: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "office": "lumajang",
        "service": "kks-recommendation",
        "variant": "reset-pin",
        "channel": "walk_in",
        "applicant": {
            "name": f"Warga Uji {n}",
            "nik": f"35080141019000{n:02d}",
            "phone": f"0812000071{n:02d}",
        },
        "description": "PIN KKS terblokir.",
    }
    out.update(overrides)
    return out


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings)
    async with running(app) as client:
        yield app, client


def writer_of(app: FastAPI) -> RegistrationWriter:
    writer = app.state.registrations
    assert isinstance(writer, RegistrationWriter)
    return writer


async def post_together(client: httpx.AsyncClient, bodies: list[tuple[dict[str, Any], Any]]) -> Any:
    return await asyncio.gather(
        *(client.post("/v1/requests", json=b, headers=h) for b, h in bodies)
    )


async def test_requests_arriving_together_are_one_transaction_in_arrival_order(
    app: tuple[FastAPI, httpx.AsyncClient], pool: asyncpg.Pool
) -> None:
    service, client = app
    writer = writer_of(service)
    replies = await post_together(client, [(body(n), LUMAJANG_DESK) for n in range(1, 13)])
    assert [r.status_code for r in replies] == [201] * 12
    # Fewer transactions than requests: they were grouped.
    assert writer.written == 12
    assert writer.batches < 12
    # Tickets follow the order of arrival, as one at a time would.
    numbers = [int(r.json()["ticket_number"].rsplit("-", 1)[1]) for r in replies]
    assert numbers == list(range(1, 13))
    # Every answer came after the commit: the rows are there for anyone to read.
    cases = [UUID(r.json()["case_id"]) for r in replies]
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """SELECT r.case_id, r.citizen_id, m.status, m.case_id AS message_case
               FROM intake.registrations r JOIN intake.inbound_messages m ON m.id = r.inbound_id
               WHERE r.case_id = ANY($1::uuid[])""",
            cases,
        )
        outbox = await conn.fetchval(
            "SELECT count(*) FROM eventstore.events WHERE case_id = ANY($1::uuid[])", cases
        )
    assert len(rows) == 12 and outbox == 12
    assert all(r["status"] == "accepted" and r["message_case"] == r["case_id"] for r in rows)
    assert len({r["citizen_id"] for r in rows}) == 12


async def test_a_batch_links_its_own_likely_duplicates_and_its_own_redeliveries(
    app: tuple[FastAPI, httpx.AsyncClient], pool: asyncpg.Pool
) -> None:
    service, client = app
    first = body(21)
    same_person_same_service = body(21, channel="telephone")
    same_phone = body(
        22, variant="new-kks", applicant={"name": "Warga Lain", "phone": "+62 812-0000-7121"}
    )
    letter = body(23, channel="letter", external_id="SRT-GC-0001")
    before = writer_of(service).batches
    replies = await post_together(
        client,
        [
            (first, LUMAJANG_DESK),
            (same_person_same_service, LUMAJANG_DESK),
            (same_phone, LUMAJANG_DESK),
            (letter, LUMAJANG_DESK),
            (letter, LUMAJANG_DESK),  # the same letter entered twice at once
        ],
    )
    assert writer_of(service).batches - before == 1  # all five in one transaction
    assert [r.status_code for r in replies] == [201, 201, 201, 201, 200]
    ids = [r.json()["case_id"] for r in replies]
    assert ids[4] == ids[3] and replies[4].json()["duplicate"] is True
    async with pool.acquire() as conn:
        links = {
            str(r["case_id"]): (str(r["duplicate_of"]), r["reason"])
            for r in await conn.fetch("SELECT * FROM intake.duplicates")
        }
        citizens = await conn.fetch(
            "SELECT case_id, citizen_id FROM intake.registrations WHERE case_id = ANY($1::uuid[])",
            [UUID(i) for i in ids[:3]],
        )
        suspected = await conn.fetchval(
            "SELECT count(*) FROM eventstore.events WHERE event_type = 'DuplicateSuspected'"
        )
        resent = await conn.fetchval(
            "SELECT count(*) FROM intake.inbound_messages WHERE reason = 'duplicate'"
        )
    assert links == {
        ids[1]: (ids[0], "same_nik_and_service"),
        ids[2]: (ids[0], "same_phone"),
    }
    assert suspected == 2 and resent == 1
    # One citizen: the NIK and the phone lead to the same person.
    assert len({c["citizen_id"] for c in citizens}) == 1


async def test_a_refusal_in_a_batch_is_that_requests_alone(
    app: tuple[FastAPI, httpx.AsyncClient], pool: asyncpg.Pool
) -> None:
    _, client = app
    kupang_letter = {
        "office": "kupang",
        "service": "public-complaint",
        "channel": "letter",
        "external_id": "SRT-GC-0099",
        "applicant": {"name": "Warga Kupang", "phone": "081200007299"},
        "description": "Surat pengaduan.",
    }
    first = await client.post("/v1/requests", json=kupang_letter, headers=KUPANG_DESK)
    assert first.status_code == 201, first.text
    lumajang_same_id = body(31, channel="letter", external_id="SRT-GC-0099")
    replies = await post_together(
        client,
        [(body(32), LUMAJANG_DESK), (lumajang_same_id, LUMAJANG_DESK), (body(33), LUMAJANG_DESK)],
    )
    assert [r.status_code for r in replies] == [201, 409, 201]
    assert replies[1].json()["error"]["code"] == "external_id_taken"
    async with pool.acquire() as conn:
        kept = await conn.fetchrow(
            "SELECT status, reason FROM intake.inbound_messages WHERE id = $1",
            UUID(replies[1].headers["X-Inbound-ID"]),
        )
    assert (kept["status"], kept["reason"]) == ("rejected", "external_id_taken")


async def test_a_batch_seals_each_raw_message_with_its_cases_subject(
    app: tuple[FastAPI, httpx.AsyncClient], pool: asyncpg.Pool
) -> None:
    """A new case's raw message is sealed with the subject its events were sealed for
    (taken from the append, not found again); a redelivery's, with its first case's."""
    service, client = app
    letter = body(43, channel="letter", external_id="SRT-GC-0043")
    before = writer_of(service).batches
    replies = await post_together(
        client,
        [(body(41), LUMAJANG_DESK), (body(42), LUMAJANG_DESK), (letter, LUMAJANG_DESK)],
    )
    again = await client.post("/v1/requests", json=letter, headers=LUMAJANG_DESK)
    assert [r.status_code for r in replies] == [201, 201, 201] and again.status_code == 200
    assert writer_of(service).batches - before == 2
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """SELECT m.id, m.case_id, m.subject_id, m.body, a.subject_id AS case_subject
               FROM intake.inbound_messages m
               JOIN eventstore.subject_anchors a
                 ON a.anchor = 'case:' || m.case_id::text AND a.is_primary
               WHERE m.id = ANY($1::uuid[])""",
            [UUID(r.headers["X-Inbound-ID"]) for r in [*replies, again]],
        )
    assert len(rows) == 4
    assert all(r["subject_id"] == r["case_subject"] for r in rows)
    assert len({r["subject_id"] for r in rows}) == 3  # the redelivery: its first case's
    assert all(b"Warga Uji" not in bytes(r["body"]) for r in rows)  # sealed at rest
    for r in [*replies, again]:  # and it opens with that subject's key
        kept = await client.get(f"/v1/inbound/{r.headers['X-Inbound-ID']}", headers=LUMAJANG_DESK)
        assert kept.status_code == 200, kept.text
        assert kept.json()["erased"] is False and "Warga Uji" in kept.json()["body_text"]


async def test_a_failed_batch_is_written_one_request_at_a_time(
    app: tuple[FastAPI, httpx.AsyncClient], pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault the batch did not expect (here: injected into its first statement) rolls the
    batch back; every request is then written on its own and still answered."""
    service, client = app
    writer = writer_of(service)

    async def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("injected fault")

    monkeypatch.setattr(repo, "identify_many", broken)
    before = writer.batches
    replies = await post_together(client, [(body(n), LUMAJANG_DESK) for n in range(41, 45)])
    assert [r.status_code for r in replies] == [201] * 4
    assert writer.batches == before  # no batch committed: each went alone
    async with pool.acquire() as conn:
        count = await conn.fetchval(
            "SELECT count(*) FROM intake.registrations WHERE case_id = ANY($1::uuid[])",
            [UUID(r.json()["case_id"]) for r in replies],
        )
        accepted = await conn.fetchval(
            "SELECT count(*) FROM intake.inbound_messages WHERE status = 'accepted'"
        )
    assert count == 4 and accepted == 4
