"""The signed letter's PDF carries a PAdES signature by the office's certificate (issue 16,
point 9), over documents' HTTP API on the real database: validated with pyHanko's own
validation API against the test CA the fixture made, it is intact and valid and names the
office; one byte changed and it is not. The QR code to the verification page stays."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator import ValidationContext

from services.documents.adapters.signing import CA_CERT, make_test_office_certificate
from services.documents.bootstrap import create_app
from services.documents.config import get_documents_settings
from shared.catalogue import load_catalogue
from shared.settings import Settings
from tests.integration.test_documents_service import (
    SECRETARY,
    approved_letter,
    checklist_of,
    register_case,
    store,  # noqa: F401 - the fixture
)
from tests.servicekit import eventually, running

pytestmark = pytest.mark.integration


@pytest.fixture
def signing_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A test CA and Lumajang's certificate, made here with `cryptography`, as the
    office's own would be given in production (SLRT_SIGNING_DIR)."""
    directory = tmp_path / "signing"
    office = load_catalogue().office("lumajang")
    make_test_office_certificate(directory, office.id, office.name)
    monkeypatch.setenv("SLRT_SIGNING_DIR", str(directory))
    get_documents_settings.cache_clear()
    yield directory
    get_documents_settings.cache_clear()


async def _validate(pdf: bytes, ca: Path) -> PdfSignatureStatus:
    (signature,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    root = asn1_x509.Certificate.load(_der(ca))
    return await async_validate_pdf_signature(
        signature, ValidationContext(trust_roots=[root], allow_fetching=False)
    )


def _der(pem_path: Path) -> bytes:
    return x509.load_pem_x509_certificate(pem_path.read_bytes()).public_bytes(Encoding.DER)


async def test_the_issued_pdf_is_signed_by_the_office_and_a_changed_byte_shows(
    store: asyncpg.Pool,  # noqa: F811 - the fixture
    settings: Settings,
    signing_dir: Path,
) -> None:
    case_id = await register_case(store)
    async with running(create_app(settings)) as client:
        await eventually(lambda: checklist_of(client, case_id))
        letter_id = await approved_letter(client, case_id)
        r = await client.post(f"/v1/letters/{letter_id}/sign", headers=SECRETARY)
        assert r.status_code == 200, r.text
        signed = r.json()
        r = await client.get(f"/v1/letters/{letter_id}.pdf", headers=SECRETARY)
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        pdf = r.content

    status = await _validate(pdf, signing_dir / CA_CERT)
    assert status.intact and status.valid and status.trusted, status
    assert status.bottom_line
    assert status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
    office = load_catalogue().office("lumajang")
    assert status.signing_cert.subject.native["common_name"] == office.name[:64]
    # The verification QR code is still on the page: the content hash is in the PDF.
    assert signed["content_sha256"].encode() in pdf or b"/Subtype /Image" in pdf

    # One byte changed inside the signed range (in the page's compressed stream).
    at = pdf.index(b"stream\n") + 40
    tampered = pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]
    broken = await _validate(tampered, signing_dir / CA_CERT)
    # The document's digest no longer matches what was signed: not intact, so not good.
    assert not broken.intact and not broken.bottom_line
