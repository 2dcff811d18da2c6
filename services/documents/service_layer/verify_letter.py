"""The public check of a printed letter: is the content hash in its QR code the hash of a
letter this office signed?

Shown when it matches: enough to match the paper in hand and nothing more: the person
the letter is about (name, NIK masked to its first and last four digits, and where that
identity comes from: the registry, the KTP, or the applicant's word), the office, the
number, the date, the subject and the signing official. Never the body, the full NIK,
the KK or KKS number, an address or a phone. A genuine QR code copied onto a doctored
paper shows the name of the person the office wrote about, not the one on the paper.
When the hash does not match, nothing about the letter is shown at all: a guessed or
altered link learns nothing.
"""

from __future__ import annotations

import hmac
from typing import Any
from uuid import UUID

from services.documents.service_layer.common import NewUnitOfWork


async def verify_letter(new_uow: NewUnitOfWork, letter_id: UUID, presented: str) -> dict[str, Any]:
    async with new_uow() as uow:
        signed = await uow.letters.signed(letter_id)
    if signed is None:
        return {"found": False, "genuine": False, "letter_id": str(letter_id)}
    genuine = hmac.compare_digest(signed.content_sha256, presented.strip().lower())
    result: dict[str, Any] = {"found": True, "genuine": genuine, "letter_id": str(letter_id)}
    if genuine:
        content = signed.content
        result["letter"] = {
            "number": signed.letter_number,
            "date": content["date"],
            "office": content["office"]["name"],
            "subject": content["subject"],
            "signed_by": {
                "title": content["signatory"]["title"],
                "name": content["signatory"]["name"],
            },
            "content_sha256": signed.content_sha256,
        }
        person = content.get("about")  # absent on letters signed before it was kept
        if isinstance(person, dict):
            result["letter"]["person"] = {
                "name": person.get("name"),
                "nik_masked": person.get("nik"),
                "basis": person.get("basis"),
            }
    return result
