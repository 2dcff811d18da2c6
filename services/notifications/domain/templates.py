"""The messages a citizen receives, in Bahasa Indonesia, rendered from plain facts.

One template per moment worth telling. The facts come from the event and the office's
published standard; no template repeats personal data beyond what the citizen already
knows (their ticket number, the letter number).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from shared.contracts.base import Event
from shared.contracts.events import (
    CaseResolved,
    ComplaintRegistered,
    DtksNotFound,
    LetterSigned,
    ReferralMade,
)

TemplateName = Literal[
    "complaint_registered",
    "dtks_not_found",
    "letter_signed",
    "referral_made",
    "case_resolved",
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
        "dalam DTKS, sehingga permohonan belum dapat kami proses. Silakan mengajukan "
        "pendaftaran DTKS melalui kantor desa/kelurahan tempat Anda tinggal"
    ),
    "listed_in_other_region": (
        "Mohon maaf, data Anda untuk permohonan dengan nomor tiket {ticket} tercatat dalam "
        "DTKS daerah lain dan belum terdaftar dalam DTKS daerah ini. Silakan mengurus "
        "perpindahan data melalui kantor desa/kelurahan tempat Anda tinggal"
    ),
    "nik_invalid": (
        "Mohon maaf, NIK yang Anda sampaikan untuk permohonan dengan nomor tiket {ticket} "
        "tidak valid, sehingga data Anda belum dapat kami periksa dalam DTKS. Silakan "
        "membawa KTP dan Kartu Keluarga asli"
    ),
    "nik_missing": (
        "Mohon maaf, permohonan dengan nomor tiket {ticket} belum menyertakan NIK, sehingga "
        "data Anda belum dapat kami periksa dalam DTKS. Silakan membawa KTP dan Kartu "
        "Keluarga asli"
    ),
}


def _dtks_not_found(f: MessageFacts) -> str:
    text = _DTKS_TEXT.get(f.dtks_reason or "", _DTKS_TEXT["not_listed"])
    return (
        text.format(ticket=f.ticket_number)
        + f", atau datang ke {f.office_name} untuk informasi lebih lanjut."
    )


def _letter_signed(f: MessageFacts) -> str:
    where = f.office_name + (f", {f.office_address}" if f.office_address else "")
    letter = f.letter_name or "Surat rekomendasi"
    return (
        f"{letter} Anda nomor {_need(f.letter_number, 'letter_number')} "
        f"telah ditandatangani dan dapat diambil di kantor {where}. Mohon membawa nomor tiket "
        f"{f.ticket_number} dan KTP asli."
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


_RENDER = {
    "complaint_registered": _registered,
    "dtks_not_found": _dtks_not_found,
    "letter_signed": _letter_signed,
    "referral_made": _referral_made,
    "case_resolved": _case_resolved,
}


def render(template: TemplateName, facts: MessageFacts) -> str:
    """The message text; MissingFact if the event lacked something the template needs."""
    return _RENDER[template](facts)


def template_for(event: Event) -> TemplateName | None:
    """Which message an event calls for; None when the citizen needs no (second) message."""
    match event:
        case ComplaintRegistered():
            return "complaint_registered"
        case DtksNotFound():
            return "dtks_not_found"
        case LetterSigned():
            return "letter_signed"
        case ReferralMade():
            return "referral_made"
        case CaseResolved(outcome="letter_issued"):
            return None  # the letter_signed message already told them; one message is enough
        case CaseResolved():
            return "case_resolved"
        case _:
            return None
