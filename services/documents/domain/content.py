"""What a letter says (in Bahasa Indonesia) and the fingerprint of its final content.

The hash is taken over canonical JSON (sorted keys, no spaces, UTF-8) of the number, the
date, the office, the subject, the body and the signatory; the PDF and its QR code are
rendered from that same content later, so anyone can check a printed letter against it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from shared.catalogue import Office, Product, ServiceStandard, Signatory, Variant
from shared.contracts.events import Applicant


def mask_nik(nik: str | None) -> str:
    """Only the last four digits stay readable: '************0001'."""
    if not nik:
        return "-"
    return "*" * (len(nik) - 4) + nik[-4:]


def _person(applicant: Applicant) -> list[str]:
    return [
        f"Nama           : {applicant.name or '-'}",
        f"NIK            : {mask_nik(applicant.nik)}",
    ]


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
) -> tuple[str, str]:
    """The subject and body of a draft. Officials correct it along the chain."""
    subject = product.name
    lines = [
        "Dengan hormat,",
        "",
        f"Berdasarkan permohonan dengan nomor tiket {ticket_number}, {office.name} "
        f"dengan ini menerbitkan {product.name} kepada:",
        "",
        *_person(applicant),
    ]
    if on_behalf_of is not None:
        lines += ["", "yang bertindak atas kuasa dari pemegang kartu:", *_person(on_behalf_of)]
    lines += [
        "",
        f"Keperluan      : {variant.name}",
        f"Layanan        : {service.name}",
    ]
    if programmes:
        lines.append(f"Program        : {', '.join(programmes)}")
    if dtks_listed:
        lines.append("Status DTKS    : terdaftar dalam Data Terpadu Kesejahteraan Sosial")
    lines += [
        "",
        "Demikian surat ini dibuat untuk dapat dipergunakan sebagaimana mestinya.",
    ]
    return subject, "\n".join(lines)


def letter_content(
    *,
    letter_number: str,
    on: date,
    office: Office,
    subject: str,
    body: str,
    signatory: Signatory,
) -> dict[str, Any]:
    """The final content of a signed letter: what the hash covers and the PDF shows."""
    return {
        "number": letter_number,
        "date": on.isoformat(),
        "office": {"id": office.id, "name": office.name},
        "subject": subject,
        "body": body,
        "signatory": {"title": signatory.title, "name": signatory.name, "nip": signatory.nip},
    }


def canonical_json(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_sha256(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(content)).hexdigest()
