"""The documents service on the real database and broker, started in-process.

Cases are arranged the way the other services leave them: a ComplaintRegistered in an
`intake` stream and a DtksVerified in an `eligibility` stream of the event store. Events
written before the service starts reach it by catch-up from the store; those written
while it runs travel through an outbox relay and Kafka, as in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest

from services.documents.bootstrap import create_app
from shared.contracts import streams
from shared.contracts.base import EventMetadata
from shared.contracts.events import Applicant, ComplaintRegistered, DtksVerified
from shared.contracts.vocab import Channel, Role
from shared.db import migrate
from shared.eventstore.store import MIGRATIONS, EventStore, read_stream
from shared.kafka import make_producer
from shared.outbox import OutboxRelay
from shared.settings import Settings
from tests.servicekit import auth, eventually, running

pytestmark = pytest.mark.integration

FO = auth("lumajang", Role.FRONT_OFFICE, staff_id="lmj-fo")
OFFICER = auth("lumajang", Role.OFFICER, staff_id="lmj-officer")
SUB = auth("lumajang", Role.SUB_COORDINATOR, staff_id="lmj-sub")
SUB_2 = auth("lumajang", Role.SUB_COORDINATOR, staff_id="lmj-sub-2")
KABID = auth("lumajang", Role.HEAD_OF_DIVISION, staff_id="lmj-kabid")
KABID_2 = auth("lumajang", Role.HEAD_OF_DIVISION, staff_id="lmj-kabid-2")
SECRETARY = auth("lumajang", Role.SECRETARY, staff_id="lmj-sec")


@pytest.fixture
async def store(pool: asyncpg.Pool) -> asyncpg.Pool:
    async with pool.acquire() as conn:
        await migrate(conn, "eventstore", MIGRATIONS)
    return pool


async def register_case(
    pool: asyncpg.Pool,
    *,
    office: str = "lumajang",
    service: str = "kks-recommendation",
    variant: str = "reset-pin",
    dtks: bool = True,
    case_id: UUID | None = None,
) -> UUID:
    """What intake (and eligibility) would have written for a new case."""
    case_id = case_id or uuid4()
    meta = EventMetadata(case_id=case_id, office=office, actor="citizen", channel=Channel.WALK_IN)
    registered = ComplaintRegistered(
        case_id=case_id,
        ticket_number=f"T-{str(case_id)[:8]}",
        office=office,
        service=service,
        variant=variant,
        channel=Channel.WALK_IN,
        applicant=Applicant(name="Warga Contoh", nik="3508014101900001"),
        documents_declared=("ktp", "kks"),
        received_at=datetime.now(UTC),
    )
    async with pool.acquire() as conn, conn.transaction():
        await EventStore("intake").append(
            conn, streams.complaint_stream(case_id), 0, [registered], meta
        )
        if dtks:
            await verify_dtks(conn, case_id, meta)
    return case_id


async def verify_dtks(conn: asyncpg.Connection, case_id: UUID, meta: EventMetadata) -> None:
    verified = DtksVerified(
        case_id=case_id,
        nik="3508014101900001",
        kk_number="3508010101900001",
        region_code="35.08.01.2001",
        programmes=("BPNT",),
        snapshot_date=date(2026, 1, 1),
        name="Warga Contoh Terdaftar",  # the registry's name for the NIK
    )
    await EventStore("eligibility").append(
        conn, streams.eligibility_stream(case_id), 0, [verified], meta
    )


async def checklist_of(client: httpx.AsyncClient, case_id: UUID) -> dict[str, Any] | None:
    r = await client.get(f"/v1/cases/{case_id}/checklist", headers=FO)
    return r.json() if r.status_code == 200 else None


async def receive(
    client: httpx.AsyncClient, case_id: UUID, doc: str, form: str = "copy", headers: Any = FO
) -> httpx.Response:
    return await client.post(
        f"/v1/cases/{case_id}/documents",
        json={"document_type": doc, "form": form},
        headers=headers,
    )


async def approved_letter(client: httpx.AsyncClient, case_id: UUID) -> str:
    """Documents in, drafted, approved by sub-coordinator and kabid: waits for signature."""
    assert (await receive(client, case_id, "ktp")).status_code == 201
    assert (await receive(client, case_id, "kks", "original")).status_code == 201
    r = await client.post(f"/v1/cases/{case_id}/letters", json={}, headers=OFFICER)
    assert r.status_code == 201, r.text
    letter_id = str(r.json()["letter_id"])
    for who in (SUB, KABID):
        r = await client.post(f"/v1/letters/{letter_id}/approve", json={}, headers=who)
        assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved"
    return letter_id


@contextlib.asynccontextmanager
async def upstream_relays(pool: asyncpg.Pool, settings: Settings) -> AsyncIterator[None]:
    """Publish what intake and eligibility append, as their own relays would."""
    producer = make_producer(settings, client_id="test-upstream-relay")
    await producer.start()
    tasks = [
        asyncio.create_task(
            OutboxRelay(
                pool, owner, producer, poll_seconds=0.2, topic_prefix=settings.kafka_topic_prefix
            ).run()
        )
        for owner in ("intake", "eligibility")
    ]
    try:
        yield
    finally:
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        await producer.stop()


async def test_lumajang_reset_pin_goes_through_the_whole_chain(
    store: asyncpg.Pool, settings: Settings
) -> None:
    case_id = await register_case(store)
    correlation = uuid4()
    async with running(create_app(settings)) as client:
        checklist = await eventually(lambda: checklist_of(client, case_id))
        assert checklist["missing"] == ["ktp|kk", "kks"] and not checklist["complete"]
        assert checklist["declared"] == ["ktp", "kks"] and checklist["received"] == []
        assert checklist["dtks"]["status"] == "verified"

        r = await client.post(
            f"/v1/cases/{case_id}/documents",
            json={"document_type": "ktp", "form": "copy"},
            headers={**FO, "X-Correlation-ID": str(correlation)},
        )
        assert r.status_code == 201 and r.json()["recorded"] is True
        again = await receive(client, case_id, "ktp")
        assert again.status_code == 200 and again.json()["recorded"] is False
        r = await receive(client, case_id, "kks", "original", headers=OFFICER)
        assert r.status_code == 201 and r.json()["checklist"]["complete"] is True

        r = await client.post(f"/v1/cases/{case_id}/letters", json={}, headers=OFFICER)
        assert r.status_code == 201, r.text
        letter = r.json()
        letter_id = letter["letter_id"]
        assert letter["status"] == "in_review"
        assert letter["letter_type"] == "kks_reset_pin_recommendation"
        assert letter["subject"] == "Surat Rekomendasi Pengurusan Reset PIN"
        # To the bank: the registry's name (read from the log), the full NIK and KK number.
        assert "Nama           : Warga Contoh Terdaftar" in letter["body"]
        assert "NIK            : 3508014101900001" in letter["body"]
        assert "Nomor KK       : 3508010101900001" in letter["body"]
        assert letter["current_step"] == {"step": 1, "role": "sub_coordinator", "action": "approve"}
        assert letter["remaining"] == ["sub_coordinator", "head_of_division", "secretary"]

        r = await client.post(
            f"/v1/letters/{letter_id}/approve", json={"comment": "Sesuai"}, headers=SUB
        )
        assert r.status_code == 200 and r.json()["status"] == "in_review"
        r = await client.post(f"/v1/letters/{letter_id}/sign", headers=SECRETARY)
        assert r.status_code == 409 and r.json()["error"]["code"] == "letter_not_approved"
        r = await client.post(f"/v1/letters/{letter_id}/approve", json={}, headers=KABID)
        assert r.status_code == 200
        assert r.json()["status"] == "approved"
        assert r.json()["current_step"] == {"step": 3, "role": "secretary", "action": "sign"}

        r = await client.post(f"/v1/letters/{letter_id}/sign", headers=SECRETARY)
        assert r.status_code == 200, r.text
        signed = r.json()
        assert signed["status"] == "signed" and signed["remaining"] == []
        assert re.fullmatch(
            r"400\.9/0001/427\.64/(I|II|III|IV|V|VI|VII|VIII|IX|X|XI|XII)/\d{4}",
            signed["letter_number"],
        )
        canonical = json.dumps(
            signed["content"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
        assert signed["content_sha256"] == hashlib.sha256(canonical).hexdigest()
        assert signed["content"]["number"] == signed["letter_number"]
        assert signed["content"]["about"] == {
            "name": "Warga Contoh Terdaftar",
            "nik": "3508********0001",
            "basis": "registry",
        }
        assert [s["role"] for s in signed["steps_done"]] == ["sub_coordinator", "head_of_division"]

        r = await client.post(f"/v1/letters/{letter_id}/approve", json={}, headers=SUB)
        assert r.status_code == 409 and r.json()["error"]["code"] == "letter_already_signed"
        r = await client.get(f"/v1/cases/{case_id}/letters", headers=KABID)
        assert [x["letter_id"] for x in r.json()["letters"]] == [letter_id]

        async with store.acquire() as conn:
            checklist_stream = await read_stream(conn, streams.checklist_stream(case_id))
            letter_stream = await read_stream(conn, streams.letter_stream(letter_id))
        assert [e.event_type for e in checklist_stream] == [
            "DocumentReceived",
            "DocumentReceived",
            "RequirementsCompleted",
        ]
        assert checklist_stream[0].correlation_id == correlation
        assert checklist_stream[0].actor == "staff:lmj-fo"
        assert [e.event_type for e in letter_stream] == [
            "LetterDrafted",
            "LetterReviewed",
            "LetterReviewed",
            "LetterApproved",
            "LetterSigned",
        ]
        assert letter_stream[3].data["approved_by"] == ["staff:lmj-sub", "staff:lmj-kabid"]
        assert letter_stream[4].actor == "staff:lmj-sec"
        assert all(e.case_id == case_id and e.office == "lumajang" for e in letter_stream)

        async def all_published() -> bool:
            async with store.acquire() as conn:
                unsent = await conn.fetchval(
                    "SELECT count(*) FROM eventstore.outbox "
                    "WHERE owner = 'documents' AND sent_at IS NULL"
                )
            return bool(unsent == 0)

        await eventually(all_published)


async def test_drafting_refused_while_documents_are_missing(
    store: asyncpg.Pool, settings: Settings
) -> None:
    case_id = await register_case(store)
    async with running(create_app(settings)) as client:
        await eventually(lambda: checklist_of(client, case_id))
        assert (await receive(client, case_id, "ktp")).status_code == 201

        r = await client.post(f"/v1/cases/{case_id}/letters", json={}, headers=OFFICER)
        assert r.status_code == 409
        error = r.json()["error"]
        assert error["code"] == "requirements_incomplete"
        assert error["details"]["missing"] == ["kks"]

        r = await client.post(f"/v1/cases/{case_id}/letters", json={}, headers=SUB)
        assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_role"
        r = await receive(client, case_id, "passport")
        assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_document_type"
        r = await receive(client, case_id, "kks", "copy")
        assert r.status_code == 422 and r.json()["error"]["code"] == "original_required"
        r = await receive(client, case_id, "kks", "original", headers=SUB)
        assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_role"
        r = await receive(client, uuid4(), "ktp")
        assert r.status_code == 404 and r.json()["error"]["code"] == "case_not_found"
        r = await client.get(f"/v1/letters/{uuid4()}", headers=OFFICER)
        assert r.status_code == 404 and r.json()["error"]["code"] == "letter_not_found"

        assert (await receive(client, case_id, "kks", "original")).status_code == 201
        r = await client.post(f"/v1/cases/{case_id}/letters", json={}, headers=OFFICER)
        assert r.status_code == 201
        r = await client.post(f"/v1/cases/{case_id}/letters", json={}, headers=OFFICER)
        assert r.status_code == 409 and r.json()["error"]["code"] == "letter_already_drafted"


async def test_case_arriving_later_and_dtks_required_through_kafka(
    store: asyncpg.Pool, settings: Settings
) -> None:
    """Mataram's Sembako complaints need DTKS listing; both facts arrive while it runs."""
    back_office = auth("mataram", Role.BACK_OFFICE, staff_id="mtr-bo")
    async with upstream_relays(store, settings), running(create_app(settings)) as client:
        case_id = await register_case(
            store, office="mataram", service="sembako-complaint", variant="pin-blocked", dtks=False
        )

        async def mataram_checklist() -> dict[str, Any] | None:
            r = await client.get(f"/v1/cases/{case_id}/checklist", headers=back_office)
            return r.json() if r.status_code == 200 else None

        checklist = await eventually(mataram_checklist, timeout=45)
        assert checklist["dtks"] == {
            "required": True,
            "status": "pending",
            "reason": None,
            "programmes": [],
            "source": None,
        }
        for doc, form in (
            ("ktp", "copy"),
            ("kk", "copy"),
            ("savings_book", "original"),
            ("kks", "original"),
            ("kelurahan_cover_letter", "original"),
        ):
            r = await receive(client, case_id, doc, form, headers=back_office)
            assert r.status_code == 201, r.text
        r = await client.post(f"/v1/cases/{case_id}/letters", json={}, headers=back_office)
        assert r.status_code == 409 and r.json()["error"]["code"] == "dtks_not_verified"

        async with store.acquire() as conn, conn.transaction():
            meta = EventMetadata(case_id=case_id, office="mataram", actor="system:eligibility")
            await verify_dtks(conn, case_id, meta)

        async def verified() -> bool:
            view = await mataram_checklist()
            return bool(view and view["dtks"]["status"] == "verified")

        await eventually(verified, timeout=45)
        r = await client.post(f"/v1/cases/{case_id}/letters", json={}, headers=back_office)
        assert r.status_code == 201, r.text
        assert r.json()["remaining"] == ["head_of_division", "head_of_office"]
        assert "BPNT" in r.json()["body"]


