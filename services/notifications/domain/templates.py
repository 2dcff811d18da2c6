"""The messages a citizen receives, in Bahasa Indonesia, rendered from plain facts.

One template per moment worth telling. The facts come from the event and the office's
published standard; no template repeats personal data beyond what the citizen already
knows (their ticket number, the letter number).

What a message asks of the citizen follows the channel their request came by
(`domain.delivery`): walk-ins and letters are served at the office (collect the letter,
bring what is missing); online requests are served online (a one-time download link,
answer this message with what is missing), and are never asked to come in for a letter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, get_args

from services.notifications.domain.delivery import Delivery, delivery_for
from shared.contracts.base import Event
from shared.contracts.casework_events import CaseForwarded, CaseMerged, DuplicateMerged
from shared.contracts.documents_events import LetterIssued
from shared.contracts.events import (
    CaseResolved,
    ComplaintRegistered,
    DomicileRefused,
    DtksNotFound,
    LetterSigned,
    ReferralMade,
)
from shared.contracts.vocab import Channel

TemplateName = Literal[
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
]
TEMPLATES: tuple[str, ...] = get_args(TemplateName)


@dataclass(frozen=True)
class MessageFacts:
    ticket_number: str
    office_name: str
    office_address: str | None = None
    service_name: str | None = None
    completion_time: str | None = None  # as published: "1 hari kerja", "15 menit"
    letter_name: str | None = None  # "Surat Rekomendasi Pengurusan Reset PIN"
    letter_number: str | None = None
    dtks_reason: str | None = None  # DtksNotFound.reason
    agency_name: str | None = None
    outcome: str | None = None  # CaseResolved.outcome
    # The channel the request came by: it decides what the citizen is asked to do.
    request_channel: Channel = Channel.WALK_IN
    download_link: str | None = None  # one-time link to the signed PDF (online delivery)
    link_valid_until: str | None = None  # "30 November 2026", the office's calendar
    # Domicile refused: the area the service is for, why, and where else to go.
    area_name: str | None = None  # "Kota Mataram"
    domicile_basis: str | None = None  # DomicileRefused.basis
    domicile_found: bool = False  # a region was found (outside the area)
    other_office_name: str | None = None  # the catalogue's office for that region
    other_office_address: str | None = None
    # Merges: the other case's ticket (CaseMerged: the one that continues; DuplicateMerged:
    # the one merged into this). None when telling it could reveal an anonymous reporter.
    other_ticket: str | None = None

    @property
    def delivery(self) -> Delivery:
        return delivery_for(self.request_channel)


class MissingFact(ValueError):
    """A template needs a fact the event did not give.

    Not a refusal (`shared.refusal.Refused`): nobody asked for anything, so there is no
    one to answer. It is raised inside the consumer, which retries the event and then
    dead-letters it with this reason for a person to look at: an event that lacks what
    its message needs is a producer's bug, never an HTTP answer."""


def _need(value: str | None, name: str) -> str:
    if not value:
        raise MissingFact(name)
    return value


def _registered(f: MessageFacts) -> str:
    text = f"Permohonan Anda telah kami terima dengan nomor tiket {f.ticket_number}."
    if f.service_name:
        text += f" Layanan: {f.service_name}."
    if f.completion_time:
        text += f" Waktu penyelesaian sesuai standar pelayanan: {f.completion_time}."
    return (
        text + " Simpan nomor tiket ini untuk menanyakan perkembangan permohonan Anda."
        f" Salam, {f.office_name}."
    )


