"""A requirement the request itself meets: Kupang's public complaint asks for "fotokopi
KTP atau identitas diri lainnya dan/atau nomor HP", so a complaint whose registration
carries the applicant's phone (a WhatsApp sender, a number in an e-mail, a form's or
staff's `applicant.phone`) is not asked for either. The checklist snapshots what the
request gave (`given`, the type only) when it opens."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from services.documents.domain.checklist import (
    PHONE_NUMBER,
    Checklist,
    fold,
    given_by_request,
    receive_document,
    requirements_for,
)
from services.documents.domain.commands import ReceiveDocument
from services.documents.service_layer.decide_checklist import decide_checklist
from services.documents.service_layer.record_document import record_document
from services.documents.service_layer.when_complaint_registered_open_checklist import (
    checklist_opened,
    when_complaint_registered_open_checklist,
)
from shared.auth import StaffIdentity
from shared.catalogue import load_catalogue
from shared.contracts.events import (
    Applicant,
    ComplaintRegistered,
    DocumentReceived,
    RequirementsCompleted,
)
from shared.contracts.streams import checklist_stream
from shared.contracts.vocab import Channel, Role
from tests.unit.fakes_documents import FakeDocuments

CATALOGUE = load_catalogue()
PHONE = "+6281200000011"
KUPANG_DESK = StaffIdentity(
    staff_id="kpg-fo-01", office="kupang", roles=frozenset({Role.FRONT_OFFICE})
)


def complaint(
    channel: Channel,
    applicant: Applicant,
    *,
    office: str = "kupang",
    service: str = "public-complaint",
    variant: str = "general",
    anonymous: bool = False,
) -> ComplaintRegistered:
    return ComplaintRegistered(
        case_id=uuid4(),
        ticket_number="KPG-2026-000001",
        office=office,
        service=service,
        variant=variant,
        channel=channel,
        applicant=applicant,
        anonymous=anonymous,
        received_at=datetime(2026, 11, 2, 2, 0, tzinfo=UTC),
    )


def opened(event: ComplaintRegistered) -> Checklist:
    return checklist_opened(event, CATALOGUE).checklist()


def test_a_phone_with_an_email_complaint_meets_the_id_copy_or_phone_group() -> None:
    checklist = opened(complaint(Channel.EMAIL, Applicant(name="Warga Contoh", phone=PHONE)))
    assert checklist.given == (PHONE_NUMBER,)
    assert checklist.missing == [] and checklist.complete
    by_type = {r.type: r for r in checklist.required}
    assert checklist.satisfied(by_type["phone_number"])
    assert checklist.given_with_request(by_type["phone_number"])
    # The copy itself was not given; its group is met by the phone.
    assert not checklist.satisfied(by_type["id_card"])
    assert checklist.missing_documents() == ()


def test_without_a_phone_the_group_is_still_asked_for() -> None:
    for applicant in (
        Applicant(name="Warga Contoh", email="warga.contoh@example.org"),
        Applicant(name="Warga Contoh", phone="  "),
        Applicant(name="Warga Contoh", phone="-"),
        Applicant(name="Warga Contoh", phone="0812"),  # not a number yet
    ):
        checklist = opened(complaint(Channel.EMAIL, applicant))
        assert checklist.given == ()
        assert checklist.missing == ["id_card|phone_number"] and not checklist.complete


def test_an_anonymous_report_gives_no_phone() -> None:
    event = complaint(Channel.WHATSAPP, Applicant(), anonymous=True)
    assert opened(event).missing == ["id_card|phone_number"]


def test_at_the_desk_the_original_id_is_still_shown() -> None:
    checklist = opened(complaint(Channel.WALK_IN, Applicant(name="Warga Contoh", phone=PHONE)))
    assert checklist.given == (PHONE_NUMBER,)
    assert checklist.missing == ["id_card"] and not checklist.complete
    # Shown: that completes the list, now.
    events = receive_document(
        checklist, document_type="id_card", form="original", checked_by="staff:kpg-fo"
    )
    assert [type(e) for e in events] == [DocumentReceived, RequirementsCompleted]
    completed = events[1]
    assert isinstance(completed, RequirementsCompleted)
    assert completed.documents == ("id_card",)  # what staff received, not the phone


def test_a_checklist_complete_when_opened_is_never_completed_again() -> None:
    """As a list complete with nothing received: no `RequirementsCompleted` when it
    opens, and a document recorded afterwards completes nothing (as the second of two
    alternatives completes nothing twice)."""
    checklist = opened(complaint(Channel.EMAIL, Applicant(phone=PHONE)))
    copy = receive_document(
        checklist, document_type="id_card", form="copy", checked_by="staff:kpg-fo"
    )
    assert [type(e) for e in copy] == [DocumentReceived]
    after = fold(checklist, copy)
    assert after.complete and not after.completed and after.given == (PHONE_NUMBER,)
    # The phone number itself: already given with the request, nothing to record.
    assert receive_document(after, document_type="phone_number", form="copy", checked_by="a") == []


def test_given_only_where_the_checklist_asks_for_a_phone_number() -> None:
    variant = CATALOGUE.service("lumajang", "kks-recommendation").variant("reset-pin")
    lumajang = requirements_for(variant.required_documents)
    assert given_by_request(Applicant(phone=PHONE), lumajang) == ()
    kupang = requirements_for(
        CATALOGUE.service("kupang", "public-complaint").variant("general").required_documents
    )
    for phone in (PHONE, "0812-0000-0011", "6281200000011", "(0380) 821234"):
        assert given_by_request(Applicant(phone=phone), kupang) == (PHONE_NUMBER,), phone
    assert given_by_request(Applicant(phone=None), kupang) == ()


async def register(db: FakeDocuments, channel: Channel, applicant: Applicant) -> UUID:
    event = complaint(channel, applicant)
    await when_complaint_registered_open_checklist(db.unit_of_work(), event, CATALOGUE)
    return event.case_id


async def test_the_completeness_decision_takes_the_phone_and_notes_nothing() -> None:
    db = FakeDocuments()
    with_phone = await register(db, Channel.WHATSAPP, Applicant(name="Warga Contoh", phone=PHONE))
    on_file = await db.unit_of_work().checklists.peek(with_phone)
    assert on_file.checklist.given == (PHONE_NUMBER,) and on_file.checklist.complete
    decided = await decide_checklist(db.unit_of_work, with_phone, KUPANG_DESK, uuid4())
    assert decided.complete and decided.missing == []
    assert await db.events.read_stream(checklist_stream(with_phone)) == []  # nothing noted

    # Recording the phone number again is "already recorded" (200), not a new document.
    again = ReceiveDocument(case_id=with_phone, document_type="phone_number", form="copy")
    assert await record_document(db.unit_of_work, again, KUPANG_DESK, uuid4()) is False

    without = await register(db, Channel.EMAIL, Applicant(email="warga.contoh@example.org"))
    decided = await decide_checklist(db.unit_of_work, without, KUPANG_DESK, uuid4())
    assert decided.missing == ["id_card|phone_number"]
    [noted] = await db.events.read_stream(checklist_stream(without))
    assert noted.event_type == "DocumentsMissingNoted"


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.WHATSAPP, Channel.LETTER])
def test_the_number_itself_is_never_in_the_snapshot(channel: Channel) -> None:
    snapshot = checklist_opened(complaint(channel, Applicant(phone=PHONE)), CATALOGUE)
    assert snapshot.given == (PHONE_NUMBER,)
    assert "81200000011" not in repr(snapshot)
