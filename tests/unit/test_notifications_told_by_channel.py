"""What the citizen is told follows the channel their request came by (issue 12, point 4),
and refusals, forwarding and merges are told with what happens next (finding 6).

Templates per template and channel, then the use case on the in-memory unit of work."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from services.notifications.adapters.directory import OfficeDirectory
from services.notifications.adapters.letter_links import DownloadLink
from services.notifications.adapters.senders import RecordingSender
from services.notifications.domain.delivery import ONLINE_CHANNELS, delivery_for
from services.notifications.domain.templates import MessageFacts, render, template_for
from services.notifications.service_layer.notify_citizen import ToldEvent, notify_citizen
from shared.catalogue import load_catalogue
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.casework_events import CaseForwarded, CaseMerged, DuplicateMerged
from shared.contracts.documents_events import LetterIssued
from shared.contracts.events import (
    Applicant,
    ComplaintRegistered,
    DomicileRefused,
    DtksNotFound,
    LetterSigned,
)
from shared.contracts.streams import (
    case_stream,
    complaint_stream,
    eligibility_stream,
    letter_stream,
)
from shared.contracts.vocab import Channel, Role
from tests.unit.fakes_notifications import FakeNotificationsUnitOfWork, deliver_all

DIRECTORY = OfficeDirectory(load_catalogue())
COME_IN = ("datang ke", "diambil di kantor", "ambil di kantor", "membawa KTP")

BASE = MessageFacts(
    ticket_number="PRM-2026-000007",
    office_name="Dinas Sosial Kota Pariaman",
    office_address="Jln. Contoh No. 1",
    service_name="Layanan Pencetakan Surat Keterangan DTKS",
    letter_name="Surat Keterangan DTKS",
    letter_number="400.9/0007/Dinsos/XI/2026",
)
LINK = "https://dokumen.example.go.id/v1/letters/x/download?code=abc"


def facts(channel: Channel, **more: object) -> MessageFacts:
    return replace(BASE, request_channel=channel, **more)  # type: ignore[arg-type]


# ---- templates, per channel ---------------------------------------------------------------


def test_online_and_at_office_channels() -> None:
    for channel in Channel:
        expected = "online" if channel in ONLINE_CHANNELS else "at_office"
        assert delivery_for(channel) == expected, channel
    assert delivery_for(Channel.LETTER) == "at_office"
    assert delivery_for(Channel.SP4N_LAPOR) == "online"


@pytest.mark.parametrize("channel", sorted(ONLINE_CHANNELS))
def test_an_online_request_gets_its_letter_as_a_one_time_link(channel: Channel) -> None:
    text = render(
        "letter_online", facts(channel, download_link=LINK, link_valid_until="10 November 2026")
    )
    assert LINK in text and "satu kali" in text and "10 November 2026" in text
    assert "Surat Keterangan DTKS Anda nomor 400.9/0007/Dinsos/XI/2026" in text
    assert not any(words in text for words in COME_IN), text


@pytest.mark.parametrize("channel", [Channel.WALK_IN, Channel.LETTER, Channel.TELEPHONE])
def test_a_request_made_at_the_office_collects_the_letter_there(channel: Channel) -> None:
    text = render("letter_signed", facts(channel))
    assert "dapat diambil di kantor Dinas Sosial Kota Pariaman, Jln. Contoh No. 1" in text
    assert "KTP asli" in text and "download" not in text


def test_which_letter_message_each_channel_gets() -> None:
    case_id, letter_id = uuid4(), uuid4()
    signed = LetterSigned(
        letter_id=letter_id,
        case_id=case_id,
        letter_number="1",
        letter_type="dtks_certificate",
        signed_by="x",
        role=Role.HEAD_OF_OFFICE,
        content_sha256="0" * 64,
    )
    assert template_for(signed, "online") == "letter_online"
    assert template_for(signed, "at_office") == "letter_signed"

    def issued(channel: Channel) -> LetterIssued:
        return LetterIssued(
            letter_id=letter_id,
            case_id=case_id,
            letter_number="1",
            letter_type="dtks_certificate",
            issued_at=datetime(2026, 11, 3, tzinfo=UTC),
            channel=channel,
            issued_by="x",
        )

    assert template_for(issued(Channel.WALK_IN), "at_office") is None  # handed over
    assert template_for(issued(Channel.WALK_IN), "online") is None
    assert template_for(issued(Channel.LETTER), "at_office") == "letter_posted"
    # Sent online to someone who asked at the desk: the link; asked online: sent already.
    assert template_for(issued(Channel.EMAIL), "at_office") == "letter_online"
    assert template_for(issued(Channel.WHATSAPP), "online") is None


def test_a_posted_letter_is_told() -> None:
    text = render("letter_posted", facts(Channel.LETTER))
    assert "telah kami kirimkan melalui pos" in text and "PRM-2026-000007" in text


@pytest.mark.parametrize("reason", ["nik_invalid", "nik_missing"])
def test_a_nik_to_send_is_asked_by_the_channel_of_the_request(reason: str) -> None:
    online = render("dtks_not_found", facts(Channel.WHATSAPP, dtks_reason=reason))
    assert "balas pesan ini dengan NIK" in online
    assert not any(words in online for words in COME_IN), online
    desk = render("dtks_not_found", facts(Channel.WALK_IN, dtks_reason=reason))
    assert "membawa KTP dan Kartu Keluarga asli ke Dinas Sosial Kota Pariaman" in desk


@pytest.mark.parametrize("channel", [Channel.WHATSAPP, Channel.WALK_IN])
def test_not_in_dtks_says_how_to_register_through_the_village(channel: Channel) -> None:
    text = render("dtks_not_found", facts(channel, dtks_reason="not_listed"))
    assert "belum terdaftar dalam DTKS" in text
    assert "kantor desa/kelurahan" in text and "musyawarah desa/kelurahan" in text
    assert "mengajukan permohonan kembali" in text


def test_domicile_refused_says_why_and_where_to_go_instead() -> None:
    base = facts(
        Channel.WHATSAPP,
        service_name="Pelayanan Pengaduan LK3",
        area_name="Kota Mataram",
        domicile_basis="nik_region",
        domicile_found=True,
    )
    text = render("domicile_refused", base)
    assert "hanya melayani warga yang berdomisili di Kota Mataram" in text
    assert "Menurut NIK Anda, Anda berdomisili di luar Kota Mataram" in text
    assert "Dinas Sosial kabupaten/kota tempat Anda berdomisili" in text
    assert "balas pesan ini dengan foto surat keterangan domisili" in text
    assert "PRM-2026-000007" in text
    named = render(
        "domicile_refused",
        replace(
            base,
            request_channel=Channel.WALK_IN,
            domicile_basis="registry",
            other_office_name="Dinas Sosial Kabupaten Lumajang",
            other_office_address="Jl. Contoh, Lumajang",
        ),
    )
    assert "Menurut data DTKS" in named
    assert "kepada Dinas Sosial Kabupaten Lumajang, Jl. Contoh, Lumajang" in named
    assert "bawalah surat keterangan domisili dari kelurahan" in named
    unknown = render(
        "domicile_refused", replace(base, domicile_basis="nik_missing", domicile_found=False)
    )
    assert "belum dapat kami pastikan karena NIK belum disampaikan" in unknown
    assert "balas pesan ini dengan NIK" in unknown


def test_forwarded_names_the_authority_and_what_happens_next() -> None:
    text = render(
        "case_forwarded",
        facts(Channel.WHATSAPP, agency_name="Dinas Kependudukan dan Catatan Sipil"),
    )
    assert "bukan kewenangan Dinas Sosial Kota Pariaman" in text
    assert "telah kami teruskan kepada Dinas Kependudukan dan Catatan Sipil" in text
    assert "dapat Anda tanyakan kepada" in text


def test_merges_name_the_ticket_that_continues() -> None:
    merged = render("case_merged", facts(Channel.WHATSAPP, other_ticket="PRM-2026-000003"))
    assert "Penanganan dilanjutkan dengan nomor tiket PRM-2026-000003" in merged
    assert "Nomor tiket PRM-2026-000007 tidak digunakan lagi" in merged
    anonymous = render("case_merged", facts(Channel.WHATSAPP, other_ticket=None))
    assert "PRM-2026-000007" in anonymous and "laporan lain" in anonymous
    survivor = render("duplicate_merged", facts(Channel.EMAIL, other_ticket="PRM-2026-000009"))
    assert "Penanganan dilanjutkan dengan nomor tiket PRM-2026-000007" in survivor
    assert "nomor tiket PRM-2026-000009 tidak digunakan lagi" in survivor


# ---- the use case -------------------------------------------------------------------------


class FixedLinks:
    def __init__(self) -> None:
        self.minted: list[UUID] = []

    def link_for(self, letter_id: UUID) -> DownloadLink:
        self.minted.append(letter_id)
        return DownloadLink(
            f"https://dokumen.example.go.id/v1/letters/{letter_id}/download?code=c{len(self.minted)}",
            datetime(2026, 11, 10, 16, 30, tzinfo=UTC),  # 10 Nov 23:30 WIB
        )


def registration(
    case_id: UUID,
    *,
    office: str = "pariaman",
    service: str = "dtks-certificate",
    channel: Channel = Channel.WHATSAPP,
    phone: str | None = "081200000001",
    anonymous: bool = False,
    ticket: str | None = None,
) -> ComplaintRegistered:
    return ComplaintRegistered(
        case_id=case_id,
        ticket_number=ticket or f"TKT-{str(case_id)[:6]}",
        office=office,
        service=service,
        channel=channel,
        applicant=Applicant() if anonymous else Applicant(name="Warga Contoh", phone=phone),
        received_at=datetime(2026, 11, 2, 2, 0, tzinfo=UTC),
        anonymous=anonymous,
    )


async def happened(
    uow: FakeNotificationsUnitOfWork, stream: str, event: Event, office: str = "pariaman"
) -> EventEnvelope:
    meta = EventMetadata(case_id=getattr(event, "case_id", None), office=office, actor="x")
    (envelope,) = await uow.events.append(stream, await uow.events.version(stream), [event], meta)
    uow.events.commit()
    return envelope


async def tell(
    uow: FakeNotificationsUnitOfWork,
    envelope: EventEnvelope,
    sender: RecordingSender,
    links: FixedLinks,
) -> None:
    event = envelope.payload()
    assert isinstance(
        event,
        ComplaintRegistered
        | DtksNotFound
        | DomicileRefused
        | LetterSigned
        | LetterIssued
        | CaseForwarded
        | CaseMerged
        | DuplicateMerged,
    )
    told: ToldEvent = event
    await notify_citizen(uow, told, envelope, directory=DIRECTORY, links=links)
    await deliver_all(uow, sender)


async def registered(
    uow: FakeNotificationsUnitOfWork,
    sender: RecordingSender,
    links: FixedLinks,
    reg: ComplaintRegistered,
) -> UUID:
    await tell(
        uow, await happened(uow, complaint_stream(reg.case_id), reg, reg.office), sender, links
    )
    return reg.case_id


def signed(case_id: UUID, letter_id: UUID) -> LetterSigned:
    return LetterSigned(
        letter_id=letter_id,
        case_id=case_id,
        letter_number="400.9/0007/Dinsos/XI/2026",
        letter_type="dtks_certificate",
        signed_by="staff:prm-kadis",
        role=Role.HEAD_OF_OFFICE,
        content_sha256="0" * 64,
    )


def bodies(uow: FakeNotificationsUnitOfWork, case_id: UUID) -> dict[str, str]:
    return {m.message.template: m.message.body for m in uow.messages.of_case(case_id)}


async def test_a_whatsapp_certificate_is_sent_as_a_link_when_signed() -> None:
    uow, sender, links = FakeNotificationsUnitOfWork(), RecordingSender(), FixedLinks()
    case_id = await registered(uow, sender, links, registration(uuid4()))
    letter_id = uuid4()
    await tell(
        uow,
        await happened(uow, letter_stream(letter_id), signed(case_id, letter_id)),
        sender,
        links,
    )
    issued = LetterIssued(
        letter_id=letter_id,
        case_id=case_id,
        letter_number="400.9/0007/Dinsos/XI/2026",
        letter_type="dtks_certificate",
        issued_at=datetime(2026, 11, 3, tzinfo=UTC),
        channel=Channel.WHATSAPP,
        issued_by="staff:prm-desk",
    )
    await tell(uow, await happened(uow, letter_stream(letter_id), issued), sender, links)

    told = bodies(uow, case_id)
    assert list(told) == ["complaint_registered", "letter_online"]  # one letter message
    text = told["letter_online"]
    assert f"/v1/letters/{letter_id}/download?code=c1" in text
    assert "berlaku sampai 10 November 2026" in text  # Pariaman is WIB
    assert not any(words in text for words in COME_IN), text
    assert links.minted == [letter_id]
    assert [m.template for m in sender.sent] == ["complaint_registered", "letter_online"]
    assert sender.sent[1].channel is Channel.WHATSAPP


async def test_a_walk_in_collects_and_a_letter_sent_online_to_them_is_a_link() -> None:
    uow, sender, links = FakeNotificationsUnitOfWork(), RecordingSender(), FixedLinks()
    case_id = await registered(uow, sender, links, registration(uuid4(), channel=Channel.WALK_IN))
    letter_id = uuid4()
    await tell(
        uow,
        await happened(uow, letter_stream(letter_id), signed(case_id, letter_id)),
        sender,
        links,
    )
    assert "dapat diambil di kantor" in bodies(uow, case_id)["letter_signed"]
    assert links.minted == []
    by_email = LetterIssued(
        letter_id=letter_id,
        case_id=case_id,
        letter_number="400.9/0007/Dinsos/XI/2026",
        letter_type="dtks_certificate",
        issued_at=datetime(2026, 11, 3, tzinfo=UTC),
        channel=Channel.EMAIL,
        issued_by="staff:prm-desk",
    )
    await tell(uow, await happened(uow, letter_stream(letter_id), by_email), sender, links)
    assert "download?code=c1" in bodies(uow, case_id)["letter_online"]


async def test_an_anonymous_online_report_gets_no_link_minted() -> None:
    uow, sender, links = FakeNotificationsUnitOfWork(), RecordingSender(), FixedLinks()
    reg = registration(uuid4(), channel=Channel.SP4N_LAPOR, anonymous=True)
    case_id = await registered(uow, sender, links, reg)
    letter_id = uuid4()
    await tell(
        uow,
        await happened(uow, letter_stream(letter_id), signed(case_id, letter_id)),
        sender,
        links,
    )
    kept = uow.messages.of_case(case_id)
    assert [(m.message.template, m.status) for m in kept][-1] == ("letter_online", "recorded")
    assert links.minted == [] and "download" not in kept[-1].message.body
    assert sender.sent == []


async def test_a_mataram_lk3_non_resident_is_told_the_refusal_and_where_to_go() -> None:
    uow, sender, links = FakeNotificationsUnitOfWork(), RecordingSender(), FixedLinks()
    reg = registration(uuid4(), office="mataram", service="lk3-consultation")
    case_id = await registered(uow, sender, links, reg)
    refused = DomicileRefused(
        case_id=case_id,
        required_region_code="52.71",
        found_region_code="35.08",  # Lumajang, an office in the catalogue
        basis="nik_region",
    )
    await tell(
        uow, await happened(uow, eligibility_stream(case_id), refused, "mataram"), sender, links
    )
    text = bodies(uow, case_id)["domicile_refused"]
    assert "berdomisili di Kota Mataram" in text
    assert "kepada Dinas Sosial, Pemberdayaan Perempuan dan Perlindungan Anak Kabupaten" in text
    assert DIRECTORY.area_name("lumajang") == "Kabupaten Lumajang"
    assert sender.sent[-1].template == "domicile_refused"


async def test_forwarding_is_told_with_the_authority_by_name() -> None:
    uow, sender, links = FakeNotificationsUnitOfWork(), RecordingSender(), FixedLinks()
    case_id = await registered(uow, sender, links, registration(uuid4()))
    forwarded = CaseForwarded(
        case_id=case_id, by="staff:x", reason="Bukan kewenangan.", forwarded_to="civil_registry"
    )
    await tell(uow, await happened(uow, case_stream(case_id), forwarded), sender, links)
    text = bodies(uow, case_id)["case_forwarded"]
    assert "teruskan kepada Dinas Kependudukan dan Pencatatan Sipil (Disdukcapil)" in text
    assert "Bukan kewenangan." not in text  # staff's reason is theirs, not the message's


async def merge(
    uow: FakeNotificationsUnitOfWork,
    sender: RecordingSender,
    links: FixedLinks,
    duplicate: ComplaintRegistered,
    survivor: ComplaintRegistered,
) -> None:
    for reg in (survivor, duplicate):
        await registered(uow, sender, links, reg)
    merged = CaseMerged(case_id=duplicate.case_id, by="staff:x", merged_into=survivor.case_id)
    into = DuplicateMerged(
        case_id=survivor.case_id, by="staff:x", duplicate_case_id=duplicate.case_id
    )
    await tell(uow, await happened(uow, case_stream(duplicate.case_id), merged), sender, links)
    await tell(uow, await happened(uow, case_stream(survivor.case_id), into), sender, links)


async def test_a_merge_tells_which_ticket_continues_once_per_person() -> None:
    uow, sender, links = FakeNotificationsUnitOfWork(), RecordingSender(), FixedLinks()
    survivor = registration(uuid4(), ticket="PRM-2026-000001")
    duplicate = registration(uuid4(), ticket="PRM-2026-000002")  # same phone
    await merge(uow, sender, links, duplicate, survivor)
    text = bodies(uow, duplicate.case_id)["case_merged"]
    assert "Penanganan dilanjutkan dengan nomor tiket PRM-2026-000001" in text
    # Same person at the same number: told once, on the merged case.
    assert "duplicate_merged" not in bodies(uow, survivor.case_id)

    other = registration(uuid4(), ticket="PRM-2026-000003", phone="081200000002")
    survivor_2 = registration(uuid4(), ticket="PRM-2026-000004")
    await merge(uow, sender, links, other, survivor_2)
    told = bodies(uow, survivor_2.case_id)["duplicate_merged"]
    assert "PRM-2026-000003" in told and "dilanjutkan dengan nomor tiket PRM-2026-000004" in told


async def test_a_merge_never_names_an_anonymous_report() -> None:
    uow, sender, links = FakeNotificationsUnitOfWork(), RecordingSender(), FixedLinks()
    anonymous = registration(uuid4(), ticket="PRM-2026-000011", anonymous=True)
    named = registration(uuid4(), ticket="PRM-2026-000012", phone="081200000003")
    # The anonymous report continues: the named citizen is not told its ticket.
    await merge(uow, sender, links, named, anonymous)
    text = bodies(uow, named.case_id)["case_merged"]
    assert "PRM-2026-000011" not in text and "laporan lain" in text
    # The anonymous report is merged into a named case: the named citizen hears nothing.
    anonymous_2 = registration(uuid4(), ticket="PRM-2026-000013", anonymous=True)
    named_2 = registration(uuid4(), ticket="PRM-2026-000014", phone="081200000004")
    await merge(uow, sender, links, anonymous_2, named_2)
    assert "duplicate_merged" not in bodies(uow, named_2.case_id)
    assert all("PRM-2026-000013" not in m.body for m in sender.sent)


def test_link_valid_until_is_the_offices_calendar_date() -> None:
    # 16:30 UTC on 10 November is 00:30 WITA on 11 November in Mataram.
    from services.notifications.domain.templates import tanggal
    from shared.localtime import local_date

    moment = datetime(2026, 11, 10, 16, 30, tzinfo=UTC)
    assert tanggal(local_date(moment, "52.71")) == "11 November 2026"
    assert tanggal(local_date(moment - timedelta(hours=1), "13.77")) == "10 November 2026"