async def test_two_officials_approving_the_same_step_one_wins(
    store: asyncpg.Pool, settings: Settings
) -> None:
    case_id = await register_case(store)
    async with running(create_app(settings)) as client:
        await eventually(lambda: checklist_of(client, case_id))
        await receive(client, case_id, "kk")
        await receive(client, case_id, "kks", "original")
        r = await client.post(f"/v1/cases/{case_id}/letters", json={}, headers=OFFICER)
        letter_id, version = r.json()["letter_id"], r.json()["version"]

        # Each approves the version they saw: exactly one of them can have seen it last.
        results = await asyncio.gather(
            *(
                client.post(
                    f"/v1/letters/{letter_id}/approve",
                    json={"expected_version": version},
                    headers=who,
                )
                for who in (SUB, SUB_2)
            )
        )
        assert sorted(r.status_code for r in results) == [200, 409]
        loser = next(r for r in results if r.status_code == 409)
        assert loser.json()["error"]["code"] == "conflict"

        # Without a version the store's expected version still lets only one through.
        results = await asyncio.gather(
            *(
                client.post(f"/v1/letters/{letter_id}/approve", json={}, headers=who)
                for who in (KABID, KABID_2)
            )
        )
        assert sorted(r.status_code for r in results) == [200, 409]
        loser = next(r for r in results if r.status_code == 409)
        assert loser.json()["error"]["code"] in {"conflict", "not_your_step"}

        r = await client.get(f"/v1/letters/{letter_id}", headers=SECRETARY)
        assert r.json()["status"] == "approved" and len(r.json()["steps_done"]) == 2


