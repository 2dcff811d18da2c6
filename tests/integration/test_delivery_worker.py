"""The delivery worker on the real database, with the real channel senders, against local
provider servers and a real SMTP server: retries with back-off, `Retry-After`, the last
retry, a refusal, a channel not configured, staff tasks, provider statuses, redelivery.

Cause events are appended to the store under their owners' names and taken in by the
consumer's catch-up (as after a broker restart); the worker then sends on its own.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import orjson
import pytest
from fastapi import FastAPI

from services.notifications.bootstrap import create_app
from services.notifications.config import NotificationsSettings
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.events import Applicant, CaseAssigned, ComplaintRegistered, LetterSigned
from shared.contracts.intake_events import ChannelDeliveryStatusReported
from shared.contracts.streams import channel_status_stream
from shared.contracts.vocab import Channel, Role
from shared.eventstore.store import EventStore, read_case, stream_version
from shared.settings import Settings
from tests.providers import (
    FakeProviders,
    KnownDueDates,
    Reply,
    SmtpSink,
    graph_error,
)
from tests.servicekit import auth, eventually, running

pytestmark = pytest.mark.integration

PDF = b"%PDF-1.4\n% a synthetic signed letter\n%%EOF\n"


KNOWN_DUE = KnownDueDates(date(2026, 12, 7))


def own_settings(
    providers: FakeProviders,
    sink: SmtpSink | None = None,
    *,
    max_attempts: int = 30,
    base: float = 0.05,
    cap: float = 0.3,
    offices: tuple[str, ...] = ("lumajang", "kupang", "pariaman"),
    staff_emails: dict[str, str] | None = None,
) -> NotificationsSettings:
    channels: dict[str, Any] = {
        office: {
            "whatsapp": {
                "phone_number_id": f"wa-{office}",
                "access_token": "uji-token",
                "base_url": f"{providers.url}/wa",
            },
            "sp4n_lapor": {"access_token": "lapor-token", "base_url": f"{providers.url}/lapor"},
        }
        for office in offices
    }
    if sink is not None:
        channels["*"] = {"email": {"host": "127.0.0.1", "port": sink.port}}
    return NotificationsSettings.model_validate(
        {
            "slrt_channels": channels,
            "slrt_documents_url": f"{providers.url}/docs",
            "slrt_delivery_max_attempts": max_attempts,
            "slrt_delivery_backoff_base_seconds": base,
            "slrt_delivery_backoff_cap_seconds": cap,
            "slrt_delivery_poll_seconds": 0.05,
            "slrt_delivery_timeout_seconds": 1.0,
            "slrt_staff_emails": staff_emails or {},
        }
    )


def registration(
    case_id: UUID,
    *,
    office: str = "lumajang",
    channel: Channel = Channel.WHATSAPP,
    phone: str | None = None,
    email: str | None = None,
    external_id: str | None = None,
) -> ComplaintRegistered:
    return ComplaintRegistered(
        case_id=case_id,
        ticket_number=f"TKT-{str(case_id)[:6]}",
        office=office,
        service="kks-recommendation" if office == "lumajang" else "dtks-certificate",
        channel=channel,
        external_id=external_id,
        applicant=Applicant(
            name="Warga Uji", phone=phone or "0812" + str(case_id.int)[:8], email=email
        ),
        received_at=datetime.now(UTC),
    )


async def append(
    pool: asyncpg.Pool, owner: str, event: Event, case_id: UUID | None, office: str, stream: str
) -> EventEnvelope:
    meta = EventMetadata(case_id=case_id, office=office, actor=f"system:{owner}")
    async with pool.acquire() as conn, conn.transaction():
        version = await stream_version(conn, stream)
        (envelope,) = await EventStore(owner).append(conn, stream, version, [event], meta)
    return envelope


async def register(pool: asyncpg.Pool, reg: ComplaintRegistered) -> EventEnvelope:
    return await append(pool, "intake", reg, reg.case_id, reg.office, f"complaint-{reg.case_id}")


async def take_in(app: FastAPI) -> None:
    await app.state.runtime.consumer.catch_up()


async def messages(pool: asyncpg.Pool, case_id: UUID) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT * FROM notifications.messages WHERE case_id = $1 ORDER BY created_at", case_id
        )
    return [dict(r) for r in rows]


async def settled(app: FastAPI, pool: asyncpg.Pool, case_id: UUID, status: str) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        await take_in(app)
        found = await messages(pool, case_id)
        return found[0] if found and found[0]["status"] == status else None

    kept: dict[str, Any] = await eventually(check, timeout=30)
    return kept


async def events_of(pool: asyncpg.Pool, case_id: UUID, event_type: str) -> list[EventEnvelope]:
    async with pool.acquire() as conn:
        return [e for e in await read_case(conn, case_id) if e.event_type == event_type]


async def test_a_provider_down_loses_nothing_and_once_back_gets_each_message_once(
    settings: Settings, pool: asyncpg.Pool, fresh: FakeProviders
) -> None:
    app = create_app(settings, due_dates=KNOWN_DUE, own=own_settings(fresh))
    fresh.down_until["whatsapp"] = time.monotonic() + 2.0  # 503 for two seconds
    async with running(app):
        cases = [uuid4() for _ in range(3)]
        for case_id in cases:
            await register(pool, registration(case_id))
        for case_id in cases:
            kept = await settled(app, pool, case_id, "sent")
            assert kept["attempts"] > 1 and kept["delivered_how"] == "whatsapp_session"
        accepted = fresh.accepted("whatsapp")
        failed_attempts = [h for h in fresh.attempts("whatsapp") if h.status == 503]
        assert failed_attempts, "the provider was down"
        # Each message exactly once at the provider, once it was back.
        assert sorted(h.body["to"] for h in accepted) == sorted(
            "62812" + str(c.int)[:8] for c in cases
        )
        for case_id in cases:
            (delivered,) = await events_of(pool, case_id, "NotificationDelivered")
            assert delivered.data["attempts"] > 1
            assert delivered.data["provider_message_id"].startswith("wamid.")
            assert delivered.data["recipient"].startswith("0812****")


async def test_429_retry_after_is_obeyed(
    settings: Settings, pool: asyncpg.Pool, fresh: FakeProviders
) -> None:
    app = create_app(settings, due_dates=KNOWN_DUE, own=own_settings(fresh))
    fresh.script["whatsapp"].append(
        Reply(429, {"error": {"message": "Rate limited", "code": 4}}, {"Retry-After": "1"})
    )
    async with running(app):
        case_id = uuid4()
        await register(pool, registration(case_id))
        await settled(app, pool, case_id, "sent")
    limited, accepted = fresh.attempts("whatsapp")
    assert (limited.status, accepted.status) == (429, 200)
    assert accepted.at - limited.at >= 0.95  # the back-off alone would be 0.05 s


async def test_after_the_last_retry_it_fails_with_the_reason_and_staff_see_it(
    settings: Settings, pool: asyncpg.Pool, fresh: FakeProviders
) -> None:
    app = create_app(settings, due_dates=KNOWN_DUE, own=own_settings(fresh, max_attempts=3))
    fresh.script["whatsapp"].extend(
        [
            graph_error(500, 2, "Service temporarily unavailable"),
            Reply(200, {"messages": [{"id": "wamid.too-late"}]}, delay=1.5),  # a timeout
            graph_error(503, 2, "Service temporarily unavailable"),
        ]
    )
    async with running(app) as client:
        case_id = uuid4()
        await register(pool, registration(case_id))
        kept = await settled(app, pool, case_id, "failed")
        assert kept["attempts"] == 3
        assert kept["error"] == "HTTP 503 2: Service temporarily unavailable"
        (failed,) = await events_of(pool, case_id, "NotificationFailed")
        assert failed.data["code"] == "retries_exhausted" and failed.data["attempts"] == 3

        desk = auth("lumajang", Role.FRONT_OFFICE, settings=settings)
        r = await client.get("/v1/tasks", params={"kind": "undelivered"}, headers=desk)
        assert r.status_code == 200, r.text
        (task,) = [t for t in r.json()["tasks"] if t["case_id"] == str(case_id)]
        assert task["reason"] == "HTTP 503 2: Service temporarily unavailable"
        assert task["recipient"].startswith("0812")  # staff call the citizen instead
        r = await client.post(
            f"/v1/tasks/{task['notification_id']}/done",
            json={"how": "telephone_call"},
            headers=desk,
        )
        assert r.status_code == 200, r.text
        (delivered,) = await events_of(pool, case_id, "NotificationDelivered")
        assert delivered.data["how"] == "telephone_call"
        assert delivered.data["delivered_by"] == "staff:tester"
    # The second attempt's 200 came after the client had given up (a timeout): never
    # recorded as sent. WhatsApp has no idempotency key: such a message may arrive once
    # more than it was recorded.
    assert sorted(h.status for h in fresh.attempts("whatsapp")) == [200, 500, 503]


async def test_a_400_refusal_fails_at_once_with_the_providers_reason(
    settings: Settings, pool: asyncpg.Pool, fresh: FakeProviders
) -> None:
    app = create_app(settings, due_dates=KNOWN_DUE, own=own_settings(fresh))
    fresh.script["whatsapp"].append(graph_error(400, 131026, "Message undeliverable"))
    async with running(app):
        case_id = uuid4()
        await register(pool, registration(case_id))
        kept = await settled(app, pool, case_id, "failed")
    assert (kept["attempts"], kept["error"]) == (1, "HTTP 400 131026: Message undeliverable")
    (failed,) = await events_of(pool, case_id, "NotificationFailed")
    assert failed.data["code"] == "refused"


async def test_a_channel_not_configured_waits_visibly_and_goes_once_configured(
    settings: Settings, pool: asyncpg.Pool, fresh: FakeProviders
) -> None:
    case_id = uuid4()
    app = create_app(settings, due_dates=KNOWN_DUE, own=own_settings(fresh, offices=("kupang",)))
    async with running(app) as client:
        await register(pool, registration(case_id))  # Lumajang: no WhatsApp account
        kept = await settled(app, pool, case_id, "pending")

        async def parked() -> bool:
            return bool((await messages(pool, case_id))[0]["reason"] == "channel_not_configured")

        await eventually(parked)
        desk = auth("lumajang", Role.FRONT_OFFICE, settings=settings)
        r = await client.get("/v1/tasks", params={"office": "lumajang"}, headers=desk)
        (task,) = [t for t in r.json()["tasks"] if t["case_id"] == str(case_id)]
        assert (task["kind"], task["reason"]) == ("not_configured", "channel_not_configured")
        r = await client.get(f"/v1/cases/{case_id}/notifications", headers=desk)
        assert r.json()["messages"][0]["reason"] == "channel_not_configured"
        other = auth("kupang", Role.FRONT_OFFICE, settings=settings)
        r = await client.get("/v1/tasks", params={"office": "lumajang"}, headers=other)
        assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_office"
    assert kept["attempts"] == 0 and fresh.accepted("whatsapp") == []

    # Restarted with Lumajang's account: the parked message goes, once.
    app = create_app(settings, due_dates=KNOWN_DUE, own=own_settings(fresh))
    async with running(app):
        await settled(app, pool, case_id, "sent")
    assert len(fresh.accepted("whatsapp")) == 1


async def test_walk_in_and_telephone_become_call_back_tasks_done_by_staff(
    settings: Settings, pool: asyncpg.Pool, fresh: FakeProviders
) -> None:
    app = create_app(settings, due_dates=KNOWN_DUE, own=own_settings(fresh))
    async with running(app) as client:
        case_id = uuid4()
        await register(pool, registration(case_id, channel=Channel.WALK_IN, phone="081200004242"))
        await settled(app, pool, case_id, "task")
        desk = auth("lumajang", Role.FRONT_OFFICE, settings=settings)
        r = await client.get("/v1/tasks", params={"kind": "call_back"}, headers=desk)
        (task,) = [t for t in r.json()["tasks"] if t["case_id"] == str(case_id)]
        assert (task["kind"], task["channel"], task["recipient"]) == (
            "call_back",
            "walk_in",
            "081200004242",
        )
        assert "TKT-" in task["body"]
        # Nothing is marked sent that was not: no event until staff say they called.
        assert await events_of(pool, case_id, "NotificationDelivered") == []
        done = f"/v1/tasks/{task['notification_id']}/done"
        other = auth("kupang", Role.FRONT_OFFICE, settings=settings)
        r = await client.post(done, json={"how": "telephone_call"}, headers=other)
        assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_office"
        r = await client.post(done, json={"how": "by_pigeon"}, headers=desk)
        assert r.status_code == 422
        r = await client.post(done, json={"how": "telephone_call"}, headers=desk)
        assert r.status_code == 200 and r.json()["status"] == "sent"
        r = await client.post(done, json={"how": "telephone_call"}, headers=desk)
        assert r.status_code == 409 and r.json()["error"]["code"] == "already_delivered"
        r = await client.post(f"/v1/tasks/{uuid4()}/done", json={"how": "post"}, headers=desk)
        assert r.status_code == 404 and r.json()["error"]["code"] == "notification_not_found"
        (delivered,) = await events_of(pool, case_id, "NotificationDelivered")
        assert (delivered.data["how"], delivered.data["channel"]) == ("telephone_call", "walk_in")
        r = await client.get("/v1/tasks", params={"kind": "call_back"}, headers=desk)
        assert str(case_id) not in {t["case_id"] for t in r.json()["tasks"]}
    assert fresh.hits == []


async def test_the_same_cause_event_twice_is_one_message_at_the_provider(
    settings: Settings, pool: asyncpg.Pool, fresh: FakeProviders
) -> None:
    """Redelivered by Kafka (the same bytes again), and applied again by a consumer that
    lost its record of it: one message kept, one at WhatsApp (which has no idempotency
    key) and one follow-up on LAPOR."""
    app = create_app(settings, due_dates=KNOWN_DUE, own=own_settings(fresh))
    async with running(app):
        runtime = app.state.runtime
        wa_case, lapor_case = uuid4(), uuid4()
        wa = await register(pool, registration(wa_case))
        lapor = await register(
            pool,
            registration(
                lapor_case, channel=Channel.SP4N_LAPOR, phone=None, external_id="LAPOR-7700123"
            ),
        )
        for envelope in (wa, lapor):
            raw = orjson.dumps(envelope.model_dump(mode="json"))
            await runtime.consumer.deliver(raw, topic="slrt.intake.events")
            await runtime.consumer.deliver(raw, topic="slrt.intake.events")  # redelivered
            async with pool.acquire() as conn:  # as if the consumer had lost its record
                await conn.execute(
                    "DELETE FROM notifications.processed_events WHERE event_id = $1",
                    envelope.event_id,
                )
            await runtime.consumer.deliver(raw, topic="slrt.intake.events")
        await settled(app, pool, wa_case, "sent")
        await settled(app, pool, lapor_case, "sent")
    assert len(fresh.accepted("whatsapp")) == 1
    (follow_up,) = fresh.accepted("lapor")
    assert follow_up.path == "/lapor/v1/reports/LAPOR-7700123/follow-ups"
    assert len(fresh.lapor_keys) == 1


async def test_whatsapp_statuses_fold_onto_the_notification_even_when_early(
    settings: Settings, pool: asyncpg.Pool, fresh: FakeProviders
) -> None:
    app = create_app(settings, due_dates=KNOWN_DUE, own=own_settings(fresh))
    fresh.script["whatsapp"].append(Reply(200, {"messages": [{"id": "wamid.known-early"}]}))

    async def status(wamid: str, what: str, errors: tuple[str, ...] = ()) -> None:
        event = ChannelDeliveryStatusReported(
            channel=Channel.WHATSAPP,
            office="lumajang",
            provider_message_id=wamid,
            status=what,
            reported_at=datetime.now(UTC),
            errors=errors,
        )
        stream = channel_status_stream("whatsapp", wamid)
        await append(pool, "intake", event, None, "lumajang", stream)

    async with running(app):
        # "sent" reported before the worker has even sent it (kept, applied later).
        await status("wamid.known-early", "sent")
        await take_in(app)
        case_id = uuid4()
        await register(pool, registration(case_id))
        await settled(app, pool, case_id, "sent")
        await status("wamid.known-early", "delivered")
        await status("wamid.known-early", "read")
        await status("wamid.known-early", "read")  # repeated by the provider

        async def read() -> bool:
            await take_in(app)
            return bool((await messages(pool, case_id))[0]["provider_status"] == "read")

        await eventually(read)
        reported = await events_of(pool, case_id, "NotificationStatusReported")
        assert [e.data["status"] for e in reported] == ["sent", "delivered", "read"]

        # A status "failed" after acceptance: failed, with the provider's error, for staff.
        other = uuid4()
        fresh.script["whatsapp"].append(Reply(200, {"messages": [{"id": "wamid.lost"}]}))
        await register(pool, registration(other))
        await settled(app, pool, other, "sent")
        await status("wamid.lost", "failed", ("131026 Message undeliverable",))
        kept = await settled(app, pool, other, "failed")
        assert kept["error"] == "131026 Message undeliverable"
        (failed,) = await events_of(pool, other, "NotificationFailed")
        assert failed.data["code"] == "reported_failed"


async def test_an_email_answer_is_threaded_and_carries_the_signed_letter(
    settings: Settings, pool: asyncpg.Pool, fresh: FakeProviders, sink: SmtpSink
) -> None:
    app = create_app(settings, due_dates=KNOWN_DUE, own=own_settings(fresh, sink))
    async with running(app):
        case_id, letter_id = uuid4(), uuid4()
        fresh.letters[str(letter_id)] = PDF
        reg = registration(
            case_id,
            office="pariaman",
            channel=Channel.EMAIL,
            email="warga.surel@example.org",
            external_id="<surel-warga-77@example.org>",
        )
        await register(pool, reg)
        signed = LetterSigned(
            letter_id=letter_id,
            case_id=case_id,
            letter_number="400.9/0077/Dinsos/2026",
            letter_type="dtks_certificate",
            signed_by="staff:prm-kadis",
            role=Role.HEAD_OF_OFFICE,
            content_sha256="0" * 64,
        )
        await append(pool, "documents", signed, case_id, "pariaman", f"letter-{letter_id}")

        async def both() -> bool:
            await take_in(app)
            return len(sink.to("warga.surel@example.org")) == 2

        await eventually(both, timeout=30)
    first, letter = (m.raw for m in sink.to("warga.surel@example.org"))
    assert b"In-Reply-To: <surel-warga-77@example.org>" in first
    assert b"From: Dinas Sosial Kota Pariaman <dinsos@pariamankota.go.id>" in first
    assert b"Content-Type: application/pdf" in letter
    assert b"Content-Type: application/pdf" not in first


async def test_the_first_message_waits_for_caseworks_due_date_and_carries_it(
    settings: Settings, pool: asyncpg.Pool, fresh: FakeProviders
) -> None:
    """Casework has not folded the case for the first two looks: the message waits
    (`awaiting_due_date`), then goes with the date in the office's calendar, once."""
    due = KnownDueDates(date(2026, 12, 7), unknown_first=2)
    app = create_app(settings, due_dates=due, own=own_settings(fresh))
    async with running(app):
        case_id = uuid4()
        await register(pool, registration(case_id))
        kept = await settled(app, pool, case_id, "sent")
    assert due.asked == 3
    assert "Senin, 7 Desember 2026" in kept["body"]
    assert "[[" not in kept["body"]
    (sent,) = [
        h for h in fresh.accepted("whatsapp") if h.body["to"] == "62812" + str(case_id.int)[:8]
    ]
    assert "Batas waktu penyelesaian (hari kerja kantor kami): Senin, 7 Desember 2026." in str(
        sent.body
    )
    (delivered,) = await events_of(pool, case_id, "NotificationDelivered")
    assert delivered.data["attempts"] == 3


