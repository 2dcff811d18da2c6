"""The public check of a printed letter: is the content hash in its QR code the hash of a
letter this office signed?

Shown when it matches: the office, the number, the date, the subject and the signing
official — what the letter's own header and signature show. Never the body (which names
the citizen), never the NIK. When the hash does not match, nothing about the letter is
shown at all: a guessed or altered link learns nothing.
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
    return result