async def test_staff_of_another_office_are_refused(store: asyncpg.Pool, settings: Settings) -> None:
    case_id = await register_case(store)
    kupang = auth("kupang", Role.FRONT_OFFICE, Role.OFFICER, Role.SUB_COORDINATOR)
    async with running(create_app(settings)) as client:
        await eventually(lambda: checklist_of(client, case_id))
        letter_id = await approved_letter(client, case_id)
        for method, path, body in (
            ("GET", f"/v1/cases/{case_id}/checklist", None),
            ("POST", f"/v1/cases/{case_id}/documents", {"document_type": "kk"}),
            ("POST", f"/v1/cases/{case_id}/letters", {}),
            ("GET", f"/v1/cases/{case_id}/letters", None),
            ("GET", f"/v1/letters/{letter_id}", None),
            ("POST", f"/v1/letters/{letter_id}/return", {"comment": "bukan kantor saya"}),
            ("POST", f"/v1/letters/{letter_id}/sign", None),
        ):
            r = await client.request(method, path, json=body, headers=kupang)
            assert r.status_code == 403, (path, r.text)
            assert r.json()["error"]["code"] == "wrong_office"
        r = await client.get(f"/v1/cases/{case_id}/checklist")
        assert r.status_code == 401


async def test_return_and_resubmit(store: asyncpg.Pool, settings: Settings) -> None:
    case_id = await register_case(store)
    async with running(create_app(settings)) as client:
        await eventually(lambda: checklist_of(client, case_id))
        letter_id = await approved_letter(client, case_id)
        r = await client.post(
            f"/v1/letters/{letter_id}/return",
            json={"comment": "Perbaiki alamat"},
            headers=SECRETARY,
        )
        assert r.status_code == 200 and r.json()["status"] == "returned"
        assert r.json()["returns"][0]["comment"] == "Perbaiki alamat"
        r = await client.post(f"/v1/letters/{letter_id}/sign", headers=SECRETARY)
        assert r.status_code == 409 and r.json()["error"]["code"] == "letter_returned"
        r = await client.post(
            f"/v1/letters/{letter_id}/resubmit", json={"body": "Isi baru"}, headers=OFFICER
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "in_review" and r.json()["revision"] == 2
        assert r.json()["body"] == "Isi baru" and r.json()["steps_done"] == []
        assert r.json()["current_step"]["role"] == "sub_coordinator"


async def test_letter_numbers_stay_unique_when_many_are_signed_at_once(
    store: asyncpg.Pool, settings: Settings
) -> None:
    cases = [await register_case(store, dtks=True) for _ in range(20)]
    async with running(create_app(settings)) as client:

        async def all_registered() -> bool:
            return all([await checklist_of(client, c) for c in cases])

        await eventually(all_registered)
        letters = await asyncio.gather(*(approved_letter(client, c) for c in cases))
        results = await asyncio.gather(
            *(client.post(f"/v1/letters/{lid}/sign", headers=SECRETARY) for lid in letters)
        )
    assert all(r.status_code == 200 for r in results), [r.text for r in results if r.is_error]
    numbers = [r.json()["letter_number"] for r in results]
    assert len(set(numbers)) == 20
    sequences = sorted(int(n.split("/")[1]) for n in numbers)
    assert sequences == list(range(1, 21))  # no gaps, no duplicates
