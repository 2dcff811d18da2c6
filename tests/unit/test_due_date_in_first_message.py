"""The first message's due date: casework's date, put in by the delivery worker
(`service_layer/fill_due_date.py`), in Indonesian, or a wait while casework has none."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from services.notifications.domain.outgoing import OutgoingMessage
from services.notifications.domain.templates import (
    DUE_DATE_PENDING,
    DUE_DATE_UNKNOWN,
    MessageFacts,
    hari_tanggal,
    render,
)
from services.notifications.service_layer.fill_due_date import AWAITING_DUE_DATE, fill_due_date
from shared.contracts.vocab import Channel
from tests.unit.fakes_notifications import FakeNotificationsUnitOfWork


class Casework:
    def __init__(self, due: date | None, *, down: bool = False) -> None:
        self.due, self.down, self.asked = due, down, 0

    async def due_date_of(self, case_id: UUID, office: str) -> date | None:
        self.asked += 1
        if self.down:
            raise ConnectionError("casework unreachable")
        return self.due


class Bodies:
    def __init__(self) -> None:
        self.kept: dict[UUID, str] = {}

    async def set_body(self, notification_id: UUID, body: str) -> None:
        self.kept[notification_id] = body


def first_message(body: str) -> OutgoingMessage:
    return OutgoingMessage(
        notification_id=uuid4(),
        case_id=uuid4(),
        channel=Channel.WHATSAPP,
        address="6281200001234",
        template="complaint_registered",
        body=body,
        office="kupang",
        ticket_number="KPN-2026-000123",
        thread_ref=None,
        last_inbound_at=datetime.now(UTC),
        letter_id=None,
        attempts=0,
    )


def uow_with_bodies() -> tuple[FakeNotificationsUnitOfWork, Bodies]:
    uow = FakeNotificationsUnitOfWork()
    bodies = Bodies()
    uow.messages.set_body = bodies.set_body  # type: ignore[method-assign]
    return uow, bodies


def test_hari_tanggal_is_the_indonesian_day_and_date() -> None:
    assert hari_tanggal(date(2026, 12, 7)) == "Senin, 7 Desember 2026"
    assert hari_tanggal(date(2027, 1, 1)) == "Jumat, 1 Januari 2027"


def test_the_received_message_has_a_place_for_the_due_date_only_when_given() -> None:
    facts = MessageFacts(ticket_number="KPN-2026-000123", office_name="Dinas Sosial Kota Kupang")
    without = render("complaint_registered", facts)
    assert "Batas waktu" not in without
    marked = render(
        "complaint_registered",
        MessageFacts(**{**facts.__dict__, "due_date": DUE_DATE_PENDING}),
    )
    assert f"Batas waktu penyelesaian (hari kerja kantor kami): {DUE_DATE_PENDING}." in marked


def test_the_worker_puts_caseworks_date_in_and_keeps_the_body() -> None:
    uow, bodies = uow_with_bodies()
    message = first_message(f"Diterima. Batas waktu: {DUE_DATE_PENDING}.")
    ready = asyncio.run(
        fill_due_date(uow, message, Casework(date(2026, 12, 7)), last_attempt=False)
    )
    assert isinstance(ready, OutgoingMessage)
    assert ready.body == "Diterima. Batas waktu: Senin, 7 Desember 2026."
    assert bodies.kept == {message.notification_id: ready.body}


def test_without_caseworks_date_the_message_waits_then_goes_without_it() -> None:
    uow, bodies = uow_with_bodies()
    message = first_message(f"Batas waktu: {DUE_DATE_PENDING}.")
    for casework in (Casework(None), Casework(date(2026, 12, 7), down=True)):
        waiting = asyncio.run(fill_due_date(uow, message, casework, last_attempt=False))
        assert isinstance(waiting, str) and waiting.startswith(AWAITING_DUE_DATE)
    assert bodies.kept == {}
    last = asyncio.run(fill_due_date(uow, message, Casework(None), last_attempt=True))
    assert isinstance(last, OutgoingMessage)
    assert last.body == f"Batas waktu: {DUE_DATE_UNKNOWN}."


def test_a_message_without_the_mark_is_left_alone_and_casework_not_asked() -> None:
    uow, bodies = uow_with_bodies()
    casework = Casework(date(2026, 12, 7))
    message = first_message("Surat Anda sudah ditandatangani.")
    assert asyncio.run(fill_due_date(uow, message, casework, last_attempt=False)) is message
    assert casework.asked == 0 and bodies.kept == {}
