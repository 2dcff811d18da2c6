"""Notifications' pure parts: whom to reach, masking, and the messages' wording."""

from __future__ import annotations

from uuid import uuid4

import pytest

from services.notifications.adapters.directory import OfficeDirectory
from services.notifications.domain.contacts import (
    Contact,
    choose_contact,
    mask,
    mask_email,
    mask_phone,
)
from services.notifications.domain.templates import (
    TEMPLATES,
    MessageFacts,
    MissingFact,
    render,
    template_for,
)
from shared.catalogue import load_catalogue
from shared.contracts.events import (
    CaseResolved,
    DocumentReceived,
    DtksNotFound,
    ReferralMade,
)
from shared.contracts.vocab import Channel

FACTS = MessageFacts(
    ticket_number="LMJ-2026-000123",
    office_name="Dinas Sosial Contoh",
    office_address="Jalan Contoh No. 1",
    service_name="Rekomendasi Permasalahan KKS",
    completion_time="1 hari kerja",
)


# ---- masking ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("081200000001", "0812****0001"),
        ("0812000000001", "0812****0001"),  # the length is hidden too
        ("+6281200000001", "+628****0001"),
        ("12345", "***45"),
        ("warga.contoh@example.org", "wa***@example.org"),
        ("ab@example.org", "a***@example.org"),
    ],
)
def test_masking(address: str, masked: str) -> None:
    assert mask(address) == masked


def test_masking_never_shows_the_middle() -> None:
    assert "0000" not in mask_phone("081200000001")
    assert "contoh" not in mask_email("warga.contoh@example.org")


# ---- contacts -----------------------------------------------------------------------------


def test_contact_follows_the_citizens_channel() -> None:
    phone, email = "0812-0000 0001", "warga@example.org"
    assert choose_contact(Channel.WHATSAPP, phone=phone, email=email, anonymous=False) == (
        Contact(Channel.WHATSAPP, "081200000001")
    )
    assert choose_contact(Channel.WALK_IN, phone=phone, email=None, anonymous=False) == (
        Contact(Channel.WALK_IN, "081200000001")
    )
    assert choose_contact(Channel.EMAIL, phone=phone, email=email, anonymous=False) == (
        Contact(Channel.EMAIL, email)
    )
    # Channels without an address of their own: WhatsApp on the phone, else e-mail.
    assert choose_contact(Channel.WEBSITE, phone=phone, email=email, anonymous=False) == (
        Contact(Channel.WHATSAPP, "081200000001")
    )
    assert choose_contact(Channel.SP4N_LAPOR, phone=None, email=email, anonymous=False) == (
        Contact(Channel.EMAIL, email)
    )
    assert choose_contact(Channel.EMAIL, phone=phone, email=None, anonymous=False) == (
        Contact(Channel.WHATSAPP, "081200000001")
    )


def test_no_contact_for_anonymous_or_unreachable() -> None:
    assert choose_contact(Channel.WHATSAPP, phone="0812", email=None, anonymous=True) is None
    assert choose_contact(Channel.SUGGESTION_BOX, phone=None, email=None, anonymous=False) is None
    assert choose_contact(Channel.TELEPHONE, phone=" - ", email=" ", anonymous=False) is None


# ---- templates ----------------------------------------------------------------------------


def test_registration_message_gives_ticket_service_and_time() -> None:
    text = render("complaint_registered", FACTS)
    assert text.startswith("Permohonan Anda telah kami terima dengan nomor tiket LMJ-2026-000123.")
    assert "Rekomendasi Permasalahan KKS" in text and "1 hari kerja" in text
    assert "Dinas Sosial Contoh" in text


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("not_listed", "belum terdaftar dalam DTKS"),
        ("listed_in_other_region", "belum terdaftar dalam DTKS daerah ini"),
        ("nik_invalid", "tidak valid"),
        ("nik_missing", "belum menyertakan NIK"),
    ],
)
def test_dtks_message_says_why(reason: str, words: str) -> None:
    text = render("dtks_not_found", MessageFacts(**{**FACTS.__dict__, "dtks_reason": reason}))
    assert words in text and "LMJ-2026-000123" in text and "DTKS" in text


