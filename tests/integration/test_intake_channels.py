"""Every channel through one door, on the real database and broker.

Adapters keep the raw delivery and publish `InboundReceived` on Kafka; intake's consumer
decides each message into a case, a reply to a case, or the triage queue.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import smtplib
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import orjson
import pytest

from services.intake.adapters.channels.base import hmac_sha256_b64
from services.intake.bootstrap import create_app
from shared.contracts.base import EventEnvelope
from shared.contracts.streams import complaint_stream, inbound_stream, visit_stream
from shared.contracts.vocab import Role
from shared.eventstore.store import read_stream
from shared.infra import free_port
from shared.kafka import make_producer
from shared.settings import Settings, topic_name
from tests.meta_webhooks import contact, text_message, whatsapp_webhook
from tests.meta_webhooks import meta_headers as signed_headers
from tests.sealed_rows import opened_message
from tests.servicekit import auth, eventually, running

pytestmark = pytest.mark.integration

META_SECRET = "test-meta-secret"
TWITTER_SECRET = "test-twitter-secret"
LAPOR_SECRET = "test-lapor-secret"
KUPANG_DESK = auth("kupang", Role.FRONT_OFFICE, Role.RECEPTIONIST, staff_id="kpg-fo-01")
KUPANG_OFFICER = auth("kupang", Role.COMPLAINT_OFFICER, staff_id="kpg-co-01")
LUMAJANG_DESK = auth("lumajang", Role.FRONT_OFFICE, staff_id="lmj-fo-01")
MATARAM_DESK = auth("mataram", Role.FRONT_OFFICE, staff_id="mtr-fo-01")


@pytest.fixture
def channel_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "slrt_meta_app_secret": META_SECRET,
            "slrt_twitter_consumer_secret": TWITTER_SECRET,
            "slrt_lapor_secret": LAPOR_SECRET,
            "slrt_smtp_port": free_port(),
        }
    )


@pytest.fixture
async def intake(channel_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(channel_settings)
    # The store is the fallback to Kafka: catch up often while the consumer group joins.
    app.state.runtime.catch_up_seconds = 1.0
    async with running(app) as client:
        yield client


def meta_headers(body: bytes, secret: str = META_SECRET) -> dict[str, str]:
    return signed_headers(body, secret)


def whatsapp_body(wamid: str, text: str, phone: str = "6281200000101") -> bytes:
    return whatsapp_webhook(
        {
            "metadata": {"phone_number_id": "100"},
            "contacts": [contact("Warga Satu", phone)],
            "messages": [text_message(phone, wamid, text)],
        }
    )


async def decided(pool: asyncpg.Pool, inbound_id: str) -> dict[str, Any]:
    """Wait until intake's consumer has decided the message; return its row, opened the
    way intake reads it (what the citizen sent is sealed at rest)."""

    async def check() -> dict[str, Any] | None:
        async with pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT * FROM intake.inbound_messages WHERE id = $1", UUID(inbound_id)
            )
            if row is None or row["status"] == "queued":
                return None
            return await opened_message(conn, row)

    row: dict[str, Any] | None = await eventually(check, timeout=40)
    assert row is not None
    return row


async def case_events(pool: asyncpg.Pool, case_id: UUID) -> list[EventEnvelope]:
    async with pool.acquire() as conn:
        return await read_stream(conn, complaint_stream(case_id))


async def registered(pool: asyncpg.Pool, case_id: UUID | None) -> dict[str, Any]:
    assert case_id is not None, "no case was registered"
    events = await case_events(pool, case_id)
    assert events[0].event_type == "ComplaintRegistered"
    return events[0].data


async def test_whatsapp_message_becomes_one_case_and_a_forged_one_never(
    intake: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    body = whatsapp_body("wamid.AAA1", "Bantuan PKH saya belum cair sejak Agustus")
    r = await intake.post("/v1/channels/whatsapp/kupang", content=body, headers=meta_headers(body))
    assert r.status_code == 202, r.text
    (inbound_id,) = r.json()["inbound_ids"]
    row = await decided(pool, inbound_id)
    assert (row["status"], row["channel"], row["external_id"]) == (
        "accepted",
        "whatsapp",
        "wamid.AAA1",
    )
    assert row["body"] == body  # the delivery, byte for byte
    data = await registered(pool, row["case_id"])
    assert data["service"] == "public-complaint" and data["variant"] == "general"
    assert data["applicant"]["phone"] == "+6281200000101"
    assert data["ticket_number"].startswith("KPN-")

    # WhatsApp redelivers: the same wamid is kept again but makes no second case.
    again = await intake.post(
        "/v1/channels/whatsapp/kupang", content=body, headers=meta_headers(body)
    )
    row2 = await decided(pool, again.json()["inbound_ids"][0])
    assert (row2["status"], row2["reason"], row2["case_id"]) == (
        "accepted",
        "duplicate",
        row["case_id"],
    )

    # A forged signature: 401, kept as rejected, never published or registered.
    forged = whatsapp_body("wamid.FORGED", "Bantuan PKH belum cair")
    bad = await intake.post(
        "/v1/channels/whatsapp/kupang", content=forged, headers=meta_headers(forged, "wrong")
    )
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "signature_invalid"
    async with pool.acquire() as conn:
        kept = await conn.fetchrow(
            "SELECT status, reason FROM intake.inbound_messages WHERE id = $1",
            UUID(bad.json()["error"]["details"]["inbound_id"]),
        )
        published = await conn.fetchval(
            "SELECT count(*) FROM eventstore.events WHERE data->>'external_id' = 'wamid.FORGED'"
        )
    assert tuple(kept) == ("rejected", "signature_invalid") and published == 0

    # Status receipts carry no message: acknowledged, nothing to register.
    receipt = orjson.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"changes": [{"value": {"statuses": [{"id": "wamid.AAA1"}]}}]}],
        }
    )
    ok = await intake.post(
        "/v1/channels/whatsapp/kupang", content=receipt, headers=meta_headers(receipt)
    )
    assert ok.status_code == 202 and ok.json()["inbound_ids"] == []


async def test_webhook_verification_handshakes(intake: httpx.AsyncClient) -> None:
    r = await intake.get(
        "/v1/channels/whatsapp/kupang",
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": "dev-meta-verify-token",
            "hub.challenge": "12345",
        },
    )
    assert r.status_code == 200 and r.text == "12345"
    r = await intake.get(
        "/v1/channels/facebook/kupang",
        params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"},
    )
    assert r.status_code == 403
    r = await intake.get("/v1/channels/twitter/lumajang", params={"crc_token": "abc"})
    assert r.json()["response_token"] == "sha256=" + hmac_sha256_b64(TWITTER_SECRET, b"abc")


async def test_facebook_instagram_and_x_messages_become_cases(
    intake: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    fb = orjson.dumps(
        {
            "object": "page",
            "entry": [
                {
                    "id": "PAGE1",
                    "time": 1,
                    "messaging": [
                        {
                            "sender": {"id": "PSID-77"},
                            "recipient": {"id": "PAGE1"},
                            "timestamp": int(time.time() * 1000),
                            "message": {"mid": "m_fb_1", "text": "Saya belum menerima bansos"},
                        },
                        {  # the page's own reply, echoed back: ignored
                            "sender": {"id": "PAGE1"},
                            "recipient": {"id": "PSID-77"},
                            "timestamp": int(time.time() * 1000),
                            "message": {"mid": "m_fb_2", "text": "Baik", "is_echo": True},
                        },
                    ],
                }
            ],
        }
    )
    r = await intake.post("/v1/channels/facebook/kupang", content=fb, headers=meta_headers(fb))
    assert r.status_code == 202 and len(r.json()["inbound_ids"]) == 1
    fb_row = await decided(pool, r.json()["inbound_ids"][0])
    assert fb_row["status"] == "accepted", fb_row["reason"]

    ig = orjson.dumps(
        {
            "object": "instagram",
            "entry": [
                {
                    "id": "IG1",
                    "time": int(time.time()),
                    "changes": [
                        {
                            "field": "comments",
                            "value": {
                                "id": "ig-c-1",
                                "text": "Butuh konseling keluarga, ada kekerasan di rumah",
                                "from": {"id": "IGU-5", "username": "warga.contoh"},
                            },
                        }
                    ],
                }
            ],
        }
    )
    r = await intake.post("/v1/channels/instagram/mataram", content=ig, headers=meta_headers(ig))
    ig_row = await decided(pool, r.json()["inbound_ids"][0])
    assert ig_row["status"] == "accepted", ig_row["reason"]
    assert (await registered(pool, ig_row["case_id"]))["service"] == "lk3-consultation"

    x = orjson.dumps(
        {
            "for_user_id": "OFFICE-X",
            "direct_message_events": [
                {
                    "type": "message_create",
                    "id": "dm-9",
                    "created_timestamp": str(int(time.time() * 1000)),
                    "message_create": {
                        "sender_id": "XU-3",
                        "target": {"recipient_id": "OFFICE-X"},
                        "message_data": {"text": "KKS saya hilang, bagaimana buat kartu baru?"},
                    },
                }
            ],
            "users": {"XU-3": {"name": "Warga X", "screen_name": "wargax"}},
        }
    )
    sig = "sha256=" + hmac_sha256_b64(TWITTER_SECRET, x)
    forged = await intake.post(
        "/v1/channels/twitter/lumajang",
        content=x,
        headers={"x-twitter-webhooks-signature": "sha256=AAAA"},
    )
    assert forged.status_code == 401
    r = await intake.post(
        "/v1/channels/twitter/lumajang", content=x, headers={"x-twitter-webhooks-signature": sig}
    )
    x_row = await decided(pool, r.json()["inbound_ids"][0])
    assert x_row["status"] == "accepted", x_row["reason"]
    data = await registered(pool, x_row["case_id"])
    assert (data["service"], data["variant"], data["channel"]) == (
        "kks-recommendation",
        "new-kks",
        "twitter",
    )


def lapor_post(body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    raw = orjson.dumps(body)
    sig = hmac.new(LAPOR_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"X-Lapor-Signature": f"sha256={sig}", "Content-Type": "application/json"}


async def test_lapor_keeps_tracking_id_and_honours_anonymous_and_confidential(
    intake: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    raw, headers = lapor_post(
        {
            "tracking_id": "LPR-5550001",
            "title": "Bansos tidak diterima",
            "content": "Keluarga kami terdaftar PKH tetapi belum menerima bantuan.",
            "is_anonymous": True,
            "reporter": {"name": "Tidak Boleh Tampil", "phone": "081200000999"},
        }
    )
    r = await intake.post("/v1/channels/lapor/kupang", content=raw, headers=headers)
    row = await decided(pool, r.json()["inbound_ids"][0])
    assert (row["status"], row["external_id"], row["anonymous"]) == (
        "accepted",
        "LPR-5550001",
        True,
    )
    data = await registered(pool, row["case_id"])
    assert data["anonymous"] is True and data["citizen_id"] is None
    assert not any(data["applicant"].values())  # no identity in the event at all
    assert "Tidak Boleh Tampil" not in orjson.dumps(data).decode()

    raw, headers = lapor_post(
        {
            "tracking_id": "LPR-5550002",
            "title": "Petugas meminta uang",
            "content": "Pelayanan bansos dipungut biaya oleh petugas.",
            "is_confidential": True,
            "reporter": {"name": "Pelapor Rahasia", "phone": "081200000998"},
        }
    )
    r = await intake.post("/v1/channels/lapor/kupang", content=raw, headers=headers)
    row = await decided(pool, r.json()["inbound_ids"][0])
    data = await registered(pool, row["case_id"])
    assert data["confidential"] is True and data["external_id"] == "LPR-5550002"

    # Who may read the raw message of a confidential report: the complaint officer, not
    # the front desk.
    desk = await intake.get(f"/v1/inbound/{row['id']}", headers=KUPANG_DESK)
    officer = await intake.get(f"/v1/inbound/{row['id']}", headers=KUPANG_OFFICER)
    assert desk.status_code == 200 and "body_text" not in desk.json()
    assert "Pelapor Rahasia" not in desk.text
    assert "Pelapor Rahasia" in officer.json()["body_text"]

    unsigned = await intake.post(
        "/v1/channels/lapor/kupang", content=raw, headers={"Content-Type": "application/json"}
    )
    assert unsigned.status_code == 401


def send_mail(port: int, msg: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(msg)


async def test_email_over_smtp_with_attachment_and_threaded_replies(
    intake: httpx.AsyncClient, pool: asyncpg.Pool, channel_settings: Settings
) -> None:
    port = channel_settings.slrt_smtp_port
    assert port is not None
    msg = EmailMessage()
    msg["From"] = "Warga Surel <warga.surel@example.org>"
    msg["To"] = "dinsos@kupangkota.go.id"
    msg["Subject"] = "Pengaduan bantuan sembako"
    msg["Message-ID"] = "<first-1@example.org>"
    msg.set_content("Bantuan sembako keluarga kami berhenti sejak bulan lalu.")
    msg.add_attachment(b"%PDF-1.4 bukti", maintype="application", subtype="pdf", filename="b.pdf")
    await asyncio.to_thread(send_mail, port, msg)

    async def first_row() -> asyncpg.Record | None:
        async with pool.acquire() as conn:
            return await conn.fetchrow(
                """SELECT * FROM intake.inbound_messages
                   WHERE external_id = '<first-1@example.org>' AND status <> 'queued'"""
            )

    row = await eventually(first_row, timeout=40)
    assert row["status"] == "accepted" and row["source"] == "smtp"
    data = await registered(pool, row["case_id"])
    assert data["applicant"]["email"] == "warga.surel@example.org"
    async with pool.acquire() as conn:
        att = await conn.fetchrow(
            "SELECT file_name, sha256, content FROM intake.inbound_attachments "
            "WHERE inbound_id = $1",
            row["id"],
        )
    assert att["file_name"] == "b.pdf"
    assert att["sha256"] == hashlib.sha256(b"%PDF-1.4 bukti").hexdigest()

    # A reply in the same thread, and one that only quotes the ticket number.
    reply = EmailMessage()
    reply["From"] = "warga.surel@example.org"
    reply["To"] = "dinsos@kupangkota.go.id"
    reply["Subject"] = "Re: Pengaduan bantuan sembako"
    reply["Message-ID"] = "<second-2@example.org>"
    reply["In-Reply-To"] = "<first-1@example.org>"
    reply.set_content("Ini fotokopi KK yang diminta.")
    await asyncio.to_thread(send_mail, port, reply)
    by_ticket = EmailMessage()
    by_ticket["From"] = "kerabat@example.org"
    by_ticket["To"] = "dinsos@kupangkota.go.id"
    by_ticket["Subject"] = f"Tanya perkembangan {data['ticket_number']}"
    by_ticket["Message-ID"] = "<third-3@example.org>"
    by_ticket.set_content("Mohon kabar.")
    await asyncio.to_thread(send_mail, port, by_ticket)

    async def replies() -> list[EventEnvelope] | None:
        events = await case_events(pool, row["case_id"])
        found = [e for e in events if e.event_type == "ReplyReceived"]
        return found if len(found) == 2 else None

    found = await eventually(replies, timeout=40)
    assert {e.data["channel"] for e in found} == {"email"}

    # Not an office mailbox: refused at RCPT.
    stray = EmailMessage()
    stray["From"] = "a@example.org"
    stray["To"] = "someone@elsewhere.example"
    stray["Subject"] = "x"
    stray.set_content("x")
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        await asyncio.to_thread(send_mail, port, stray)


async def test_unclear_messages_wait_in_triage_until_staff_classify_them(
    intake: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    r = await intake.post(
        "/v1/channels/website/mataram",
        json={"person": {"name": "Warga Web", "phone": "081200000301"}, "message": "Halo, pak."},
    )
    assert r.status_code == 202
    inbound_id = r.json()["inbound_ids"][0]
    row = await decided(pool, inbound_id)
    assert (row["status"], row["reason"]) == ("triage", "service_not_recognised")
    queue = (await intake.get("/v1/triage", headers=MATARAM_DESK)).json()["items"]
    assert [i["inbound_id"] for i in queue] == [inbound_id]
    assert queue[0]["summary"] == "Halo, pak."

    # Another office's staff can neither see nor classify it.
    assert (await intake.get("/v1/triage", headers=KUPANG_DESK)).json()["items"] == []
    body = {"office": "mataram", "service": "lk3-consultation"}
    other = await intake.post(f"/v1/triage/{inbound_id}/classify", json=body, headers=KUPANG_DESK)
    assert other.status_code == 403

    ok, twice = await asyncio.gather(
        intake.post(f"/v1/triage/{inbound_id}/classify", json=body, headers=MATARAM_DESK),
        intake.post(f"/v1/triage/{inbound_id}/classify", json=body, headers=MATARAM_DESK),
    )
    assert sorted([ok.status_code, twice.status_code]) == [201, 409]
    winner = ok if ok.status_code == 201 else twice
    case_id = UUID(winner.json()["case_id"])
    data = await registered(pool, case_id)
    assert (data["service"], data["variant"], data["channel"]) == (
        "lk3-consultation",
        "family-counselling",
        "website",
    )
    assert (await intake.get("/v1/triage", headers=MATARAM_DESK)).json()["items"] == []
    async with pool.acquire() as conn:
        types = [e.event_type for e in await read_stream(conn, inbound_stream(UUID(inbound_id)))]
    assert types == ["InboundReceived", "TriageRequested", "RequestClassified"]

    bad = await intake.post("/v1/channels/website/mataram", content=b"{not json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "malformed_json"
    nowhere = await intake.post("/v1/channels/website/atlantis", json={"message": "x"})
    assert nowhere.status_code == 404


async def test_call_log_letter_scan_and_suggestion_box(
    intake: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    r = await intake.post(
        "/v1/channels/telephone",
        json={
            "office": "lumajang",
            "call_id": "pbx-0001",
            "caller": {"name": "Penelepon", "phone": "081200000401"},
            "notes": "PIN KKS terblokir, minta reset PIN.",
        },
        headers=LUMAJANG_DESK,
    )
    row = await decided(pool, r.json()["inbound_ids"][0])
    assert (await registered(pool, row["case_id"]))["variant"] == "reset-pin"

    # Received by the office three days before it is entered: the case (and the
    # standard's seven working days) dates from then, not from when intake routed it.
    received_on = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0)
    details = {
        "office": "kupang",
        "received_on": received_on.isoformat(),
        "letter_number": "005/RT-03/XI/2026",
        "sender": {"name": "Ketua RT Contoh"},
        "sender_organisation": "RT 03 Kelurahan Contoh",
        "subject": "Pengaduan bantuan",
        "summary": "Warga kami belum menerima bantuan PKH tahap ini.",
    }
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    r = await intake.post(
        "/v1/channels/letter",
        data={"details": orjson.dumps(details).decode()},
        files={"scan": ("surat.pdf", pdf, "application/pdf")},
        headers=KUPANG_DESK,
    )
    assert r.status_code == 202, r.text
    row = await decided(pool, r.json()["inbound_ids"][0])
    assert row["status"] == "accepted" and row["channel"] == "letter"
    letter_case = await registered(pool, row["case_id"])
    assert datetime.fromisoformat(letter_case["received_at"]) == received_on
    async with pool.acquire() as conn:
        assert (
            await conn.fetchval(
                "SELECT sha256 FROM intake.inbound_attachments WHERE inbound_id = $1", row["id"]
            )
            == hashlib.sha256(pdf).hexdigest()
        )
        before = await conn.fetchval("SELECT count(*) FROM intake.inbound_messages")

    # A "PDF" that is not one, and one too large: refused, and kept as rejected (the
    # letter as it came), with no file stored and no case.
    fake = await intake.post(
        "/v1/channels/letter",
        data={"details": orjson.dumps(details).decode()},
        files={"scan": ("surat.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")},
        headers=KUPANG_DESK,
    )
    assert fake.status_code == 415 and fake.json()["error"]["code"] == "unsupported_scan"
    huge = await intake.post(
        "/v1/channels/letter",
        data={"details": orjson.dumps(details).decode()},
        files={"scan": ("surat.pdf", b"%PDF" + b"0" * (10 * 1024 * 1024 + 1), "application/pdf")},
        headers=KUPANG_DESK,
    )
    assert huge.status_code == 413
    refused = [UUID(r.json()["error"]["details"]["inbound_id"]) for r in (fake, huge)]
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM intake.inbound_messages") == before + 2
        kept = await conn.fetch(
            """SELECT status, reason, case_id, body_truncated FROM intake.inbound_messages
               WHERE id = ANY($1::uuid[]) ORDER BY reason DESC""",
            refused,
        )
        assert [tuple(k) for k in kept] == [
            ("rejected", "unsupported_scan", None, False),
            ("rejected", "payload_too_large", None, True),
        ]
        assert not await conn.fetchval(
            "SELECT count(*) FROM intake.inbound_attachments WHERE inbound_id = ANY($1::uuid[])",
            refused,
        )

    opened_on = datetime.now(UTC).date() - timedelta(days=1)
    batch = {
        "office": "kupang",
        "opened_on": opened_on.isoformat(),
        "slips": [
            {"text": "Bantuan sembako kami tidak cair"},
            {"text": "Pelayanan petugas lambat", "name": "Warga Kotak", "phone": "081200000501"},
            {"text": "Terima kasih"},
        ],
    }
    r = await intake.post("/v1/channels/suggestion-box", json=batch, headers=KUPANG_DESK)
    rows = [await decided(pool, i) for i in r.json()["inbound_ids"]]
    assert [x["status"] for x in rows] == ["accepted", "accepted", "triage"]
    slip_case = await registered(pool, rows[0]["case_id"])
    assert slip_case["anonymous"] is True
    # Received the day the box was opened.
    opened = datetime(opened_on.year, opened_on.month, opened_on.day, tzinfo=UTC)
    assert datetime.fromisoformat(slip_case["received_at"]) == opened
    # Entering the same batch again makes no new case.
    r = await intake.post("/v1/channels/suggestion-box", json=batch, headers=KUPANG_DESK)
    again = [await decided(pool, i) for i in r.json()["inbound_ids"][:2]]
    assert [x["case_id"] for x in again] == [x["case_id"] for x in rows[:2]]

    wrong = await intake.post("/v1/channels/suggestion-box", json=batch, headers=LUMAJANG_DESK)
    assert wrong.status_code == 403


async def test_walk_in_desk_queue_numbers_guest_book_and_id_card(
    intake: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    first = await intake.post(
        "/v1/desk/visits",
        json={"name": "Tamu Satu", "purpose": "Pengaduan PKH", "id_card_left": "ktp"},
        headers=KUPANG_DESK,
    )
    second = await intake.post(
        "/v1/desk/visits", json={"name": "Tamu Dua", "purpose": "Tanya DTKS"}, headers=KUPANG_DESK
    )
    assert (first.json()["queue_number"], second.json()["queue_number"]) == ("A-001", "A-002")
    visit_id = first.json()["visit_id"]
    held = (await intake.get("/v1/desk/id-cards", headers=KUPANG_DESK)).json()["items"]
    assert [v["visit_id"] for v in held] == [visit_id]

    r = await intake.post(
        "/v1/requests",
        json={
            "office": "kupang",
            "service": "public-complaint",
            "channel": "walk_in",
            "applicant": {"name": "Tamu Satu", "phone": "081200000601"},
            "description": "PKH belum cair",
            "visit_id": visit_id,
        },
        headers=KUPANG_DESK,
    )
    assert r.status_code == 201, r.text
    day = (await intake.get("/v1/desk/visits", headers=KUPANG_DESK)).json()["items"]
    assert [v["case_id"] for v in day] == [r.json()["case_id"], None]

    back = await intake.post(f"/v1/desk/visits/{visit_id}/id-card/return", headers=KUPANG_DESK)
    assert back.status_code == 200
    twice = await intake.post(f"/v1/desk/visits/{visit_id}/id-card/return", headers=KUPANG_DESK)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "already_returned"
    assert (await intake.get("/v1/desk/id-cards", headers=KUPANG_DESK)).json()["items"] == []
    async with pool.acquire() as conn:
        types = [e.event_type for e in await read_stream(conn, visit_stream(UUID(visit_id)))]
    # The second deposit hands the held card to the case the visit became.
    assert types == ["GuestBookSigned", "IdCardDeposited", "IdCardDeposited", "IdCardReturned"]


async def test_one_citizen_across_channels_and_likely_duplicates_linked(
    intake: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    body = whatsapp_body("wamid.DUP1", "Bansos saya belum cair", phone="6281200000701")
    r = await intake.post("/v1/channels/whatsapp/kupang", content=body, headers=meta_headers(body))
    first = await decided(pool, r.json()["inbound_ids"][0])
    assert first["status"] == "accepted", (first["reason"], first["reason_message"])
    # The same person at the desk, now with a NIK too.
    desk = await intake.post(
        "/v1/requests",
        json={
            "office": "kupang",
            "service": "public-complaint",
            "channel": "walk_in",
            "applicant": {
                "name": "Warga Satu",
                "phone": "0812-0000-0701",
                "nik": "5371014101900007",
            },
            "description": "Bansos belum cair",
        },
        headers=KUPANG_DESK,
    )
    assert desk.status_code == 201
    second_id = UUID(desk.json()["case_id"])
    a = await registered(pool, first["case_id"])
    b = await registered(pool, second_id)
    assert a["citizen_id"] == b["citizen_id"] is not None
    events = [e.event_type for e in await case_events(pool, second_id)]
    assert events == ["ComplaintRegistered", "DuplicateSuspected"]
    listed = (await intake.get("/v1/duplicates", headers=KUPANG_DESK)).json()["items"]
    assert [(d["case_id"], d["duplicate_of"], d["reason"]) for d in listed] == [
        (str(second_id), str(first["case_id"]), "same_phone")
    ]
    ok = await intake.post(f"/v1/cases/{second_id}/duplicate/confirm", headers=KUPANG_DESK)
    assert ok.status_code == 200 and ok.json()["status"] == "confirmed"
    again = await intake.post(f"/v1/cases/{second_id}/duplicate/dismiss", headers=KUPANG_DESK)
    assert again.status_code == 409
    events = [e.event_type for e in await case_events(pool, second_id)]
    assert events[-1] == "DuplicateConfirmed"

    # Later, by NIK alone through SP4N-LAPOR!: same citizen, linked to the open case.
    raw, headers = lapor_post(
        {
            "tracking_id": "LPR-5550077",
            "content": "Bantuan PKH belum cair",
            "reporter": {"nik": "5371014101900007"},
        }
    )
    r = await intake.post("/v1/channels/lapor/kupang", content=raw, headers=headers)
    third = await decided(pool, r.json()["inbound_ids"][0])
    assert third["status"] == "accepted", third["reason"]
    c = await registered(pool, third["case_id"])
    assert c["citizen_id"] == a["citizen_id"]
    third_events = [e.event_type for e in await case_events(pool, third["case_id"])]
    assert third_events == ["ComplaintRegistered", "DuplicateSuspected"]
    dismissed = await intake.post(
        f"/v1/cases/{third['case_id']}/duplicate/dismiss",
        json={"reason": "Pengaduan lain"},
        headers=KUPANG_DESK,
    )
    assert dismissed.json()["status"] == "dismissed"


async def test_an_undecodable_adapter_event_is_dead_lettered_with_its_reason(
    intake: httpx.AsyncClient, pool: asyncpg.Pool, channel_settings: Settings
) -> None:
    producer = make_producer(channel_settings, client_id="test-garbage")
    await producer.start()
    try:
        await producer.send_and_wait(
            topic_name(channel_settings, "slrt.intake.inbound"), b"\x00 not an event"
        )
    finally:
        await producer.stop()

    async def dead() -> asyncpg.Record | None:
        async with pool.acquire() as conn:
            return await conn.fetchrow("SELECT topic, reason, raw FROM intake.dead_letters")

    row = await eventually(dead, timeout=40)
    assert row["reason"].startswith("undecodable") and row["raw"] == b"\x00 not an event"
