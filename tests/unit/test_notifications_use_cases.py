"""Notifications' use cases on the in-memory unit of work: no PostgreSQL, no broker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from services.notifications.adapters.directory import OfficeDirectory
from services.notifications.adapters.letter_links import SignedLetterLinks
from services.notifications.adapters.senders import RecordingSender
from services.notifications.domain.notifications import (
    CaseNotifications,
    Notice,
    record_delivered,
)
from services.notifications.service_layer.notify_citizen import ToldEvent, notify_citizen
from services.notifications.service_layer.remember_contact import RegistrationUnknown
from shared.catalogue import load_catalogue
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.events import (
    Applicant,
    CaseResolved,
    ComplaintRegistered,
    DtksNotFound,
    LetterSigned,
    NotificationDelivered,
    NotificationFailed,
    ReferralMade,
)
from shared.contracts.streams import (
    case_stream,
    complaint_stream,
    eligibility_stream,
    letter_stream,
    notification_stream,
)
from shared.contracts.vocab import Channel, Role
from tests.unit.fakes_notifications import FakeNotificationsUnitOfWork, RefusingSender, deliver_all

PHONE = "081200000001"
REFUSED_PHONE = "081200000099"
DIRECTORY = OfficeDirectory(load_catalogue())
LINKS = SignedLetterLinks(
    base_url="https://dokumen.example.go.id", secret="unit-secret", ttl=timedelta(days=7)
)


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


async def happened(
    uow: FakeNotificationsUnitOfWork, stream: str, event: Event, office: str = "lumajang"
) -> EventEnvelope:
    """An event another service appended (committed in the shared in-memory log)."""
    case_id = getattr(event, "case_id", None)
    meta = EventMetadata(case_id=case_id, office=office, actor="system:other")
    (envelope,) = await uow.events.append(stream, await uow.events.version(stream), [event], meta)
    uow.events.commit()
    return envelope


async def tell(
    uow: FakeNotificationsUnitOfWork,
    envelope: EventEnvelope,
    sender: RecordingSender,
) -> None:
    event = envelope.payload()
    assert isinstance(
        event, ComplaintRegistered | DtksNotFound | LetterSigned | ReferralMade | CaseResolved
    )
    told: ToldEvent = event
    await notify_citizen(uow, told, envelope, directory=DIRECTORY, links=LINKS)
    await deliver_all(uow, sender)


async def sent_events(
    uow: FakeNotificationsUnitOfWork, case_id: UUID
) -> list[NotificationDelivered]:
    out = []
    for e in await uow.events.read_stream(notification_stream(case_id)):
        sent = e.payload()
        if isinstance(sent, NotificationDelivered):
            out.append(sent)
    return out


async def test_a_told_event_records_one_message_sends_it_and_records_it_sent() -> None:
    uow, sender, case_id = FakeNotificationsUnitOfWork(), RecordingSender(), uuid4()
    reg = await happened(uow, complaint_stream(case_id), registration(case_id))

    await tell(uow, reg, sender)

    (kept,) = uow.messages.of_case(case_id)
    assert kept.status == "sent"
    assert kept.message.template == "complaint_registered"
    assert f"nomor tiket TKT-{str(case_id)[:6]}" in kept.message.body
    assert "1 hari kerja" in kept.message.body  # Lumajang's published completion time
    assert [m.address for m in sender.sent] == [PHONE]
    (sent,) = await sent_events(uow, case_id)
    assert sent.notification_id == kept.message.notification_id
    assert sent.recipient == "0812****0001" and sent.channel == Channel.WHATSAPP
    (envelope,) = await uow.events.read_stream(notification_stream(case_id))
    assert envelope.actor == "system:notifications"
    assert envelope.case_id == case_id
    assert uow.committed


async def test_a_redelivered_event_records_nothing_more() -> None:
    uow, sender, case_id = FakeNotificationsUnitOfWork(), RecordingSender(), uuid4()
    reg = registration(case_id, channel=Channel.WALK_IN)  # at the desk: collected there
    await tell(uow, await happened(uow, complaint_stream(case_id), reg), sender)
    signed = await happened(
        uow,
        letter_stream(uuid4()),
        LetterSigned(
            letter_id=uuid4(),
            case_id=case_id,
            letter_number="400.9/012/427.64/2026",
            letter_type="kks_reset_pin_recommendation",
            signed_by="staff:lmj-sekdin-01",
            role=Role.SECRETARY,
            content_sha256="0" * 64,
        ),
    )
    await tell(uow, signed, sender)
    await tell(uow, signed, sender)  # again

    assert [m.message.template for m in uow.messages.of_case(case_id)] == [
        "complaint_registered",
        "letter_signed",
    ]
    # At the desk: no machine to send to. Both are tasks on the staff call-back list.
    assert [m.status for m in uow.messages.of_case(case_id)] == ["task", "task"]
    assert {m.task_kind for m in uow.messages.of_case(case_id)} == {"call_back"}
    assert sender.sent == []
    assert await sent_events(uow, case_id) == []
    letter = uow.messages.of_case(case_id)[1].message.body
    assert "Surat Rekomendasi Pengurusan Reset PIN Anda nomor 400.9/012/427.64/2026" in letter


async def test_an_anonymous_case_keeps_its_messages_and_contacts_nobody() -> None:
    uow, sender, case_id = FakeNotificationsUnitOfWork(), RecordingSender(), uuid4()
    reg = registration(
        case_id,
        office="kupang",
        service="public-complaint",
        channel=Channel.SUGGESTION_BOX,
        anonymous=True,
    )
    await tell(uow, await happened(uow, complaint_stream(case_id), reg, "kupang"), sender)
    resolved = CaseResolved(case_id=case_id, outcome="answered", resolved_by="staff:kpg-01")
    await tell(uow, await happened(uow, case_stream(case_id), resolved, "kupang"), sender)

    kept = uow.messages.of_case(case_id)
    assert [(m.message.template, m.status) for m in kept] == [
        ("complaint_registered", "recorded"),
        ("case_resolved", "recorded"),
    ]
    assert all(m.message.case.contact is None for m in kept)
    assert "telah kami jawab" in kept[1].message.body
    assert sender.sent == []
    assert await sent_events(uow, case_id) == []


async def test_no_second_message_when_the_case_closes_after_a_signed_letter() -> None:
    uow, sender, case_id = FakeNotificationsUnitOfWork(), RecordingSender(), uuid4()
    await tell(uow, await happened(uow, complaint_stream(case_id), registration(case_id)), sender)
    closed = CaseResolved(case_id=case_id, outcome="letter_issued", resolved_by="system:casework")
    await tell(uow, await happened(uow, case_stream(case_id), closed), sender)

    assert [m.message.template for m in uow.messages.of_case(case_id)] == ["complaint_registered"]
    assert len(sender.sent) == 1


async def test_the_contact_is_read_from_the_store_when_the_registration_is_late() -> None:
    uow, sender, case_id = FakeNotificationsUnitOfWork(), RecordingSender(), uuid4()
    reg = registration(
        case_id,
        office="pariaman",
        service="dtks-certificate",
        channel=Channel.EMAIL,
        phone=None,
        email="warga.contoh@example.org",
    )
    reg_env = await happened(uow, complaint_stream(case_id), reg, "pariaman")
    verdict = DtksNotFound(case_id=case_id, nik="1377014101900001", reason="not_listed")
    dtks_env = await happened(uow, eligibility_stream(case_id), verdict, "pariaman")

    await tell(uow, dtks_env, sender)  # before the registration reached notifications
    await tell(uow, reg_env, sender)

    kept = uow.messages.of_case(case_id)
    assert [(m.message.template, m.status) for m in kept] == [
        ("dtks_not_found", "sent"),
        ("complaint_registered", "sent"),
    ]
    assert "belum terdaftar dalam DTKS" in kept[0].message.body
    assert "Dinas Sosial Kota Pariaman" in kept[0].message.body
    assert {e.recipient for e in await sent_events(uow, case_id)} == {"wa***@example.org"}


async def test_an_event_of_a_case_never_registered_waits_and_changes_nothing() -> None:
    uow, sender, case_id = FakeNotificationsUnitOfWork(), RecordingSender(), uuid4()
    verdict = DtksNotFound(case_id=case_id, nik=None, reason="nik_missing")
    envelope = await happened(uow, eligibility_stream(case_id), verdict)

    with pytest.raises(RegistrationUnknown):
        await tell(uow, envelope, sender)
    assert uow.messages.kept == {} and sender.sent == []


async def test_a_message_the_sender_refuses_is_kept_as_failed_and_not_recorded_sent() -> None:
    uow, sender, case_id = FakeNotificationsUnitOfWork(), RefusingSender(REFUSED_PHONE), uuid4()
    reg = registration(case_id, phone=REFUSED_PHONE)
    await tell(uow, await happened(uow, complaint_stream(case_id), reg), sender)
    referral = ReferralMade(
        case_id=case_id,
        referral_id=uuid4(),
        agency="dinas-kesehatan",
        reason="(uji)",
        referred_by="staff:x",
    )
    await tell(uow, await happened(uow, case_stream(case_id), referral), sender)

    kept = uow.messages.of_case(case_id)
    assert [(m.message.template, m.status) for m in kept] == [
        ("complaint_registered", "failed"),
        ("referral_made", "failed"),
    ]
    assert kept[0].error == "number not on WhatsApp"
    assert "Dinas Kesehatan" in kept[1].message.body
    assert await sent_events(uow, case_id) == []
    failed = [e.payload() for e in await uow.events.read_stream(notification_stream(case_id))]
    assert [(f.code, f.reason) for f in failed if isinstance(f, NotificationFailed)] == [
        ("refused", "number not on WhatsApp"),
        ("refused", "number not on WhatsApp"),
    ]


async def test_a_message_already_recorded_delivered_is_not_recorded_again() -> None:
    uow, sender, case_id = FakeNotificationsUnitOfWork(), RecordingSender(), uuid4()
    await tell(uow, await happened(uow, complaint_stream(case_id), registration(case_id)), sender)
    (kept,) = uow.messages.of_case(case_id)
    state = (await uow.notifications.load(case_id)).state
    assert state == CaseNotifications(frozenset({kept.message.notification_id}))
    notice = Notice(
        kept.message.notification_id, case_id, Channel.WHATSAPP, "complaint_registered", "x"
    )
    assert record_delivered(state, notice, how="whatsapp_session") == []
