"""Intake on the real database and broker: registering, refusing, de-duplicating, tickets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer

from services.intake.bootstrap import create_app
from shared.contracts.events import INTAKE_TOPIC, ComplaintRegistered
from shared.contracts.streams import complaint_stream
from shared.contracts.vocab import Role
from shared.eventstore.store import read_stream
from shared.settings import Settings, topic_name
from tests.sealed_rows import opened_message
from tests.servicekit import auth, running

pytestmark = pytest.mark.integration

LUMAJANG_DESK = auth("lumajang", Role.FRONT_OFFICE, staff_id="lmj-fo-01")


def request_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "office": "lumajang",
        "service": "kks-recommendation",
        "variant": "reset-pin",
        "channel": "walk_in",
        "applicant": {
            "name": "Warga Contoh",
            "nik": "3508014101900001",
            "kk_number": "3508010101900001",
            "phone": "081200000001",
        },
        "description": "PIN KKS terblokir.",
        "documents_declared": ["ktp", "kks"],
    }
    body.update(overrides)
    return body


@pytest.fixture
async def intake(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running(create_app(settings)) as client:
        yield client


async def inbound_row(pool: asyncpg.Pool, inbound_id: str) -> dict[str, Any]:
    """The kept message, opened the way intake reads it (what the citizen sent is sealed)."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT * FROM intake.inbound_messages WHERE id = $1", UUID(inbound_id)
        )
        assert row is not None
        return await opened_message(conn, row)


async def find_on_kafka(settings: Settings, case_id: str, timeout: float = 20.0) -> dict[str, Any]:
    topic = topic_name(settings, INTAKE_TOPIC)  # each test has its own topics
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    assert record.value is not None
                    message: dict[str, Any] = orjson.loads(record.value)
                    if message.get("case_id") == case_id:
                        assert record.key == case_id.encode()
                        return message
        raise AssertionError(f"case {case_id} not seen on {topic} within {timeout}s")
    finally:
        await consumer.stop()


async def test_a_request_becomes_a_case_in_the_store_and_on_kafka(
    intake: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings
) -> None:
    r = await intake.post(
        "/v1/requests",
        json=request_body(),
        headers={**LUMAJANG_DESK, "X-Correlation-ID": "7d3f7e0c-8f5e-4c57-9a53-111111111111"},
    )
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["status"] == "registered"
    assert out["ticket_number"].startswith("LMJ-20") and out["ticket_number"].endswith("-000001")
    case_id = out["case_id"]

    async with pool.acquire() as conn:
        stream = await read_stream(conn, complaint_stream(UUID(case_id)))
    assert [e.event_type for e in stream] == ["ComplaintRegistered"]
    env = stream[0]
    event = env.payload()
    assert isinstance(event, ComplaintRegistered)
    assert str(event.case_id) == case_id
    assert (event.office, event.service, event.variant) == (
        "lumajang",
        "kks-recommendation",
        "reset-pin",
    )
    assert event.applicant.nik == "3508014101900001"
    assert event.documents_declared == ("ktp", "kks")
    assert env.actor == "staff:lmj-fo-01"
    assert env.office == "lumajang" and str(env.case_id) == case_id
    assert str(env.correlation_id) == "7d3f7e0c-8f5e-4c57-9a53-111111111111"
    assert env.channel is not None and env.channel.value == "walk_in"

    row = await inbound_row(pool, out["inbound_id"])
    assert row["status"] == "accepted" and str(row["case_id"]) == case_id
    assert orjson.loads(row["body"]) == request_body()  # kept exactly as received

    published = await find_on_kafka(settings, case_id)
    assert published["event_type"] == "ComplaintRegistered"
    assert published["event_id"] == str(env.event_id)


BIG = "x" * (1024 * 1024 + 10)

# (what is wrong, raw body or JSON, expected status, expected code)
BAD_INPUTS: list[tuple[str, bytes | dict[str, Any], int, str]] = [
    ("truncated json", b'{"office": "lumajang", ', 400, "malformed_json"),
    ("empty body", b"", 400, "malformed_json"),
    ("not utf-8", b"\xff\xfe\x00garbage", 400, "malformed_json"),
    ("a json array", b"[1, 2, 3]", 422, "invalid_request"),
    ("a json string", b'"lumajang"', 422, "invalid_request"),
    (
        "office missing",
        {k: v for k, v in request_body().items() if k != "office"},
        422,
        "invalid_request",
    ),
    ("unknown field", request_body(colour="red"), 422, "invalid_request"),
    (
        "nik as a number",
        request_body(applicant={"name": "A", "nik": 3508014101900001}),
        422,
        "invalid_request",
    ),
    ("documents not a list", request_body(documents_declared="ktp"), 422, "invalid_request"),
    ("description too long", request_body(description="x" * 10_001), 422, "invalid_request"),
    ("bad received_at", request_body(received_at="yesterday"), 422, "invalid_request"),
    ("unknown office", request_body(office="atlantis"), 422, "unknown_office"),
    ("unknown service", request_body(service="passport"), 422, "unknown_service"),
    ("unknown variant", request_body(variant="gold-card"), 422, "unknown_variant"),
    ("unknown channel", request_body(channel="carrier_pigeon"), 422, "unknown_channel"),
    ("channel not offered", request_body(channel="sp4n_lapor"), 422, "channel_not_offered"),
    (
        "nik too short",
        request_body(applicant={"name": "A", "nik": "350801410190"}),
        422,
        "nik_invalid",
    ),
    (
        "nik with letters",
        request_body(applicant={"name": "A", "nik": "35080141019000AB"}),
        422,
        "nik_invalid",
    ),
    ("proxy nik wrong", request_body(on_behalf_of={"name": "B", "nik": "1"}), 422, "nik_invalid"),
    (
        "kk too long",
        request_body(applicant={"name": "A", "kk_number": "1" * 17}),
        422,
        "kk_number_invalid",
    ),
    ("nobody", request_body(applicant={}), 422, "applicant_missing"),
    (
        "from the future",
        request_body(received_at="2999-01-01T00:00:00+07:00"),
        422,
        "received_at_in_future",
    ),
    ("too large", request_body(description=BIG), 413, "payload_too_large"),
]


