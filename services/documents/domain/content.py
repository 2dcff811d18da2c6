"""What a letter says (in Bahasa Indonesia) and the fingerprint of its final content.

One template per `letter_type` of the catalogue's products; the draft they give is
corrected by officials along the chain (resubmit with a new body). Personal data in a
letter is the least its recipient needs (`domain/identity.py`): the name and NIK of the
applicant (and of the cardholder, where the applicant acts by proxy) as the registry lists
them where it was checked, the NIK masked unless the product's catalogue entry says
`identity: full` (a bank), which also adds the KK and KKS numbers.

The hash is taken over canonical JSON (sorted keys, no spaces, UTF-8) of everything the
PDF prints: number, date and place, letterhead, office, subject, body, signatory. The PDF
is rendered from that same content, so anyone can check a printed letter against it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.documents.domain.identity import (
    Basis,
    Identity,
    RegistryIdentity,
    identify,
    mask_nik,
    person_lines,
)
from services.documents.domain.identity import about as public_person
from shared.catalogue import Office, Product, ServiceStandard, Signatory, Variant
from shared.contracts.events import Applicant, LetterPerson
from shared.localtime import tanggal
from shared.refusal import Refused

__all__ = ["mask_nik", "tanggal"]  # kept importable from here


CERTIFICATE_TYPES = frozenset({"dtks_certificate"})


@dataclass(frozen=True)
class LetterFacts:
    """Everything a template may use, gathered by the use case from the log and catalogue."""

    office: Office
    service: ServiceStandard
    variant: Variant
    product: Product
    ticket_number: str
    applicant: Applicant
    on_behalf_of: Applicant | None = None
    programmes: Sequence[str] = ()
    dtks_listed: bool | None = None
    dtks_source: str | None = None
    request_date: date | None = None
    request_summary: str = ""
    recipient: str | None = None  # "Kepada Yth. ..." as the drafter names it
    text: str | None = None  # the drafter's own paragraph (answer, reason for referral)
    agencies: Sequence[str] = field(default_factory=tuple)
    # The registry's listing for the NIK eligibility checked (the cardholder's when acting
    # by proxy), and the basis of an identity it did not confirm.
    registry: RegistryIdentity | None = None
    unchecked: Basis = "declared"

    @property
    def applicant_identity(self) -> Identity:
        registry = None if self.on_behalf_of is not None else self.registry
        return identify(self.applicant, registry, self.unchecked)

    @property
    def holder_identity(self) -> Identity | None:
        if self.on_behalf_of is None:
            return None
        return identify(self.on_behalf_of, self.registry, self.unchecked)

    @property
    def subject(self) -> Identity:
        """The person the letter is about: the cardholder when acting by proxy."""
        return self.holder_identity or self.applicant_identity


def _person(facts: LetterFacts, person: Identity | None = None) -> list[str]:
    return person_lines(person or facts.applicant_identity, facts.product.identity)


def _needs(facts: LetterFacts, what: str) -> str:
    value = facts.text if what == "text" else facts.recipient
    if not value or not value.strip():
        label = {"text": "text", "recipient": "recipient"}[what]
        raise Refused.invalid(
            "letter_field_required",
            f"A {facts.product.name} needs `{label}` from the drafter.",
            details={"field": label, "letter_type": facts.product.letter_type},
        )
    return value.strip()


# The registry a listing was checked in, by its full name: DTKS until 2025, then DTSEN
# (Inpres 4/2025), whichever snapshot eligibility checked the NIK against.
REGISTRY_NAMES = {
    "DTKS": "Data Terpadu Kesejahteraan Sosial (DTKS)",
    "DTSEN": "Data Tunggal Sosial dan Ekonomi Nasional (DTSEN)",
}


def registry_name(source: str | None) -> str:
    return REGISTRY_NAMES.get(source or "DTKS", REGISTRY_NAMES["DTKS"])


def _addressee(recipient: str) -> list[str]:
    return ["Kepada Yth.", recipient, "di -", "    Tempat", ""]


def _closing() -> list[str]:
    return [
        "",
        "Demikian surat ini dibuat untuk dapat dipergunakan sebagaimana mestinya.",
    ]


def _kks(facts: LetterFacts, purpose: str) -> list[str]:
    recipient = facts.recipient or "Pimpinan Bank Penyalur Kartu Keluarga Sejahtera (KKS)"
    lines = [
        *_addressee(recipient),
        "Dengan hormat,",
        "",
        f"Berdasarkan permohonan dengan nomor tiket {facts.ticket_number}, "
        f"{facts.office.name} memberikan rekomendasi {purpose} kepada:",
        "",
        *_person(facts),
    ]
    if facts.on_behalf_of is not None:
        lines += [
            "",
            "yang bertindak atas kuasa dari pemegang kartu:",
            *_person(facts, facts.holder_identity),
            "",
            "Pemegang kartu tidak dapat hadir/mengurus sendiri sebagaimana surat keterangan "
            "dari desa/kelurahan, dan kuasa diberikan di atas materai.",
        ]
    if facts.dtks_listed:
        lines += ["", f"Yang bersangkutan terdaftar dalam {registry_name(facts.dtks_source)}."]
    if facts.programmes:
        lines.append(f"Program bantuan: {', '.join(facts.programmes)}.")
    lines += [
        "",
        "Mohon kiranya Bapak/Ibu berkenan membantu proses tersebut sesuai ketentuan yang berlaku.",
        *_closing(),
    ]
    return lines


def _reset_pin(facts: LetterFacts) -> list[str]:
    return _kks(facts, "pengurusan reset PIN Kartu Keluarga Sejahtera (KKS)")


def _new_card(facts: LetterFacts) -> list[str]:
    return _kks(facts, "pengurusan penggantian Kartu Keluarga Sejahtera (KKS) baru karena hilang")


def _proxy(facts: LetterFacts) -> list[str]:
    purpose = {
        "proxy-reset-pin": "pengurusan reset PIN Kartu Keluarga Sejahtera (KKS) yang dikuasakan",
        "proxy-new-kks": "pengurusan Kartu Keluarga Sejahtera (KKS) baru yang dikuasakan",
    }.get(facts.variant.id, "pengurusan reset PIN/KKS baru yang dikuasakan")
    return _kks(facts, purpose)


def _sembako(facts: LetterFacts) -> list[str]:
    recipient = facts.recipient or "Pimpinan Bank Penyalur Program Sembako"
    lines = [
        *_addressee(recipient),
        "Dengan hormat,",
        "",
        f"Menindaklanjuti pengaduan Program Sembako dengan nomor tiket {facts.ticket_number} "
        f"perihal {facts.variant.name} Kartu Keluarga Sejahtera (KKS), yang telah diperiksa "
        "kelengkapannya melalui SLRT, bersama ini kami rekomendasikan:",
        "",
        *_person(facts),
        "",
        f"Permasalahan  : {facts.variant.name}",
        f"Status DTKS    : terdaftar dalam {registry_name(facts.dtks_source)}"
        if facts.dtks_listed
        else "Status DTKS    : -",
    ]
    if facts.programmes:
        lines.append(f"Program        : {', '.join(facts.programmes)}")
    lines += [
        "",
        "untuk dapat dilayani penyelesaian permasalahan kartunya sesuai ketentuan yang berlaku.",
        *_closing(),
    ]
    return lines


def _dtks_certificate(facts: LetterFacts) -> list[str]:
    basis = facts.service.legal_basis
    lines = [
        f"Yang bertanda tangan di bawah ini, Kepala {facts.office.name}, dengan ini "
        "menerangkan bahwa:",
        "",
        *_person(facts),
        "",
        f"benar terdaftar dalam {registry_name(facts.dtks_source)} "
        "berdasarkan data yang berlaku pada saat surat keterangan ini dicetak.",
    ]
    if facts.programmes:
        lines += ["", f"Program bantuan sosial yang tercatat: {', '.join(facts.programmes)}."]
    if basis:
        lines += ["", f"Dasar: {basis}."]
    lines += [
        "",
        "Surat keterangan ini menjadi dasar untuk menerima bantuan sosial yang bersumber "
        "dari APBN maupun APBD sesuai ketentuan yang berlaku.",
        "",
        "Demikian surat keterangan ini dibuat untuk dapat dipergunakan sebagaimana mestinya.",
    ]
    return lines


def _complaint_answer(facts: LetterFacts) -> list[str]:
    answer = _needs(facts, "text")
    recipient = facts.recipient or f"Sdr/i. {facts.applicant.name or 'Pengadu'}"
    when = f" tanggal {tanggal(facts.request_date)}" if facts.request_date else ""
    lines = [
        *_addressee(recipient),
        "Dengan hormat,",
        "",
        f"Menanggapi surat pengaduan Saudara{when} yang ditujukan kepada Kepala "
        f"{facts.office.name} (nomor tiket {facts.ticket_number}), dengan ini kami "
        "sampaikan jawaban sebagai berikut:",
        "",
        *answer.splitlines(),
        "",
        "Apabila Saudara memerlukan penjelasan lebih lanjut, Saudara dapat menghubungi "
        f"{facts.office.name} melalui kanal pengaduan yang tersedia.",
        "",
        "Demikian jawaban ini kami sampaikan. Atas perhatian Saudara diucapkan terima kasih.",
    ]
    return lines


def _lk3_referral(facts: LetterFacts) -> list[str]:
    recipient = _needs(facts, "recipient")
    reason = _needs(facts, "text")
    return [
        *_addressee(recipient),
        "Dengan hormat,",
        "",
        "Bersama ini Lembaga Konsultasi Kesejahteraan Keluarga (LK3) "
        f"{facts.office.name} merujuk klien kami:",
        "",
        *_person(facts),
        f"Nomor tiket    : {facts.ticket_number}",
        "",
        "untuk mendapatkan penanganan lebih lanjut sesuai kewenangan Bapak/Ibu, dengan "
        "pertimbangan sebagai berikut:",
        "",
        *reason.splitlines(),
        "",
        "Hasil asesmen dan catatan konseling bersifat rahasia dan hanya disampaikan kepada "
        "petugas yang menangani atas persetujuan klien.",
        "",
        "Atas perhatian dan kerja sama Bapak/Ibu diucapkan terima kasih.",
    ]


TEMPLATES: dict[str, Callable[[LetterFacts], list[str]]] = {
    "kks_reset_pin_recommendation": _reset_pin,
    "kks_new_card_recommendation": _new_card,
    "kks_proxy_recommendation": _proxy,
    "sembako_recommendation": _sembako,
    "dtks_certificate": _dtks_certificate,
    "complaint_answer": _complaint_answer,
    "lk3_referral": _lk3_referral,
}


def _generic(facts: LetterFacts) -> list[str]:
    return [
        "Dengan hormat,",
        "",
        f"Berdasarkan permohonan dengan nomor tiket {facts.ticket_number}, {facts.office.name} "
        f"dengan ini menerbitkan {facts.product.name} kepada:",
        "",
        *_person(facts),
        "",
        f"Keperluan      : {facts.variant.name}",
        f"Layanan        : {facts.service.name}",
        *_closing(),
    ]


def compose(facts: LetterFacts) -> tuple[str, str]:
    """The subject and body of a draft, from the template of the product's letter type."""
    template = TEMPLATES.get(facts.product.letter_type or "", _generic)
    return facts.product.name, "\n".join(template(facts))


