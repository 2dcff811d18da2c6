"""A case's messages go out in its order, the receipt first (walk 13, defect 4): the rule
(`domain.outgoing.case_order`, `held_for_receipt`), then the use cases on the in-memory
unit of work, whose queue keeps the same rule as the PostgreSQL claim
(`tests/integration/test_notifications_receipt_first.py` runs that one)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from services.notifications.adapters.directory import OfficeDirectory
from services.notifications.adapters.letter_links import SignedLetterLinks
from services.notifications.adapters.senders import RecordingSender
from services.notifications.domain.outgoing import (
    RECEIPT,
    RetryPolicy,
    case_order,
    held_for_receipt,
)
from services.notifications.service_layer.notify_citizen import ToldEvent, notify_citizen
from shared.catalogue import load_catalogue
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.documents_events import DocumentsMissingNoted, MissingDocument
from shared.contracts.events import Applicant, ComplaintRegistered, DtksNotFound
from shared.contracts.streams import checklist_stream, complaint_stream, eligibility_stream
from shared.contracts.vocab import Channel
from tests.unit.fakes_notifications import FakeNotificationsUnitOfWork, deliver_all

DIRECTORY = OfficeDirectory(load_catalogue())
LINKS = SignedLetterLinks(
    base_url="https://dokumen.example.go.id", secret="unit-secret", ttl=timedelta(days=7)
)
T0 = datetime(2026, 12, 1, 7, 5, 56, tzinfo=UTC)


# ---- the rule ---------------------------------------------------------------------------------


def test_the_receipt_comes_first_then_the_causes_in_the_order_they_happened() -> None:
    kept_first = T0
    kept_later = T0 + timedelta(milliseconds=1)
    # The refusal was kept first (its topic came first), its cause is later in the store.
    refusal = case_order("dtks_not_found", 12, kept_first)
    receipt = case_order(RECEIPT, 10, kept_later)
    assert receipt < refusal
    # Two others: by their causes' positions, not by when they were kept.
    assert case_order("documents_missing", 11, kept_later) < refusal
    # Kept before positions were kept: the oldest.
    assert case_order("referral_made", None, kept_later) < case_order("case_resolved", 1, T0)


def test_other_messages_wait_for_the_receipt_for_a_while_only() -> None:
    def held(template: str, *, receipt_kept: bool, after: float) -> bool:
        return held_for_receipt(
            template,
            receipt_kept=receipt_kept,
            kept_at=T0,
            now=T0 + timedelta(seconds=after),
            wait_seconds=300,
        )

    assert held("dtks_not_found", receipt_kept=False, after=1)
    assert not held("dtks_not_found", receipt_kept=True, after=1)
    assert not held(RECEIPT, receipt_kept=False, after=0)  # the receipt never waits
    assert held("domicile_refused", receipt_kept=False, after=299.9)
    assert not held("domicile_refused", receipt_kept=False, after=300)  # bounded


# ---- the use cases ------------------------------------------------------------------------------


def _registration(case_id: UUID) -> ComplaintRegistered:
    return ComplaintRegistered(
        case_id=case_id,
        ticket_number=f"PRM-2026-{case_id.int % 1_000_000:06d}",
        office="pariaman",
        service="dtks-certificate",
        channel=Channel.WEBSITE,
        applicant=Applicant(name="Warga Contoh", nik="1377010101900007", phone="081200000077"),
        received_at=T0,
    )


def _not_found(case_id: UUID) -> DtksNotFound:
    return DtksNotFound(case_id=case_id, nik="1377010101900007", reason="not_listed")


async def _happened(uow: FakeNotificationsUnitOfWork, stream: str, event: Event) -> EventEnvelope:
    """Appended by its service (in the store, in the order things happened)."""
    meta = EventMetadata(case_id=getattr(event, "case_id", None), office="pariaman", actor="x")
    (envelope,) = await uow.events.append(stream, await uow.events.version(stream), [event], meta)
    uow.events.commit()
    return envelope


async def _apply(uow: FakeNotificationsUnitOfWork, envelope: EventEnvelope) -> None:
    """Notifications applies it (in whatever order its topics brought it)."""
    event = envelope.payload()
    assert isinstance(event, ComplaintRegistered | DtksNotFound | DocumentsMissingNoted)
    told: ToldEvent = event
    await notify_citizen(uow, told, envelope, directory=DIRECTORY, links=LINKS)


def _sent(sender: RecordingSender) -> list[str]:
    return [m.template for m in sender.sent]


async def test_a_refusal_applied_before_the_registration_goes_after_the_receipt() -> None:
    uow, sender, case_id = FakeNotificationsUnitOfWork(), RecordingSender(), uuid4()
    registered = await _happened(uow, complaint_stream(case_id), _registration(case_id))
    refused = await _happened(uow, eligibility_stream(case_id), _not_found(case_id))

    await _apply(uow, refused)  # its contact from the registration in the store
    assert await deliver_all(uow, sender) == 0  # held for the receipt
    assert [k.status for k in uow.messages.of_case(case_id)] == ["pending"]

    await _apply(uow, registered)
    await deliver_all(uow, sender)
    assert _sent(sender) == ["complaint_registered", "dtks_not_found"]


async def test_the_causes_order_holds_whatever_order_they_were_applied_in() -> None:
    uow, sender, case_id = FakeNotificationsUnitOfWork(), RecordingSender(), uuid4()
    registered = await _happened(uow, complaint_stream(case_id), _registration(case_id))
    missing = await _happened(
        uow,
        checklist_stream(case_id),
        DocumentsMissingNoted(
            case_id=case_id,
            missing=(MissingDocument(types=("kk",), names=("Fotokopi KK",), form="copy"),),
            noted_by="staff:prm-fo",
        ),
    )
    refused = await _happened(uow, eligibility_stream(case_id), _not_found(case_id))
    for envelope in (refused, missing, registered):  # backwards
        await _apply(uow, envelope)
    await deliver_all(uow, sender)
    assert _sent(sender) == ["complaint_registered", "documents_missing", "dtks_not_found"]


async def test_without_a_receipt_the_refusal_goes_once_the_wait_is_over() -> None:
    uow, sender, case_id = FakeNotificationsUnitOfWork(), RecordingSender(), uuid4()
    await _happened(uow, complaint_stream(case_id), _registration(case_id))
    refused = await _happened(uow, eligibility_stream(case_id), _not_found(case_id))
    await _apply(uow, refused)
    assert await deliver_all(uow, sender) == 0
    assert await deliver_all(uow, sender, RetryPolicy(receipt_wait_seconds=0)) == 1
    assert _sent(sender) == ["dtks_not_found"]