_DTKS_TEXT = {
    "not_listed": (
        "Mohon maaf, data Anda untuk permohonan dengan nomor tiket {ticket} belum terdaftar "
        "dalam DTKS, sehingga permohonan belum dapat kami proses. Untuk mendaftar DTKS, "
        "datanglah ke kantor desa/kelurahan tempat Anda tinggal dengan membawa KTP dan Kartu "
        "Keluarga: desa/kelurahan mengusulkan Anda melalui musyawarah desa/kelurahan untuk "
        "dimasukkan ke DTKS. Setelah terdaftar, Anda dapat mengajukan permohonan kembali."
    ),
    "listed_in_other_region": (
        "Mohon maaf, data Anda untuk permohonan dengan nomor tiket {ticket} tercatat dalam "
        "DTKS daerah lain dan belum terdaftar dalam DTKS daerah ini. Silakan mengurus "
        "perpindahan data melalui kantor desa/kelurahan tempat Anda tinggal sekarang dengan "
        "membawa KTP dan Kartu Keluarga. Setelah data pindah, Anda dapat mengajukan "
        "permohonan kembali."
    ),
    "nik_invalid": (
        "Mohon maaf, NIK yang Anda sampaikan untuk permohonan dengan nomor tiket {ticket} "
        "tidak valid, sehingga data Anda belum dapat kami periksa dalam DTKS."
    ),
    "nik_missing": (
        "Mohon maaf, permohonan dengan nomor tiket {ticket} belum menyertakan NIK, sehingga "
        "data Anda belum dapat kami periksa dalam DTKS."
    ),
}

# What to do about a NIK, by where the citizen is served.
_SEND_NIK = {
    "at_office": " Silakan membawa KTP dan Kartu Keluarga asli ke {office}.",
    "online": (
        " Silakan balas pesan ini dengan NIK sesuai KTP (16 angka) dan menyebut nomor tiket "
        "{ticket}; petugas kami akan memeriksanya kembali."
    ),
}


def _more_information(f: MessageFacts) -> str:
    if f.delivery == "online":
        return (
            f" Bila ada pertanyaan, balas pesan ini dengan menyebut nomor tiket "
            f"{f.ticket_number}. Salam, {f.office_name}."
        )
    where = f.office_name + (f", {f.office_address}" if f.office_address else "")
    return f" Informasi lebih lanjut dapat Anda tanyakan di {where}."


def _dtks_not_found(f: MessageFacts) -> str:
    reason = f.dtks_reason if f.dtks_reason in _DTKS_TEXT else "not_listed"
    text = _DTKS_TEXT[reason].format(ticket=f.ticket_number)
    if reason in ("nik_invalid", "nik_missing"):
        text += _SEND_NIK[f.delivery].format(office=f.office_name, ticket=f.ticket_number)
    return text + _more_information(f)


_MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


def tanggal(on: date) -> str:
    """'30 November 2026'."""
    return f"{on.day} {_MONTHS[on.month - 1]} {on.year}"


def _letter_signed(f: MessageFacts) -> str:
    """Served at the office: the signed letter is collected at the desk."""
    where = f.office_name + (f", {f.office_address}" if f.office_address else "")
    letter = f.letter_name or "Surat rekomendasi"
    return (
        f"{letter} Anda nomor {_need(f.letter_number, 'letter_number')} "
        f"telah ditandatangani dan dapat diambil di kantor {where}. Mohon membawa nomor tiket "
        f"{f.ticket_number} dan KTP asli."
    )


def _letter_online(f: MessageFacts) -> str:
    """Served online: the signed letter as a one-time download link."""
    letter = f.letter_name or "Surat rekomendasi"
    text = (
        f"{letter} Anda nomor {_need(f.letter_number, 'letter_number')} untuk permohonan "
        f"dengan nomor tiket {f.ticket_number} telah ditandatangani."
    )
    if f.download_link is None:  # nobody to send a link to (anonymous): kept, not sent
        return text + (f" Hubungi {f.office_name} dengan menyebut nomor tiket untuk menerimanya.")
    return text + (
        f" Unduh surat Anda (PDF) melalui tautan berikut: {f.download_link} . Tautan ini "
        f"hanya dapat dipakai satu kali dan berlaku sampai "
        f"{_need(f.link_valid_until, 'link_valid_until')}; simpan surat setelah diunduh. "
        "Keaslian surat dapat diperiksa melalui kode QR yang tercetak pada surat. "
        f"Salam, {f.office_name}."
    )


