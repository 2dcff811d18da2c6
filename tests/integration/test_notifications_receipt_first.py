"""The receipt goes first (walk 13, defect 4): an online citizen who is not in DTKS gets
"we received your request" (ticket, check code, status page) before "not in DTKS",
whatever order notifications applied the two events in. They come by different topics
(intake's and eligibility's), so the refusal can be applied first in the same batch, or
in a batch before the registration's.

The real consumer of the running service (`deliver_batch`, as live delivery applies a
batch from the broker) and its delivery worker, which sends by SMTP to a real SMTP server
in the test; the order is the order the mails arrive in. A refusal whose receipt is never
kept waits, but not for ever (`domain.outgoing.RECEIPT_WAIT_SECONDS`)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import orjson
import pytest

from services.notifications.bootstrap import create_app
from services.notifications.config import NotificationsSettings
from services.notifications.domain.outgoing import RECEIPT_WAIT_SECONDS
from shared.check_codes import seal
from shared.consumer import Record, store_origin
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.events import Applicant, ComplaintRegistered, DtksNotFound
from shared.contracts.vocab import Channel
from shared.eventstore.store import EventStore, read_all, stream_version
from shared.settings import Settings
from tests.providers import KnownDueDates, SmtpSink
from tests.servicekit import eventually, running

pytestmark = pytest.mark.integration

OFFICE = "pariaman"
CITIZEN = "warga.contoh@example.org"
CHECK_CODE = "7FUAQ5QW"
RECEIPT = "telah kami terima dengan nomor tiket"
REFUSAL = "belum terdaftar dalam DTKS"


def own(sink: SmtpSink) -> NotificationsSettings:
    return NotificationsSettings.model_validate(
        {
            "slrt_channels": {"*": {"email": {"host": "127.0.0.1", "port": sink.port}}},
            "slrt_delivery_poll_seconds": 0.05,
            "slrt_delivery_timeout_seconds": 5.0,
            "slrt_staff_emails": {},
        }
    )


async def _append(pool: asyncpg.Pool, owner: str, stream: str, event: Event) -> UUID:
    case_id = getattr(event, "case_id", None)
    meta = EventMetadata(case_id=case_id, office=OFFICE, actor=f"system:{owner}")
    async with pool.acquire() as conn, conn.transaction():
        version = await stream_version(conn, stream)
        (envelope,) = await EventStore(owner).append(conn, stream, version, [event], meta)
    return envelope.event_id


async def _published(pool: asyncpg.Pool, *event_ids: UUID) -> list[EventEnvelope]:
    """The events as the relay publishes them (sealed, with their global position)."""
    async with pool.acquire() as conn:
        envelopes, _ = await read_all(conn, limit=10_000, opened=False)
    found = {e.event_id: e for e in envelopes}
    return [found[i] for i in event_ids]


def _record(envelope: EventEnvelope) -> Record:
    return Record(
        orjson.dumps(envelope.model_dump(mode="json")), envelope.event_type, store_origin(envelope)
    )


async def _website_request_not_in_dtks(
    pool: asyncpg.Pool, settings: Settings
) -> tuple[EventEnvelope, EventEnvelope]:
    """A Pariaman website form (answers by e-mail: no phone given) and eligibility's
    'not in DTKS' for it, in the store in the order they happened."""
    case_id = uuid4()
    code = seal(CHECK_CODE, case_id, secret=settings.slrt_check_code_secret)
    registered = ComplaintRegistered(
        case_id=case_id,
        ticket_number=f"PRM-2026-{case_id.int % 1_000_000:06d}",
        office=OFFICE,
        service="dtks-certificate",
        variant="certificate",
        channel=Channel.WEBSITE,
        applicant=Applicant(name="Warga Contoh", nik="1377010101900007", email=CITIZEN),
        received_at=datetime.now(UTC),
        check_code_sealed=code,
    )
    reg_id = await _append(pool, "intake", f"complaint-{case_id}", registered)
    refused = DtksNotFound(case_id=case_id, nik="1377010101900007", reason="not_listed")
    ref_id = await _append(pool, "eligibility", f"eligibility-{case_id}", refused)
    registration, refusal = await _published(pool, reg_id, ref_id)
    return registration, refusal


def _text(raw: bytes) -> str:
    mail = message_from_bytes(raw, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    text: str = body.get_content()
    return text


async def _arrived(sink: SmtpSink, count: int) -> list[str]:
    async def enough() -> list[str] | None:
        mails = sink.to(CITIZEN)
        return [_text(m.raw) for m in mails] if len(mails) >= count else None

    found: list[str] = await eventually(enough, timeout=20)
    return found


def _in_order(texts: list[str]) -> list[str]:
    return ["receipt" if RECEIPT in t else "refusal" if REFUSAL in t else t for t in texts]


async def _templates(pool: asyncpg.Pool, case_id: UUID | None) -> list[tuple[Any, ...]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """SELECT template, status FROM notifications.messages WHERE case_id = $1
               ORDER BY created_at""",
            case_id,
        )
    return [(r["template"], r["status"]) for r in rows]


async def test_the_refusal_applied_first_in_a_batch_goes_after_the_receipt(
    settings: Settings, pool: asyncpg.Pool, sink: SmtpSink
) -> None:
    app = create_app(settings, own=own(sink), due_dates=KnownDueDates(date(2026, 12, 2)))
    async with running(app):
        registration, refusal = await _website_request_not_in_dtks(pool, settings)
        # Eligibility's topic came first in the batch: the refusal is kept first.
        consumer = app.state.runtime.consumer
        await consumer.deliver_batch([_record(refusal), _record(registration)])
        assert [t for t, _ in await _templates(pool, registration.case_id)] == [
            "dtks_not_found",
            "complaint_registered",
        ]
        texts = await _arrived(sink, 2)
    assert _in_order(texts) == ["receipt", "refusal"]
    receipt = texts[0]
    assert f"Kode cek Anda: {CHECK_CODE}." in receipt
    # B1: the updates go by e-mail (this message's own channel), not "the website form".
    assert "kami kabarkan melalui e-mail" in receipt and "formulir website" not in receipt


async def test_a_refusal_applied_before_its_registration_waits_for_the_receipt(
    settings: Settings, pool: asyncpg.Pool, sink: SmtpSink
) -> None:
    app = create_app(settings, own=own(sink), due_dates=KnownDueDates(date(2026, 12, 2)))
    async with running(app):
        registration, refusal = await _website_request_not_in_dtks(pool, settings)
        consumer = app.state.runtime.consumer
        # A batch with the refusal alone (the registration's topic is behind): its
        # contact comes from the registration in the store, and it is kept, due...
        await consumer.deliver_batch([_record(refusal)])
        assert await _templates(pool, registration.case_id) == [("dtks_not_found", "pending")]
        await asyncio.sleep(1.0)  # twenty of the worker's polls
        # ...but not sent before the receipt.
        assert sink.to(CITIZEN) == []
        await consumer.deliver_batch([_record(registration)])
        texts = await _arrived(sink, 2)
    assert _in_order(texts) == ["receipt", "refusal"]


async def test_a_refusal_whose_receipt_never_comes_goes_after_the_wait(
    settings: Settings, pool: asyncpg.Pool, sink: SmtpSink
) -> None:
    app = create_app(settings, own=own(sink), due_dates=KnownDueDates(date(2026, 12, 2)))
    worker = app.state.runtime.worker
    assert worker.policy.receipt_wait_seconds == RECEIPT_WAIT_SECONDS  # five minutes
    worker.policy = replace(worker.policy, receipt_wait_seconds=1.5)  # short, for the test
    async with running(app):
        _, refusal = await _website_request_not_in_dtks(pool, settings)
        kept = time.monotonic()
        await app.state.runtime.consumer.deliver_batch([_record(refusal)])
        (text,) = await _arrived(sink, 1)
        waited = time.monotonic() - kept
    assert _in_order([text]) == ["refusal"]
    assert waited >= 1.4, waited  # held for the receipt, then sent without it
