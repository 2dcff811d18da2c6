"""Intake's outside doors, on the real database and broker: an outside channel adapter
publishing on `slrt.intake.adapters` with confluent-kafka (not SLRT's aiokafka), what
intake refuses from it, and refused webhook deliveries kept with their door's office."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from services.intake.bootstrap import create_app
from shared.contracts.vocab import Role
from shared.settings import Settings
from tests.integration.test_intake_channels import (
    META_SECRET,
    meta_headers,
    registered,
    whatsapp_body,
)
from tests.outside_kafka import adapter_message, consume_until, produce, publish_adapter_message
from tests.sealed_rows import opened_attachments, opened_messages
from tests.servicekit import auth, eventually, running

pytestmark = pytest.mark.integration

KUPANG_DESK = auth("kupang", Role.FRONT_OFFICE, staff_id="kpg-fo-01")
LUMAJANG_DESK = auth("lumajang", Role.FRONT_OFFICE, staff_id="lmj-fo-01")
ADMIN = auth("kupang", Role.ADMIN, staff_id="kpg-admin")
COMPLAINT = "Bantuan PKH saya belum cair sejak Agustus"


@pytest.fixture
def outside_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"slrt_meta_app_secret": META_SECRET})


@pytest.fixture
async def intake(outside_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(outside_settings)
    app.state.runtime.catch_up_seconds = 1.0
    async with running(app) as client:
        await asyncio.wait_for(app.state.runtime.consuming.wait(), 60)
        yield client


async def rejected(client: httpx.AsyncClient, who: dict[str, str]) -> list[dict[str, Any]]:
    r = await client.get("/v1/inbound", params={"status": "rejected"}, headers=who)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def by_external_id(pool: asyncpg.Pool, external_id: str, n: int = 1) -> list[Any]:
    """The `n` messages kept for this external id, once all are decided."""

    async def check() -> list[Any] | None:
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                """SELECT * FROM intake.inbound_messages WHERE external_id = $1
                   ORDER BY received_at, decided_at""",
                external_id,
            )
            opened = await opened_messages(conn, rows)
        done = [r for r in opened if r["status"] != "queued"]
        return done if len(done) >= n else None

    rows: list[Any] = await eventually(check, timeout=40)
    return rows


async def test_a_forged_delivery_is_kept_with_the_office_its_door_names(
    intake: httpx.AsyncClient,
) -> None:
    forged = whatsapp_body("wamid.FORGED-KPG", COMPLAINT)
    r = await intake.post(
        "/v1/channels/whatsapp/kupang", content=forged, headers=meta_headers(forged, "wrong")
    )
    assert r.status_code == 401 and r.json()["error"]["code"] == "signature_invalid"
    forged_id = r.json()["error"]["details"]["inbound_id"]
    # Signed, but not a WhatsApp webhook: refused as unreadable, with the office too.
    odd = orjson.dumps({"object": "page", "entry": []})
    r = await intake.post("/v1/channels/whatsapp/kupang", content=odd, headers=meta_headers(odd))
    assert r.status_code == 400 and r.json()["error"]["code"] == "unexpected_shape"
    odd_id = r.json()["error"]["details"]["inbound_id"]

    seen = {m["id"]: m for m in await rejected(intake, KUPANG_DESK)}
    assert seen[forged_id]["office"] == "kupang"
    assert seen[forged_id]["reason"] == "signature_invalid"
    assert seen[forged_id]["channel"] == "whatsapp"
    assert seen[odd_id]["office"] == "kupang" and seen[odd_id]["reason"] == "unexpected_shape"
    # Another office's front office does not see it.
    assert forged_id not in {m["id"] for m in await rejected(intake, LUMAJANG_DESK)}


async def test_an_outside_adapter_message_becomes_one_case_with_its_attachment(
    intake: httpx.AsyncClient, pool: asyncpg.Pool, outside_settings: Settings
) -> None:
    bootstrap = outside_settings.kafka_bootstrap_servers
    prefix = outside_settings.kafka_topic_prefix
    assert bootstrap
    photo = b"\xff\xd8\xff\xe0 synthetic jpeg bytes"
    message = adapter_message(
        "kupang",
        COMPLAINT,
        attachments=[
            {
                "file_name": "kartu.jpg",
                "content_type": "image/jpeg",
                "sha256": hashlib.sha256(photo).hexdigest(),
                "content_base64": base64.b64encode(photo).decode(),
            },
            {
                "file_name": "video.mp4",
                "content_type": "video/mp4",
                "sha256": "ab" * 32,
                "url": "https://media.example.invalid/v1/media/123",
            },
        ],
    )
    key, headers = await asyncio.to_thread(publish_adapter_message, bootstrap, prefix, message)
    (first,) = await by_external_id(pool, message["external_id"])
    assert (first["status"], first["source"], first["channel"], first["office"]) == (
        "accepted",
        "kafka-adapter",
        "whatsapp",
        "kupang",
    )
    assert first["body"] == orjson.dumps(message)  # kept as received
    assert first["headers"]["kafka_key"] == key.decode()
    assert str(first["correlation_id"]) == headers["correlation_id"]
    data = await registered(pool, first["case_id"])
    assert data["channel"] == "whatsapp" and data["external_id"] == message["external_id"]
    assert data["applicant"]["phone"] == "+6281299990001"
    async with pool.acquire() as conn:
        files = await opened_attachments(conn, first["id"])
    # The inline one is kept with its bytes; the one by URL is kept as a reference (no
    # fetcher for outside URLs yet: listed on the case as not fetched, never dropped).
    assert [(f["file_name"], f["content"]) for f in files] == [
        ("kartu.jpg", photo),
        ("video.mp4", None),
    ]
    refs = first["parsed"]["attachments"]
    assert refs[1]["url"] == "https://media.example.invalid/v1/media/123"

    # The adapter (or Kafka) delivers it again: kept again, no second case.
    await asyncio.to_thread(publish_adapter_message, bootstrap, prefix, message)
    rows = await by_external_id(pool, message["external_id"], n=2)
    assert [(r["status"], r["case_id"]) for r in rows] == [
        ("accepted", first["case_id"]),
        ("accepted", first["case_id"]),
    ]
    async with pool.acquire() as conn:
        cases = await conn.fetchval(
            "SELECT count(*) FROM intake.registrations WHERE external_id = $1",
            message["external_id"],
        )
    assert cases == 1


async def test_refused_adapter_messages_are_kept_and_dead_lettered_with_their_origin(
    intake: httpx.AsyncClient, pool: asyncpg.Pool, outside_settings: Settings
) -> None:
    bootstrap = outside_settings.kafka_bootstrap_servers
    prefix = outside_settings.kafka_topic_prefix
    assert bootstrap
    no_office = adapter_message("atlantis", COMPLAINT)
    no_time = adapter_message("kupang", COMPLAINT)
    del no_time["received_at"]
    bad_channel = adapter_message("kupang", COMPLAINT, channel="telegram")
    content = b"%PDF-1.4 synthetic"
    bad_sum = adapter_message(
        "kupang",
        COMPLAINT,
        attachments=[
            {
                "file_name": "surat.pdf",
                "content_type": "application/pdf",
                "sha256": "00" * 32,
                "content_base64": base64.b64encode(content).decode(),
            }
        ],
    )
    expected = {
        no_office["external_id"]: ("unknown_office", None),
        no_time["external_id"]: ("schema_invalid", "kupang"),
        bad_channel["external_id"]: ("unknown_channel", "kupang"),
        bad_sum["external_id"]: ("attachment_checksum_mismatch", "kupang"),
    }
    sent: dict[str, tuple[bytes, dict[str, str]]] = {}
    for msg in (no_office, no_time, bad_channel, bad_sum):
        sent[msg["external_id"]] = await asyncio.to_thread(
            publish_adapter_message, bootstrap, prefix, msg
        )

    for ext, (reason, office) in expected.items():
        (row,) = await by_external_id(pool, ext)
        assert (row["status"], row["reason"], row["office"]) == ("rejected", reason, office)
    kupang = {m["external_id"]: m for m in await rejected(intake, KUPANG_DESK)}
    assert kupang[no_time["external_id"]]["details"]["errors"][0]["loc"] == ["received_at"]
    assert "received_at" in kupang[no_time["external_id"]]["message"]
    admin = {m["external_id"]: m for m in await rejected(intake, ADMIN)}
    assert admin[no_office["external_id"]]["reason"] == "unknown_office"

    async def dead_letters() -> list[Any] | None:
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT key, headers, reason, reason_code, event_id FROM intake.dead_letters"
            )
        return rows if len(rows) >= len(expected) else None

    rows = await eventually(dead_letters, timeout=40)
    by_key = {r["key"]: r for r in rows}
    for ext, (reason, _office) in expected.items():
        key, headers = sent[ext]
        row = by_key[key]
        assert row["reason_code"] == reason and row["reason"].startswith(f"{reason}: ")
        assert str(row["event_id"]) == headers["event_id"]
        assert dict(row["headers"]) == headers  # exactly the original headers
        assert "Error" not in row["reason"]  # a readable reason, not a database error

    # On the dead-letter topic, read by an outside client: original key and headers.
    key, headers = sent[no_office["external_id"]]
    record = await asyncio.to_thread(
        consume_until,
        bootstrap,
        f"{prefix}slrt.intake.dead-letter",
        lambda r: r.key == key,
    )
    assert record.value == orjson.dumps(no_office)
    assert record.headers["event_id"] == headers["event_id"]
    assert record.headers["correlation_id"] == headers["correlation_id"]
    assert record.headers["reason_code"] == "unknown_office"
    assert record.headers["source_topic"] == "slrt.intake.adapters"


async def test_an_outside_inbound_received_envelope_is_dead_lettered_with_a_domain_reason(
    intake: httpx.AsyncClient, pool: asyncpg.Pool, outside_settings: Settings
) -> None:
    """The mistake the issue found: `InboundReceived` published by an outside client on the
    internal topic. No foreign-key error: a reason the publisher can act on, and its key
    and headers kept. Since consumers trust the store, not the wire (issue 16.3), that
    reason is `not_in_store`: the event never reaches intake's handler."""
    bootstrap = outside_settings.kafka_bootstrap_servers
    assert bootstrap
    event_id, correlation_id, inbound_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    envelope = {
        "event_id": str(event_id),
        "event_type": "InboundReceived",
        "schema_version": 1,
        "stream_id": f"inbound-{inbound_id}",
        "stream_version": 1,
        "global_position": 1,
        "office": "kupang",
        "correlation_id": str(correlation_id),
        "actor": "outside",
        "channel": "whatsapp",
        "occurred_at": "2026-10-05T03:00:00Z",
        "recorded_at": "2026-10-05T03:00:00Z",
        "data": {
            "inbound_id": str(inbound_id),
            "channel": "whatsapp",
            "external_id": "wamid.OUTSIDE-ENVELOPE",
            "received_at": "2026-10-05T03:00:00Z",
            "payload": {"office": "kupang", "text": COMPLAINT},
        },
    }
    headers = {
        "event_type": "InboundReceived",
        "event_id": str(event_id),
        "correlation_id": str(correlation_id),
    }
    await asyncio.to_thread(
        produce,
        bootstrap,
        f"{outside_settings.kafka_topic_prefix}slrt.intake.inbound",
        orjson.dumps(envelope),
        key=str(inbound_id).encode(),
        headers=headers,
    )

    async def dead() -> Any:
        async with pool.acquire() as conn:
            return await conn.fetchrow(
                "SELECT * FROM intake.dead_letters WHERE event_id = $1", event_id
            )

    row = await eventually(dead, timeout=40)
    assert row["reason_code"] == "not_in_store"
    assert "slrt.intake.adapters" in row["reason"] and "ForeignKey" not in row["reason"]
    assert row["key"] == str(inbound_id).encode()
    assert dict(row["headers"]) == headers