async def staff_notices(pool: asyncpg.Pool, case_id: UUID) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT * FROM notifications.staff_inbox WHERE case_id = $1 ORDER BY created_at",
            case_id,
        )
    return [dict(r) for r in rows]


async def test_a_staff_notice_owed_by_email_is_sent_through_the_offices_smtp_account(
    settings: Settings, pool: asyncpg.Pool, fresh: FakeProviders, sink: SmtpSink
) -> None:
    """CaseAssigned to a member of staff with an address: the worker e-mails the notice
    from the office's mailbox, once, and records it (`sent`, NotificationDelivered smtp);
    a second notice the SMTP server refuses for good is `failed` with its reason."""
    emails = {"prm-officer-uji": "petugas.uji@example.org", "prm-ditolak": "ditolak@example.org"}
    app = create_app(
        settings, due_dates=KNOWN_DUE, own=own_settings(fresh, sink, staff_emails=emails)
    )
    sink.refuse["ditolak@example.org"] = "550 5.1.1 Mailbox unknown"
    async with running(app):
        case_id = uuid4()
        reg = registration(case_id, office="pariaman", channel=Channel.WALK_IN)
        await register(pool, reg)
        for assignee in ("prm-officer-uji", "prm-ditolak"):
            assigned = CaseAssigned(
                case_id=case_id,
                assignee=assignee,
                role=Role.OFFICER,
                assigned_by="staff:prm-kabid",
            )
            await append(pool, "casework", assigned, case_id, "pariaman", f"case-{case_id}")

        async def settled_both() -> list[dict[str, Any]] | None:
            await take_in(app)
            found = await staff_notices(pool, case_id)
            done = [n for n in found if n["email_status"] in ("sent", "failed")]
            return found if len(done) == 2 else None

        notices = await eventually(settled_both, timeout=30)
    by_to = {n["email_to"]: n for n in notices}
    sent, refused_ = by_to["petugas.uji@example.org"], by_to["ditolak@example.org"]
    assert sent["email_status"] == "sent" and sent["email_attempts"] == 1
    assert sent["email_sent_at"] is not None and sent["email_reason"] is None
    (mail,) = sink.to("petugas.uji@example.org")
    assert b"From: Dinas Sosial Kota Pariaman <dinsos@pariamankota.go.id>" in mail.raw
    assert f"Message-ID: <{sent['notice_id']}@pariamankota.go.id>".encode() in mail.raw
    assert b"Perkara baru untuk Anda" in mail.raw
    assert refused_["email_status"] == "failed" and "Mailbox unknown" in refused_["email_reason"]
    assert sink.to("ditolak@example.org") == []
    delivered = await events_of(pool, case_id, "NotificationDelivered")
    assert [e.data["notification_id"] for e in delivered] == [str(sent["notice_id"])]
    assert delivered[0].data["how"] == "smtp" and delivered[0].data["recipient"].startswith("pe")
    (failed,) = await events_of(pool, case_id, "NotificationFailed")
    assert failed.data["notification_id"] == str(refused_["notice_id"])
    assert failed.data["code"] == "refused"