def _letter_posted(f: MessageFacts) -> str:
    letter = f.letter_name or "Surat"
    return (
        f"{letter} Anda nomor {_need(f.letter_number, 'letter_number')} untuk permohonan "
        f"dengan nomor tiket {f.ticket_number} telah kami kirimkan melalui pos ke alamat "
        f"yang Anda cantumkan. Bila surat belum Anda terima, hubungi {f.office_name} dengan "
        "menyebut nomor tiket tersebut."
    )


def _referral_made(f: MessageFacts) -> str:
    return (
        f"Permohonan Anda dengan nomor tiket {f.ticket_number} kami rujuk ke "
        f"{_need(f.agency_name, 'agency_name')} untuk penanganan lebih lanjut. Petugas kami "
        f"akan menghubungi Anda bila diperlukan. Salam, {f.office_name}."
    )


_OUTCOMES = {
    "answered": "telah kami jawab",
    "referred": "telah kami rujuk ke instansi yang berwenang",
    "letter_issued": "telah selesai: surat Anda telah terbit",
}


def _case_resolved(f: MessageFacts) -> str:
    outcome = _OUTCOMES.get(f.outcome or "", "telah selesai ditangani")
    return (
        f"Permohonan Anda dengan nomor tiket {f.ticket_number} {outcome}. Terima kasih telah "
        f"menghubungi {f.office_name}. Bila Anda belum puas, sampaikan melalui kanal "
        "pengaduan kami."
    )


def _domicile_refused(f: MessageFacts) -> str:
    area = f.area_name or "wilayah kami"
    service = f.service_name or "Layanan ini"
    ticket = f.ticket_number
    text = f"Mohon maaf, {service} hanya melayani warga yang berdomisili di {area}."
    if f.domicile_found:
        source = "data DTKS" if f.domicile_basis == "registry" else "NIK Anda"
        elsewhere = (
            f"{f.other_office_name}"
            + (f", {f.other_office_address}" if f.other_office_address else "")
            if f.other_office_name
            else "Dinas Sosial kabupaten/kota tempat Anda berdomisili"
        )
        text += (
            f" Menurut {source}, Anda berdomisili di luar {area}, sehingga permohonan dengan "
            f"nomor tiket {ticket} tidak dapat kami lanjutkan. Silakan mengajukan layanan "
            f"serupa kepada {elsewhere}."
        )
        if f.delivery == "online":
            proof = (
                " Bila Anda sebenarnya tinggal di {area}, balas pesan ini dengan foto surat "
                "keterangan domisili dari kelurahan dan menyebut nomor tiket {ticket}."
            )
        else:
            proof = (
                " Bila Anda sebenarnya tinggal di {area}, bawalah surat keterangan domisili "
                "dari kelurahan, KTP dan Kartu Keluarga ke {office} dengan menyebut nomor "
                "tiket {ticket}."
            )
    else:
        why = "belum disampaikan" if f.domicile_basis == "nik_missing" else "tidak valid"
        text += (
            f" Domisili Anda untuk permohonan dengan nomor tiket {ticket} belum dapat kami "
            f"pastikan karena NIK {why}, sehingga permohonan belum dapat kami lanjutkan."
        )
        if f.delivery == "online":
            proof = (
                " Silakan balas pesan ini dengan NIK sesuai KTP (16 angka) dan foto surat "
                "keterangan domisili dari kelurahan, dengan menyebut nomor tiket {ticket}."
            )
        else:
            proof = (
                " Silakan membawa KTP, Kartu Keluarga dan surat keterangan domisili dari "
                "kelurahan ke {office} dengan menyebut nomor tiket {ticket}."
            )
    text += proof.format(area=area, ticket=ticket, office=f.office_name)
    return text + f" Salam, {f.office_name}."


