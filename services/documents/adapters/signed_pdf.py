"""The issued letter: the PDF (`pdf.render_letter`) signed with the office's certificate
(`signing.sign_pdf`, PAdES). Every route that hands a letter's PDF out uses this."""

from __future__ import annotations

from typing import Any

from services.documents.adapters.pdf import render_letter
from services.documents.adapters.signing import office_certificate, sign_pdf
from services.documents.config import get_documents_settings
from shared.settings import get_settings


async def signed_letter_pdf(content: dict[str, Any], verify_url: str) -> bytes:
    pdf = render_letter(content, verify_url)
    configured = get_documents_settings().slrt_signing_dir
    directory = configured or get_settings().slrt_data_dir / "keys" / "signing"
    office = content.get("office") or {}
    certificate = office_certificate(
        directory,
        str(office.get("id") or "office"),
        str(office.get("name") or "Dinas Sosial"),
        make_test=configured is None,
    )
    signatory = content.get("signatory") or {}
    return await sign_pdf(
        pdf,
        certificate,
        name=str(signatory.get("name") or office.get("name") or ""),
        reason=f"Penandatanganan surat nomor {content.get('number', '')}",
        location=str(content.get("place") or ""),
    )