def about(facts: LetterFacts) -> LetterPerson:
    """Whom the letter is about, as the public verification page may show them."""
    return public_person(facts.subject)


def compose_letter(
    *,
    office: Office,
    service: ServiceStandard,
    variant: Variant,
    product: Product,
    ticket_number: str,
    applicant: Applicant,
    on_behalf_of: Applicant | None = None,
    programmes: Sequence[str] = (),
    dtks_listed: bool | None = None,
    dtks_source: str | None = None,
) -> tuple[str, str]:
    """Keyword form of `compose` (kept for callers of the walking skeleton)."""
    return compose(
        LetterFacts(
            office=office,
            service=service,
            variant=variant,
            product=product,
            ticket_number=ticket_number,
            applicant=applicant,
            on_behalf_of=on_behalf_of,
            programmes=programmes,
            dtks_listed=dtks_listed,
            dtks_source=dtks_source,
        )
    )


def place_name(office: Office, region_name: str | None = None) -> str:
    """Where a letter is dated: 'Lumajang' from 'Kabupaten Lumajang' / 'Kota Lumajang'."""
    name = region_name or office.letterhead.government
    for prefix in ("PEMERINTAH ", "Kabupaten ", "KABUPATEN ", "Kota ", "KOTA "):
        name = name.removeprefix(prefix)
    for prefix in ("KABUPATEN ", "KOTA "):
        name = name.removeprefix(prefix)
    return name.title() if name.isupper() else name


