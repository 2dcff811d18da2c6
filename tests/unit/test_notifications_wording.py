"""What the citizen reads (walk 13): the missing documents keep their alternatives together
(defect 3), the first message names the channel it really goes by (B1), a complaint is
"Pengaduan Anda" and a service without a letter never promises one (B2).

Templates over the repository's catalogue and messages, then the use case on the
in-memory unit of work, from the events as documents and intake publish them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from services.notifications.adapters.directory import OfficeDirectory
from services.notifications.adapters.email_sender import compose
from services.notifications.adapters.letter_links import SignedLetterLinks
from services.notifications.domain.outgoing import OutgoingMessage
from services.notifications.domain.templates import (
    MessageFacts,
    MissingItem,
    TemplateName,
    missing_list,
    render,
    service_kind,
)
from services.notifications.service_layer.notify_citizen import ToldEvent, notify_citizen
from shared.catalogue import PIECES, load_catalogue
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.casework_events import CaseAnswered
from shared.contracts.documents_events import DocumentsMissingNoted, MissingDocument
from shared.contracts.events import Applicant, ComplaintRegistered
from shared.contracts.streams import case_stream, checklist_stream, complaint_stream
from shared.contracts.vocab import Channel
from tests.unit.fakes_notifications import FakeNotificationsUnitOfWork

CATALOGUE = load_catalogue()
DIRECTORY = OfficeDirectory(CATALOGUE)
LINKS = SignedLetterLinks(
    base_url="https://dokumen.example.go.id", secret="unit-secret", ttl=timedelta(days=7)
)

# Kupang's "fotocopy KTP atau identitas diri lainnya dan/atau nomor HP", as documents
# notes it missing: one requirement, two alternatives.
KUPANG_ID_OR_PHONE = MissingDocument(
    types=("id_card", "phone_number"),
    names=("Fotokopi KTP atau identitas diri lainnya", "Nomor HP yang biasa dihubungi"),
    form="either",
)


# ---- defect 3: alternatives are one item, joined with "atau" --------------------------------


def test_alternatives_are_one_item_and_one_of_them_will_do() -> None:
    item = MissingItem(KUPANG_ID_OR_PHONE.names, KUPANG_ID_OR_PHONE.form)
    assert missing_list([item]) == (
        "Fotokopi KTP atau identitas diri lainnya, atau Nomor HP yang biasa dihubungi"
        " (cukup salah satu)"
    )
    # Lumajang's "KTP/KK": names without an "atau" of their own need no comma.
    ktp_or_kk = MissingItem(("KTP", "Kartu Keluarga (KK)"), "either")
    assert missing_list([ktp_or_kk]) == "KTP atau Kartu Keluarga (KK) (cukup salah satu)"


def test_several_requirements_one_per_line_with_the_form_where_it_matters() -> None:
    items = [
        MissingItem(("Fotokopi KTP",), "copy"),  # the name says it: not said twice
        MissingItem(("Buku Tabungan",), "original"),
        MissingItem(("Fotokopi KTP", "Fotokopi KIA"), "copy"),
        MissingItem(("KTP", "Kartu Keluarga (KK)"), "original"),
        MissingItem(("Kartu Keluarga",), "copy"),
    ]
    assert missing_list(items) == (
        "\n1. Fotokopi KTP;"
        "\n2. Buku Tabungan (asli);"
        "\n3. Fotokopi KTP atau Fotokopi KIA (cukup salah satu);"
        "\n4. KTP atau Kartu Keluarga (KK) (asli, cukup salah satu);"
        "\n5. Kartu Keluarga (fotokopi)"
    )


def _facts(**more: object) -> MessageFacts:
    base = MessageFacts(
        ticket_number="KPN-2026-000003",
        office_name="Dinas Sosial Kota Kupang",
        office_address="Jl. Contoh No. 1",
    )
    return replace(base, **more)  # type: ignore[arg-type]


def test_the_message_never_turns_alternatives_into_a_list_of_required_items() -> None:
    text = render(
        "documents_missing",
        _facts(
            request_channel=Channel.LETTER,
            documents=(MissingItem(KUPANG_ID_OR_PHONE.names, KUPANG_ID_OR_PHONE.form),),
        ),
    )
    assert "persyaratan berikut belum lengkap: Fotokopi KTP atau identitas diri lainnya, atau" in (
        text
    )
    assert "lainnya, Nomor HP" not in text  # the walk's "both" reading
    assert "(cukup salah satu)." in text


def _registration(
    case_id: UUID,
    *,
    office: str,
    service: str,
    channel: Channel,
    phone: str | None = "081200000031",
    email: str | None = None,
) -> ComplaintRegistered:
    return ComplaintRegistered(
        case_id=case_id,
        ticket_number=f"TKT-{str(case_id)[:6]}",
        office=office,
        service=service,
        channel=channel,
        applicant=Applicant(name="Warga Contoh", phone=phone, email=email),
        received_at=datetime(2026, 12, 1, 7, 0, tzinfo=UTC),
    )


async def _happened(
    uow: FakeNotificationsUnitOfWork, stream: str, event: Event, office: str
) -> EventEnvelope:
    meta = EventMetadata(case_id=getattr(event, "case_id", None), office=office, actor="x")
    (envelope,) = await uow.events.append(stream, await uow.events.version(stream), [event], meta)
    uow.events.commit()
    return envelope


async def _told(uow: FakeNotificationsUnitOfWork, stream: str, event: Event, office: str) -> str:
    """The body of the message the event was told with."""
    envelope = await _happened(uow, stream, event, office)
    told = envelope.payload()
    assert isinstance(told, ComplaintRegistered | DocumentsMissingNoted | CaseAnswered)
    cause: ToldEvent = told
    await notify_citizen(uow, cause, envelope, directory=DIRECTORY, links=LINKS)
    (kept,) = [
        k for k in uow.messages.kept.values() if k.message.cause_event_id == envelope.event_id
    ]
    return kept.message.body


async def test_documents_missing_from_the_event_keeps_each_requirement_whole() -> None:
    uow, case_id = FakeNotificationsUnitOfWork(), uuid4()
    reg = _registration(
        case_id, office="kupang", service="public-complaint", channel=Channel.LETTER
    )
    await _told(uow, complaint_stream(case_id), reg, "kupang")
    noted = DocumentsMissingNoted(
        case_id=case_id,
        variant="general",
        missing=(
            KUPANG_ID_OR_PHONE,
            MissingDocument(types=("id_card",), names=("KTP (ditunjukkan)",), form="original"),
        ),
        noted_by="staff:kpg-fo",
    )
    body = await _told(uow, checklist_stream(case_id), noted, "kupang")
    assert (
        "persyaratan berikut belum lengkap:\n"
        "1. Fotokopi KTP atau identitas diri lainnya, atau Nomor HP yang biasa dihubungi"
        " (cukup salah satu);\n"
        "2. KTP (ditunjukkan) (asli)."
    ) in body
    assert body.startswith(f"Pengaduan Anda dengan nomor tiket TKT-{str(case_id)[:6]}")


# ---- B1: the first message names the channel it goes by ---------------------------------------


@pytest.mark.parametrize(
    ("phone", "email", "words"),
    [("081266601234", "warga@example.org", "WhatsApp"), (None, "warga@example.org", "e-mail")],
)
async def test_a_website_request_is_told_updates_come_by_its_contact_channel(
    phone: str | None, email: str | None, words: str
) -> None:
    uow, case_id = FakeNotificationsUnitOfWork(), uuid4()
    reg = _registration(
        case_id,
        office="pariaman",
        service="dtks-certificate",
        channel=Channel.WEBSITE,
        phone=phone,
        email=email,
    )
    body = await _told(uow, complaint_stream(case_id), reg, "pariaman")
    assert f"setiap perkembangan kami kabarkan melalui {words}," in body
    assert "formulir website" not in body


def test_without_a_contact_the_request_channel_is_named() -> None:
    text = render("complaint_registered", _facts(request_channel=Channel.INSTAGRAM))
    assert "kami kabarkan melalui Instagram" in text


# ---- B2: a complaint is "Pengaduan Anda"; no letter promised where there is none --------------


def test_the_service_kind_follows_the_catalogues_workflow() -> None:
    assert service_kind("complaint_answer") == "complaint"
    assert service_kind("social_work") == "no_letter"
    assert service_kind("letter") == service_kind("certificate") == service_kind(None) == "letter"
    assert DIRECTORY.workflow("kupang", "public-complaint") == "complaint_answer"
    assert DIRECTORY.workflow("lumajang", "service-complaint") == "complaint_answer"
    assert DIRECTORY.workflow("mataram", "lk3-consultation") == "social_work"
    assert DIRECTORY.workflow("kupang", "no-such-service") is None


@pytest.mark.parametrize(
    ("office", "service", "channel"),
    [
        ("kupang", "public-complaint", Channel.LETTER),
        ("kupang", "public-complaint", Channel.WHATSAPP),
        ("lumajang", "service-complaint", Channel.FACEBOOK),
        ("lumajang", "service-complaint", Channel.WALK_IN),
    ],
)
async def test_a_complaint_is_told_pengaduan_anda(
    office: str, service: str, channel: Channel
) -> None:
    uow, case_id = FakeNotificationsUnitOfWork(), uuid4()
    reg = _registration(case_id, office=office, service=service, channel=channel)
    body = await _told(uow, complaint_stream(case_id), reg, office)
    assert body.startswith(
        f"Pengaduan Anda telah kami terima dengan nomor tiket TKT-{str(case_id)[:6]}."
    )
    assert "permohonan" not in body.lower()
    assert "menindaklanjuti pengaduan Anda" in body
    if office == "kupang":  # the office's own wording of the complaint's closing
        assert "Setiap pengaduan kami jawab melalui kanal yang Anda gunakan." in body
    answered = CaseAnswered(case_id=case_id, answer="Bantuan telah kami salurkan.", by="staff:x")
    answer = await _told(uow, case_stream(case_id), answered, office)
    assert answer.startswith("Jawaban atas pengaduan Anda dengan nomor tiket")


async def test_a_letter_request_is_still_permohonan_anda() -> None:
    uow, case_id = FakeNotificationsUnitOfWork(), uuid4()
    reg = _registration(
        case_id, office="lumajang", service="kks-recommendation", channel=Channel.WALK_IN
    )
    body = await _told(uow, complaint_stream(case_id), reg, "lumajang")
    assert body.startswith("Permohonan Anda telah kami terima")
    assert "surat Anda sudah siap" in body


async def test_a_service_without_a_letter_never_promises_one() -> None:
    uow, case_id = FakeNotificationsUnitOfWork(), uuid4()
    reg = _registration(
        case_id, office="mataram", service="lk3-consultation", channel=Channel.WALK_IN
    )
    body = await _told(uow, complaint_stream(case_id), reg, "mataram")
    assert body.startswith("Permohonan Anda telah kami terima")
    assert "surat" not in body.lower()
    assert "menghubungi Anda untuk langkah layanan berikutnya" in body


_COMPLAINT_FACTS = _facts(
    kind="complaint",
    request_channel=Channel.WHATSAPP,
    contact_channel=Channel.WHATSAPP,
    service_name="Standar Pelayanan Pengaduan Masyarakat",
    check_code="7FUAQ5QW",
    status_url="https://portal.example.go.id/kupang/status",
    documents=(MissingItem(("Nomor HP",)),),
    letter_name="Surat jawaban/penanganan pengaduan",
    letter_number="400.9/0001/2026",
    download_link="https://dokumen.example.go.id/x",
    link_valid_until="8 Desember 2026",
    agency_name="BPJS",
    other_ticket="KPN-2026-000001",
    outcome="answered",
    answer="Sudah kami tangani.",
)


@pytest.mark.parametrize(
    "template",
    [
        "complaint_registered",
        "documents_missing",
        "letter_online",
        "letter_posted",
        "referral_made",
        "case_forwarded",
        "case_merged",
        "duplicate_merged",
        "case_resolved",
        "case_answered",
    ],
)
@pytest.mark.parametrize("office", ["kupang", "lumajang"])
def test_no_message_to_a_complainant_calls_it_a_permohonan(
    template: TemplateName, office: str
) -> None:
    text = render(template, _COMPLAINT_FACTS, CATALOGUE.messages_for(office))
    assert "permohonan" not in text.lower(), text
    assert "engaduan" in text  # "Pengaduan Anda", "pengaduan dengan nomor tiket"


def test_every_kinds_piece_is_worded_apart_and_offers_the_same_placeholders() -> None:
    default = CATALOGUE.messages_for(None)
    worded = [k for k in PIECES if k.endswith((".complaint", ".no_letter"))]
    assert len(worded) == 16
    for key in worded:
        plain = key.rsplit(".", 1)[0]
        assert PIECES[key] == PIECES[plain], key
        assert default.pieces[key] != default.pieces[plain], key
        if key.endswith(".complaint"):
            assert "permohonan" not in default.pieces[key].lower(), key


def _outgoing(template: str, service: str) -> OutgoingMessage:
    return OutgoingMessage(
        notification_id=uuid4(),
        case_id=uuid4(),
        channel=Channel.EMAIL,
        address="warga@example.org",
        template=template,
        body="Pengaduan Anda telah kami terima.",
        office="kupang",
        ticket_number="KPN-2026-000003",
        service=service,
    )


def test_an_e_mail_to_a_complainant_has_a_complaints_subject() -> None:
    mail = compose(
        _outgoing("complaint_registered", "public-complaint"),
        from_address="dinsos@kupangkota.go.id",
        from_name="Dinas Sosial Kota Kupang",
        complaint=True,
    )
    assert mail["Subject"] == "[KPN-2026-000003] Pengaduan Anda telah kami terima"
    plain = compose(
        _outgoing("complaint_registered", "kks-recommendation"),
        from_address="dinsos@lumajangkab.go.id",
        from_name="Dinas Sosial",
    )
    assert plain["Subject"] == "[KPN-2026-000003] Permohonan Anda telah kami terima"