async def test_every_bad_input_is_a_clear_4xx_and_is_kept(
    intake: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    for what, body, status, code in BAD_INPUTS:
        raw = body if isinstance(body, bytes) else orjson.dumps(body)
        r = await intake.post(
            "/v1/requests",
            content=raw,
            headers={**LUMAJANG_DESK, "Content-Type": "application/json"},
        )
        assert r.status_code == status, (what, r.text)
        error = r.json()["error"]
        assert error["code"] == code, (what, error)
        assert error["message"], what
        inbound_id = r.headers["X-Inbound-ID"]
        assert error["details"]["inbound_id"] == inbound_id
        row = await inbound_row(pool, inbound_id)
        assert (row["status"], row["reason"]) == ("rejected", code), what
        if code != "payload_too_large":
            assert row["body"] == raw, what  # kept byte for byte
        else:
            assert row["body_truncated"] and len(row["body"]) == 1024 * 1024
        if code == "invalid_request" and isinstance(body, dict):
            assert all("loc" in e for e in error["details"]["errors"]), what

    # The schema error names the field.
    r = await intake.post(
        "/v1/requests", json=request_body(documents_declared="ktp"), headers=LUMAJANG_DESK
    )
    assert ["documents_declared"] in [e["loc"] for e in r.json()["error"]["details"]["errors"]]

    async with pool.acquire() as conn:
        cases = await conn.fetchval("SELECT count(*) FROM intake.registrations")
        events = await conn.fetchval("SELECT count(*) FROM eventstore.events")
    assert (cases, events) == (0, 0)


async def test_staff_of_another_office_or_role_are_refused(
    intake: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    r = await intake.post(
        "/v1/requests", json=request_body(), headers=auth("mataram", Role.FRONT_OFFICE)
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_office"
    row = await inbound_row(pool, r.headers["X-Inbound-ID"])
    assert (row["status"], row["reason"], row["office"]) == ("rejected", "wrong_office", "lumajang")

    r = await intake.post(
        "/v1/requests", json=request_body(), headers=auth("lumajang", Role.HEAD_OF_DIVISION)
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_role"
    assert (await inbound_row(pool, r.headers["X-Inbound-ID"]))["reason"] == "wrong_role"

    r = await intake.post("/v1/requests", json=request_body())
    assert r.status_code == 401 and r.json()["error"]["code"] == "token_missing"

    for role in (Role.RECEPTIONIST, Role.OFFICER, Role.COMPLAINT_OFFICER):
        r = await intake.post("/v1/requests", json=request_body(), headers=auth("lumajang", role))
        assert r.status_code == 201, (role, r.text)


async def test_concurrent_registrations_get_distinct_tickets(
    intake: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    replies = await asyncio.gather(
        *(
            intake.post("/v1/requests", json=request_body(), headers=LUMAJANG_DESK)
            for _ in range(30)
        )
    )
    assert [r.status_code for r in replies] == [201] * 30
    tickets = sorted(r.json()["ticket_number"] for r in replies)
    assert len(set(tickets)) == 30
    assert [int(t.rsplit("-", 1)[1]) for t in tickets] == list(range(1, 31))
    assert len({r.json()["case_id"] for r in replies}) == 30
    async with pool.acquire() as conn:
        registered = await conn.fetchval(
            "SELECT count(*) FROM eventstore.events WHERE event_type = 'ComplaintRegistered'"
        )
        assert registered == 30


async def test_a_redelivered_request_returns_the_same_case(
    intake: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    body = request_body(channel="letter", external_id="SRT-2026-0042")
    first = await intake.post("/v1/requests", json=body, headers=LUMAJANG_DESK)
    assert first.status_code == 201, first.text
    again = await intake.post("/v1/requests", json=body, headers=LUMAJANG_DESK)
    assert again.status_code == 200, again.text
    assert again.json()["case_id"] == first.json()["case_id"]
    assert again.json()["ticket_number"] == first.json()["ticket_number"]
    assert again.json()["duplicate"] is True

    # Several redeliveries at once still make one case.
    body2 = request_body(channel="letter", external_id="SRT-2026-0043")
    replies = await asyncio.gather(
        *(intake.post("/v1/requests", json=body2, headers=LUMAJANG_DESK) for _ in range(5))
    )
    assert sorted(r.status_code for r in replies) == [200, 200, 200, 200, 201]
    assert len({r.json()["case_id"] for r in replies}) == 1

    # The same id through another channel is another message.
    other = await intake.post(
        "/v1/requests", json={**body, "channel": "walk_in"}, headers=LUMAJANG_DESK
    )
    assert other.status_code == 201 and other.json()["case_id"] != first.json()["case_id"]

    async with pool.acquire() as conn:
        events = await conn.fetchval(
            "SELECT count(*) FROM eventstore.events WHERE event_type = 'ComplaintRegistered'"
        )
        dup = await conn.fetchval(
            "SELECT count(*) FROM intake.inbound_messages WHERE reason = 'duplicate'"
        )
    assert (events, dup) == (3, 5)


async def test_staff_see_what_was_refused_and_why(
    intake: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    bad_nik = await intake.post(
        "/v1/requests",
        json=request_body(applicant={"name": "A", "nik": "123"}),
        headers=LUMAJANG_DESK,
    )
    unreadable = await intake.post("/v1/requests", content=b"{nope", headers=LUMAJANG_DESK)
    ok = await intake.post("/v1/requests", json=request_body(), headers=LUMAJANG_DESK)
    assert (bad_nik.status_code, unreadable.status_code, ok.status_code) == (422, 400, 201)

    listed = await intake.get("/v1/inbound?status=rejected", headers=LUMAJANG_DESK)
    assert listed.status_code == 200
    items = listed.json()["items"]
    # The unreadable one has no office: only an administrator sees it.
    assert [(i["reason"], i["office"]) for i in items] == [("nik_invalid", "lumajang")]
    assert items[0]["details"]["field"] == "applicant.nik"

    admin = auth("lumajang", Role.ADMIN, staff_id="lmj-admin")
    admin_items = (await intake.get("/v1/inbound?status=rejected", headers=admin)).json()["items"]
    assert {i["reason"] for i in admin_items} == {"nik_invalid", "malformed_json"}
    everything = (await intake.get("/v1/inbound", headers=admin)).json()["items"]
    assert len(everything) == 3

    one = await intake.get(f"/v1/inbound/{bad_nik.headers['X-Inbound-ID']}", headers=LUMAJANG_DESK)
    assert one.status_code == 200
    assert orjson.loads(one.json()["body_text"])["applicant"]["nik"] == "123"
    assert one.json()["reason"] == "nik_invalid"

    unreadable_id = unreadable.headers["X-Inbound-ID"]
    r = await intake.get(f"/v1/inbound/{unreadable_id}", headers=LUMAJANG_DESK)
    assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_role"
    r = await intake.get(f"/v1/inbound/{unreadable_id}", headers=admin)
    assert r.status_code == 200 and r.json()["body_text"] == "{nope"

    r = await intake.get(
        f"/v1/inbound/{bad_nik.headers['X-Inbound-ID']}",
        headers=auth("mataram", Role.FRONT_OFFICE),
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_office"
    r = await intake.get("/v1/inbound", headers=auth("lumajang", Role.OFFICER))
    assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_role"
    r = await intake.get("/v1/inbound/00000000-0000-0000-0000-000000000000", headers=LUMAJANG_DESK)
    assert r.status_code == 404 and r.json()["error"]["code"] == "inbound_not_found"
    r = await intake.get("/v1/inbound/not-a-uuid", headers=LUMAJANG_DESK)
    assert r.status_code == 422

    async with pool.acquire() as conn:
        reads = await conn.fetchval("SELECT count(*) FROM intake.inbound_reads")
    assert reads == 2


async def test_the_catalogue_is_public(intake: httpx.AsyncClient) -> None:
    r = await intake.get("/v1/catalogue")
    assert r.status_code == 200
    offices = {o["id"]: o for o in r.json()["offices"]}
    assert set(offices) == {"kupang", "lumajang", "mataram", "pariaman"}
    lumajang = {s["id"]: s for s in offices["lumajang"]["services"]}
    assert "reset-pin" in [v["id"] for v in lumajang["kks-recommendation"]["variants"]]

    r = await intake.get("/v1/catalogue/pariaman")
    assert r.status_code == 200 and r.json()["services"]["dtks-certificate"]["requires_dtks"]
    assert all("nip" not in s for s in r.json()["signatories"].values())
    r = await intake.get("/v1/catalogue/atlantis")
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_office"
    assert "RegisterRequest" in (await intake.get("/openapi.json")).json()["components"]["schemas"]