def letter_content(
    *,
    letter_number: str,
    on: date,
    office: Office,
    subject: str,
    body: str,
    signatory: Signatory,
    letter_type: str | None = None,
    place: str | None = None,
    about: LetterPerson | None = None,
) -> dict[str, Any]:
    """The final content of a signed letter: what the hash covers and the PDF shows
    (`about`: the name and masked NIK the body prints, for the verification page)."""
    content: dict[str, Any] = {
        "number": letter_number,
        "date": on.isoformat(),
        "office": {"id": office.id, "name": office.name},
        "subject": subject,
        "body": body,
        "signatory": {
            "title": signatory.title,
            "name": signatory.name,
            "nip": signatory.nip,
            "rank": signatory.rank,
        },
    }
    if letter_type is not None:
        head = office.letterhead
        content |= {
            "letter_type": letter_type,
            "layout": "certificate" if letter_type in CERTIFICATE_TYPES else "letter",
            "place": place or place_name(office),
            "letterhead": {
                "government": head.government,
                "office": head.office,
                "address": head.address,
                "contact": head.contact,
            },
        }
    if about is not None:
        content["about"] = {"name": about.name, "nik": about.nik_masked, "basis": about.basis}
    return content


def canonical_json(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_sha256(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(content)).hexdigest()
