"""Notifications on the real database and broker: messages rendered, sent, kept, masked.

Other services' events are appended to the store under their owners' names; intake's
are published by an intake outbox relay built here, so they arrive over Kafka.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest

from services.notifications.adapters.senders import OutgoingMessage, RecordingSender, SendResult
from services.notifications.bootstrap import create_app
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.events import (
    Applicant,
    CaseResolved,
    ComplaintRegistered,
    DtksNotFound,
    LetterSigned,
    ReferralMade,
)
from shared.contracts.vocab import Channel, Role
from shared.eventstore.store import EventStore, read_case, stream_version
from shared.kafka import make_producer
from shared.outbox import OutboxRelay
from shared.settings import Settings
from tests.providers import KnownDueDates
from tests.servicekit import auth, eventually, running

pytestmark = pytest.mark.integration

PHONE = "081200000001"
REFUSED_PHONE = "081200000099"

KNOWN_DUE = KnownDueDates(date(2026, 12, 7))


class RefusingSender(RecordingSender):
    """Records everything; the provider refuses one number for good."""

    async def send(self, message: OutgoingMessage) -> SendResult:
        if message.address == REFUSED_PHONE:
            return SendResult(ok=False, error="number not on WhatsApp")
        return await super().send(message)


async def append(
    pool: asyncpg.Pool, owner: str, events: list[Event], case_id: UUID, office: str
) -> list[EventEnvelope]:
    stream = f"{owner}-{case_id}"
    meta = EventMetadata(case_id=case_id, office=office, actor=f"system:{owner}")
    async with pool.acquire() as conn, conn.transaction():
        version = await stream_version(conn, stream)
        return await EventStore(owner).append(conn, stream, version, events, meta)


def registration(
    case_id: UUID,
    *,
    office: str = "lumajang",
    service: str = "kks-recommendation",
    channel: Channel = Channel.WHATSAPP,
    phone: str | None = PHONE,
    email: str | None = None,
    anonymous: bool = False,
) -> ComplaintRegistered:
    return ComplaintRegistered(
        case_id=case_id,
        ticket_number=f"TKT-{str(case_id)[:6]}",
        office=office,
        service=service,
        variant=None,
        channel=channel,
        applicant=Applicant()
        if anonymous
        else Applicant(name="Warga Contoh", phone=phone, email=email),
        received_at=datetime(2026, 3, 2, 2, 0, tzinfo=UTC),
        anonymous=anonymous,
    )


def signed(case_id: UUID) -> LetterSigned:
    return LetterSigned(
        letter_id=uuid4(),
        case_id=case_id,
        letter_number="400.9/012/427.64/2026",
        letter_type="kks_reset_pin_recommendation",
        signed_by="staff:lmj-sekdin-01",
        role=Role.SECRETARY,
        content_sha256="0" * 64,
    )


async def messages(pool: asyncpg.Pool, case_id: UUID) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT * FROM notifications.messages WHERE case_id = $1 ORDER BY created_at", case_id
        )
    return [dict(r) for r in rows]


async def sent_events(pool: asyncpg.Pool, case_id: UUID) -> list[EventEnvelope]:
    async with pool.acquire() as conn:
        return [
            e for e in await read_case(conn, case_id) if e.event_type == "NotificationDelivered"
        ]


async def settled(pool: asyncpg.Pool, *case_ids: UUID) -> None:
    """The delivery worker sends after the consumer commits: wait until it has nothing
    pending for these cases."""

    async def check() -> bool:
        kept = [m for c in case_ids for m in await messages(pool, c)]
        return all(m["status"] != "pending" for m in kept)

    await eventually(check)


async def caught_up(runtime: Any, check: Callable[[], Awaitable[Any]]) -> Any:
    """Catch up from the store until `check` holds. One call may not be enough: the safe
    reader holds back events newer than any transaction still open (e.g. a relay's)."""

    async def attempt() -> Any:
        await runtime.consumer.catch_up()
        return await check()

    return await eventually(attempt)


async def _counts(pool: asyncpg.Pool, case_ids: list[UUID], n: int) -> bool:
    return all([len(await messages(pool, c)) >= n for c in case_ids])


@pytest.fixture
async def intake_relay(pool: asyncpg.Pool, settings: Settings) -> AsyncIterator[OutboxRelay]:
    producer = make_producer(settings, client_id="test-notifications-intake")
    await producer.start()
    try:
        yield OutboxRelay(pool, "intake", producer, topic_prefix=settings.kafka_topic_prefix)
    finally:
        await producer.stop()


async def test_registered_and_signed_are_told_once_with_masked_recipient(
    settings: Settings, pool: asyncpg.Pool, intake_relay: OutboxRelay
) -> None:
    sender = RefusingSender()
    app = create_app(settings, due_dates=KNOWN_DUE, sender=sender)
    async with running(app) as client:
        runtime = app.state.runtime
        case_id = uuid4()
        await append(pool, "intake", [registration(case_id)], case_id, "lumajang")
        assert await intake_relay.drain_once() == 1

        async def told() -> list[dict[str, Any]]:
            return [m for m in await messages(pool, case_id) if m["status"] == "sent"]

        (first,) = await eventually(told)  # came over Kafka
        assert first["template"] == "complaint_registered"
        assert f"nomor tiket TKT-{str(case_id)[:6]}" in first["body"]
        assert "Permohonan Anda telah kami terima" in first["body"]
        assert "1 hari kerja" in first["body"]  # Lumajang's published completion time
        assert first["recipient_masked"] == "0812****0001"

        await append(pool, "documents", [signed(case_id)], case_id, "lumajang")
        # The case closes as a consequence; no second message for that.
        await append(
            pool,
            "casework",
            [CaseResolved(case_id=case_id, outcome="letter_issued", resolved_by="system:casework")],
            case_id,
            "lumajang",
        )
        await caught_up(runtime, lambda: _counts(pool, [case_id], 2))
        found = await messages(pool, case_id)
        # Asked on WhatsApp: the letter comes as a one-time download link, not "collect it".
        assert [m["template"] for m in found] == ["complaint_registered", "letter_online"]
        letter = found[1]["body"]
        assert "Surat Rekomendasi Pengurusan Reset PIN Anda nomor 400.9/012/427.64/2026" in letter
        assert "/download?code=" in letter and "diambil di kantor" not in letter
        assert "Lumajang" in letter

        await settled(pool, case_id)
        events = await sent_events(pool, case_id)
        assert [e.data["template"] for e in events] == ["complaint_registered", "letter_online"]
        assert {e.data["recipient"] for e in events} == {"0812****0001"}
        assert all(e.stream_id == f"notification-{case_id}" for e in events)
        assert all(e.actor == "system:notifications" for e in events)
        assert {e.data["notification_id"] for e in events} == {
            str(m["notification_id"]) for m in found
        }

        # Delivered again: nothing new is sent, kept, or recorded.
        async with pool.acquire() as conn:
            again = [e for e in await read_case(conn, case_id) if e.event_type == "LetterSigned"]
        assert await runtime.consumer.apply(again[0]) is False
        async with pool.acquire() as conn, conn.transaction():
            await runtime.consumer.handlers["LetterSigned"](conn, again[0])  # past the dedup
        assert len(await messages(pool, case_id)) == 2
        assert len(await sent_events(pool, case_id)) == 2
        assert [m.template for m in sender.sent if m.case_id == case_id] == [
            "complaint_registered",
            "letter_online",
        ]
        assert (await messages(pool, case_id))[1]["body"] == letter  # the first link stays

        # Staff of the office read them, masked; others cannot.
        r = await client.get(
            f"/v1/cases/{case_id}/notifications", headers=auth("lumajang", Role.FRONT_OFFICE)
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert [m["template"] for m in body["messages"]] == [
            "complaint_registered",
            "letter_online",
        ]
        assert {m["recipient"] for m in body["messages"]} == {"0812****0001"}
        assert body["contact"] == {
            "channel": "whatsapp",
            "recipient": "0812****0001",
            "anonymous": False,
        }
        assert PHONE not in r.text
        r = await client.get(
            f"/v1/cases/{case_id}/notifications", headers=auth("mataram", Role.FRONT_OFFICE)
        )
        assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_office"
        r = await client.get(
            f"/v1/cases/{uuid4()}/notifications", headers=auth("lumajang", Role.FRONT_OFFICE)
        )
        assert r.status_code == 404 and r.json()["error"]["code"] == "case_not_found"
        async with pool.acquire() as conn:
            reads = await conn.fetchval(
                "SELECT count(*) FROM notifications.access_log WHERE case_id = $1", case_id
            )
        assert reads == 1


async def test_anonymous_email_and_refused_contacts(settings: Settings, pool: asyncpg.Pool) -> None:
    sender = RefusingSender()
    app = create_app(settings, due_dates=KNOWN_DUE, sender=sender)
    async with running(app):
        runtime = app.state.runtime
        anonymous, by_email, refused = uuid4(), uuid4(), uuid4()

        # Anonymous (Kupang suggestion box): messages are kept, nobody is contacted.
        await append(
            pool,
            "intake",
            [
                registration(
                    anonymous,
                    office="kupang",
                    service="public-complaint",
                    channel=Channel.SUGGESTION_BOX,
                    anonymous=True,
                )
            ],
            anonymous,
            "kupang",
        )
        await append(
            pool,
            "casework",
            [CaseResolved(case_id=anonymous, outcome="answered", resolved_by="staff:kpg-01")],
            anonymous,
            "kupang",
        )

        # E-mail (Pariaman website form); the DTKS verdict is applied before the
        # registration reaches notifications: the contact is read from the store.
        reg = registration(
            by_email,
            office="pariaman",
            service="dtks-certificate",
            channel=Channel.EMAIL,
            phone=None,
            email="warga.contoh@example.org",
        )
        (reg_env,) = await append(pool, "intake", [reg], by_email, "pariaman")
        (dtks_env,) = await append(
            pool,
            "eligibility",
            [DtksNotFound(case_id=by_email, nik="1377014101900001", reason="not_listed")],
            by_email,
            "pariaman",
        )
        assert await runtime.consumer.apply(dtks_env) is True
        assert await runtime.consumer.apply(reg_env) is True

        # The provider refuses this number: the message is kept as failed, with the reason.
        await append(
            pool, "intake", [registration(refused, phone=REFUSED_PHONE)], refused, "lumajang"
        )
        await append(
            pool,
            "casework",
            [
                ReferralMade(
                    case_id=refused,
                    referral_id=uuid4(),
                    agency="dinas-kesehatan",
                    reason="(uji)",
                    referred_by="staff:x",
                )
            ],
            refused,
            "lumajang",
        )
        await caught_up(runtime, lambda: _counts(pool, [anonymous, refused], 2))

        await settled(pool, anonymous, by_email, refused)
        anon = await messages(pool, anonymous)
        assert [(m["template"], m["status"], m["recipient"]) for m in anon] == [
            ("complaint_registered", "recorded", None),
            ("case_resolved", "recorded", None),
        ]
        assert "telah kami jawab" in anon[1]["body"]
        assert await sent_events(pool, anonymous) == []

        mail = await messages(pool, by_email)
        assert [(m["template"], m["channel"], m["status"]) for m in mail] == [
            ("dtks_not_found", "email", "sent"),
            ("complaint_registered", "email", "sent"),
        ]
        assert "belum terdaftar dalam DTKS" in mail[0]["body"]
        assert "Dinas Sosial Kota Pariaman" in mail[0]["body"]
        assert {e.data["recipient"] for e in await sent_events(pool, by_email)} == {
            "wa***@example.org"
        }

        failed = await messages(pool, refused)
        assert [(m["template"], m["status"]) for m in failed] == [
            ("complaint_registered", "failed"),
            ("referral_made", "failed"),
        ]
        assert failed[0]["error"] == "number not on WhatsApp"
        assert "Dinas Kesehatan" in failed[1]["body"]
        assert await sent_events(pool, refused) == []
        async with pool.acquire() as conn:
            refusals = [
                e for e in await read_case(conn, refused) if e.event_type == "NotificationFailed"
            ]
        assert [e.data["reason"] for e in refusals] == ["number not on WhatsApp"] * 2
        assert {m.case_id for m in sender.sent} & {anonymous, by_email, refused} == {by_email}