def test_letter_signed_message_names_letter_number_and_where_to_collect() -> None:
    facts = MessageFacts(**{**FACTS.__dict__, "letter_number": "400.9/012/427.64/2026"})
    assert render("letter_signed", facts) == (
        "Surat rekomendasi Anda nomor 400.9/012/427.64/2026 telah ditandatangani dan dapat "
        "diambil di kantor Dinas Sosial Contoh, Jalan Contoh No. 1. Mohon membawa nomor tiket "
        "LMJ-2026-000123 dan KTP asli."
    )
    named = MessageFacts(**{**facts.__dict__, "letter_name": "Surat Keterangan DTKS"})
    assert render("letter_signed", named).startswith("Surat Keterangan DTKS Anda nomor 400.9/")
    with pytest.raises(MissingFact):
        render("letter_signed", FACTS)


def test_referral_and_resolution_messages() -> None:
    text = render("referral_made", MessageFacts(**{**FACTS.__dict__, "agency_name": "BPJS"}))
    assert "kami rujuk ke BPJS" in text
    answered = render("case_resolved", MessageFacts(**{**FACTS.__dict__, "outcome": "answered"}))
    assert "LMJ-2026-000123 telah kami jawab" in answered
    other = render("case_resolved", MessageFacts(**{**FACTS.__dict__, "outcome": "other"}))
    assert "telah selesai ditangani" in other


def test_which_events_call_for_a_message() -> None:
    case_id = uuid4()
    assert template_for(DtksNotFound(case_id=case_id, nik=None, reason="nik_missing")) == (
        "dtks_not_found"
    )
    assert (
        template_for(
            ReferralMade(
                case_id=case_id, referral_id=uuid4(), agency="bpjs", reason="r", referred_by="x"
            )
        )
        == "referral_made"
    )
    assert template_for(CaseResolved(case_id=case_id, outcome="answered", resolved_by="x")) == (
        "case_resolved"
    )
    # After a signed letter the citizen was told already; one message is enough.
    assert (
        template_for(CaseResolved(case_id=case_id, outcome="letter_issued", resolved_by="x"))
        is None
    )
    assert (
        template_for(DocumentReceived(case_id=case_id, document_type="ktp", checked_by="x")) is None
    )
    assert set(TEMPLATES) == {
        "complaint_registered",
        "dtks_not_found",
        "letter_signed",
        "letter_online",
        "letter_posted",
        "referral_made",
        "case_resolved",
        "domicile_refused",
        "case_forwarded",
        "case_merged",
        "duplicate_merged",
        "documents_missing",
        "survey_invitation",
        "status_answer",
        "status_refused",
        "case_answered",
    }


# ---- the office directory over the real catalogue -------------------------------------------


def test_directory_reads_the_published_standards() -> None:
    directory = OfficeDirectory(load_catalogue())
    assert directory.office_name("pariaman") == "Dinas Sosial Kota Pariaman"
    assert directory.completion_time("lumajang", "kks-recommendation", Channel.WALK_IN) == (
        "1 hari kerja"
    )
    assert directory.letter_name(
        "lumajang", "kks-recommendation", "kks_reset_pin_recommendation"
    ) == ("Surat Rekomendasi Pengurusan Reset PIN")
    assert directory.agency_name("pariaman", "bpjs") == "BPJS"
    assert directory.agency_name("mataram", "dinas-kesehatan") == "Dinas Kesehatan"
    # Unknown entries fall back to plain words instead of failing the message.
    assert directory.office_name("atlantis") == "Dinas Sosial"
    assert directory.service_name("lumajang", "no-such-service") is None


@pytest.mark.parametrize(
    ("status", "because", "words"),
    [
        (None, None, "Status permohonan dengan nomor tiket LMJ-2026-000123: Sedang diproses."),
        ("not_eligible", "dtks", ": Belum dapat diproses: data Anda belum terdaftar dalam DTKS."),
        ("not_eligible", "domicile", "domisili Anda di luar wilayah layanan kantor ini."),
        ("letter_signed", None, ": Surat telah ditandatangani."),
    ],
)
def test_a_status_answer_says_where_the_request_really_stands(
    status: str | None, because: str | None, words: str
) -> None:
    """The answer to "status <ticket>" uses casework's finer status where it gives one: a
    request not in DTKS is not told it is being processed."""
    from services.notifications.adapters.casework_status import CaseStatus

    key = CaseStatus("in_progress", None, False, status, because).words_key
    text = render("status_answer", MessageFacts(**{**FACTS.__dict__, "stage": key}))
    assert words in text, text
    if because == "domicile":
        assert "DTKS" not in text
