"""Scans that must be what they claim; the checklist by type and form; a template for
every letter product in the catalogue."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from services.documents.domain.checklist import (
    Checklist,
    ScannedFile,
    fold,
    missing_message,
    note_missing,
    receive_document,
    requirements_for,
)
from services.documents.domain.content import TEMPLATES, LetterFacts, compose
from services.documents.domain.files import check_file
from shared.catalogue import load_catalogue
from shared.contracts.documents_events import CompletionPromise, DocumentsMissingNoted
from shared.contracts.events import Applicant, DocumentReceived, RequirementsCompleted
from shared.contracts.vocab import DurationUnit
from shared.refusal import Refused

CATALOGUE = load_catalogue()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40


@pytest.mark.parametrize(
    ("content", "declared"),
    [(PNG, "image/png"), (PDF, "application/pdf"), (JPEG, "image/jpeg"), (JPEG, "image/jpg")],
)
def test_accepted_scans_carry_their_checksum(content: bytes, declared: str) -> None:
    checked = check_file(content, declared_type=declared, filename="scan", max_bytes=1024)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert checked.size == len(content)


@pytest.mark.parametrize(
    ("content", "declared", "code"),
    [
        (PNG, "application/pdf", "file_type_mismatch"),  # a PNG that says it is a PDF
        (b"MZ\x90\x00 not a scan at all" * 3, "application/pdf", "file_type_mismatch"),
        (PDF, "text/plain", "unsupported_file_type"),
        (PDF, None, "unsupported_file_type"),
        (b"", "application/pdf", "file_empty"),
        (PDF + b"\x00" * 2048, "application/pdf", "file_too_large"),
    ],
)
def test_bad_scans_are_refused_with_a_code(content: bytes, declared: str | None, code: str) -> None:
    with pytest.raises(Refused) as err:
        check_file(content, declared_type=declared, filename=None, max_bytes=1024)
    assert err.value.code == code


def _kupang() -> Checklist:
    variant = CATALOGUE.service("kupang", "public-complaint").variant("general")
    return Checklist(
        case_id=uuid4(), variant="general", required=requirements_for(variant.required_documents)
    )


def test_the_same_type_in_two_forms_is_two_requirements() -> None:
    """Kupang: the ID card is shown (original) and a copy of it is attached."""
    checklist = _kupang()
    assert checklist.missing == ["id_card", "id_card|phone_number"]
    checklist = fold(
        checklist,
        receive_document(checklist, document_type="id_card", form="original", checked_by="a"),
    )
    assert checklist.missing == ["id_card|phone_number"]
    last = receive_document(checklist, document_type="id_card", form="copy", checked_by="a")
    assert [type(e) for e in last] == [DocumentReceived, RequirementsCompleted]
    assert fold(checklist, last).complete


def test_a_scan_attached_later_is_recorded_and_the_same_scan_again_is_not() -> None:
    variant = CATALOGUE.service("lumajang", "kks-recommendation").variant("reset-pin")
    checklist = Checklist(
        case_id=uuid4(),
        variant="reset-pin",
        required=requirements_for(variant.required_documents),
        requested_at=datetime(2026, 11, 23, 1, 0, tzinfo=UTC),
        promise=CompletionPromise(value=1, unit=DurationUnit.WORKING_DAYS, label="1 hari kerja"),
    )
    checklist = fold(
        checklist, receive_document(checklist, document_type="ktp", form="copy", checked_by="a")
    )
    scan = ScannedFile(uuid4(), "0" * 64, "image/png", 10)
    events = receive_document(
        checklist, document_type="ktp", form="copy", checked_by="a", file=scan
    )
    assert [type(e) for e in events] == [DocumentReceived]
    assert isinstance(events[0], DocumentReceived) and events[0].file_sha256 == "0" * 64
    checklist = fold(checklist, events)
    assert checklist.received[("ktp", "copy")].file == scan
    assert (
        receive_document(checklist, document_type="ktp", form="copy", checked_by="a", file=scan)
        == []
    )

    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    done = receive_document(
        checklist, document_type="kks", form="original", checked_by="a", now=now
    )
    completed = done[-1]
    assert isinstance(completed, RequirementsCompleted)
    assert completed.requested_at == checklist.requested_at and completed.completed_at == now
    assert completed.promise is not None and completed.promise.unit is DurationUnit.WORKING_DAYS


def test_the_missing_documents_are_noted_once_per_list() -> None:
    checklist = _kupang()
    events = note_missing(checklist, noted_by="staff:fo")
    assert len(events) == 1 and isinstance(events[0], DocumentsMissingNoted)
    noted = events[0]
    assert [m.types for m in noted.missing] == [("id_card",), ("id_card", "phone_number")]
    message = missing_message(noted.missing)
    assert message.startswith("Dokumen yang belum lengkap:") and "Nomor HP" in message
    checklist = fold(checklist, events)
    assert note_missing(checklist, noted_by="staff:fo") == []  # same list: nothing new
    checklist = fold(
        checklist,
        receive_document(checklist, document_type="id_card", form="original", checked_by="a"),
    )
    assert len(note_missing(checklist, noted_by="staff:fo")) == 1  # the list changed


def _letter_products() -> list[tuple[str, str, str, str]]:
    out = []
    for office in CATALOGUE.offices.values():
        for service in office.services.values():
            for variant in service.variants.values():
                for product_id in variant.products:
                    product = service.product(product_id)
                    if product.letter_type:
                        out.append((office.id, service.id, variant.id, product_id))
    return out


def test_every_letter_product_of_the_catalogue_has_its_own_template() -> None:
    kinds = {CATALOGUE.service(o, s).product(p).letter_type for o, s, _, p in _letter_products()}
    assert (
        kinds
        == set(TEMPLATES)
        == {
            "kks_reset_pin_recommendation",
            "kks_new_card_recommendation",
            "kks_proxy_recommendation",
            "sembako_recommendation",
            "dtks_certificate",
            "complaint_answer",
            "lk3_referral",
        }
    )


@pytest.mark.parametrize(("office", "service", "variant", "product"), _letter_products())
def test_each_template_writes_indonesian_with_the_nik_as_its_recipient_needs_it(
    office: str, service: str, variant: str, product: str
) -> None:
    o = CATALOGUE.office(office)
    s = o.service(service)
    facts = LetterFacts(
        office=o,
        service=s,
        variant=s.variant(variant),
        product=s.product(product),
        ticket_number="T-1",
        applicant=Applicant(name="Warga Contoh", nik="5271014101900001"),
        on_behalf_of=Applicant(name="Pemegang Kartu", nik="5271014101900002")
        if variant.startswith("proxy")
        else None,
        recipient="Kepala Puskesmas Contoh",
        text="Klien memerlukan layanan kesehatan lanjutan.",
    )
    subject, body = compose(facts)
    assert subject == s.product(product).name
    if s.product(product).identity == "full":  # a bank matches the whole NIK
        assert "5271014101900001" in body
    else:
        assert "5271014101900001" not in body  # masked ("5271********0001"), if at all
    assert "Warga Contoh" in body or "Kepala Puskesmas Contoh" in body
    assert any(w in body for w in ("Demikian", "terima kasih"))
    if variant.startswith("proxy"):
        assert "Pemegang Kartu" in body and "kuasa" in body


@pytest.mark.parametrize("letter_type", ["complaint_answer", "lk3_referral"])
def test_letters_that_need_the_drafter_s_words_refuse_without_them(letter_type: str) -> None:
    office, service, variant, product = next(
        x
        for x in _letter_products()
        if CATALOGUE.service(x[0], x[1]).product(x[3]).letter_type == letter_type
    )
    s = CATALOGUE.service(office, service)
    facts = LetterFacts(
        office=CATALOGUE.office(office),
        service=s,
        variant=s.variant(variant),
        product=s.product(product),
        ticket_number="T-1",
        applicant=Applicant(name="Warga Contoh"),
    )
    with pytest.raises(Refused) as err:
        compose(facts)
    assert err.value.code == "letter_field_required"