def _case_forwarded(f: MessageFacts) -> str:
    agency = _need(f.agency_name, "agency_name")
    return (
        f"Permohonan Anda dengan nomor tiket {f.ticket_number} bukan kewenangan "
        f"{f.office_name}, sehingga telah kami teruskan kepada {agency}, instansi yang "
        f"berwenang menanganinya. Selanjutnya {agency} yang akan menindaklanjuti permohonan "
        f"Anda; perkembangannya dapat Anda tanyakan kepada {agency} dengan menyebut nomor "
        f"tiket {f.ticket_number}. Salam, {f.office_name}."
    )


def _case_merged(f: MessageFacts) -> str:
    """To the citizen of the case merged away: which ticket continues."""
    if f.other_ticket is None:  # the case it joined is an anonymous report: name nothing
        return (
            f"Permohonan Anda dengan nomor tiket {f.ticket_number} sama dengan laporan lain "
            "yang sedang kami tangani, sehingga keduanya kami gabungkan dan ditangani "
            f"bersama. Perkembangannya tetap dapat Anda tanyakan dengan nomor tiket "
            f"{f.ticket_number}. Salam, {f.office_name}."
        )
    return (
        f"Permohonan Anda dengan nomor tiket {f.ticket_number} sama dengan permohonan yang "
        f"sedang kami tangani dengan nomor tiket {f.other_ticket}, sehingga keduanya kami "
        f"gabungkan. Penanganan dilanjutkan dengan nomor tiket {f.other_ticket}; gunakan "
        f"nomor tiket {f.other_ticket} untuk menanyakan perkembangannya. Nomor tiket "
        f"{f.ticket_number} tidak digunakan lagi. Salam, {f.office_name}."
    )


def _duplicate_merged(f: MessageFacts) -> str:
    """To the citizen of the case that continues: the other ticket was merged into it."""
    other = _need(f.other_ticket, "other_ticket")
    return (
        f"Permohonan Anda dengan nomor tiket {other} sama dengan permohonan dengan nomor "
        f"tiket {f.ticket_number}, sehingga keduanya kami gabungkan. Penanganan dilanjutkan "
        f"dengan nomor tiket {f.ticket_number}; nomor tiket {other} tidak digunakan lagi. "
        f"Salam, {f.office_name}."
    )


_RENDER = {
    "complaint_registered": _registered,
    "dtks_not_found": _dtks_not_found,
    "letter_signed": _letter_signed,
    "letter_online": _letter_online,
    "letter_posted": _letter_posted,
    "referral_made": _referral_made,
    "case_resolved": _case_resolved,
    "domicile_refused": _domicile_refused,
    "case_forwarded": _case_forwarded,
    "case_merged": _case_merged,
    "duplicate_merged": _duplicate_merged,
}


def render(template: TemplateName, facts: MessageFacts) -> str:
    """The message text; MissingFact if the event lacked something the template needs."""
    return _RENDER[template](facts)


def template_for(event: Event, delivery: Delivery = "at_office") -> TemplateName | None:
    """Which message an event calls for, for a citizen served `at_office` or `online`;
    None when the citizen needs no (second) message.

    A signed letter: collected at the office, or sent online at once (a download link).
    An issued letter: handed over at the desk needs no message; posted, it is told; sent
    online to a citizen who asked at the office, it is the download link; sent online to
    one who asked online, the link went out when it was signed (one message is enough).
    """
    match event:
        case ComplaintRegistered():
            return "complaint_registered"
        case DtksNotFound():
            return "dtks_not_found"
        case DomicileRefused():
            return "domicile_refused"
        case LetterSigned():
            return "letter_online" if delivery == "online" else "letter_signed"
        case LetterIssued(channel=Channel.LETTER):
            return "letter_posted"
        case LetterIssued(channel=channel) if delivery_for(channel) == "online":
            return None if delivery == "online" else "letter_online"
        case LetterIssued():
            return None  # handed over in person
        case ReferralMade():
            return "referral_made"
        case CaseForwarded():
            return "case_forwarded"
        case CaseMerged():
            return "case_merged"
        case DuplicateMerged():
            return "duplicate_merged"
        case CaseResolved(outcome="letter_issued"):
            return None  # the letter's own message already told them; one message is enough
        case CaseResolved():
            return "case_resolved"
        case _:
            return None
