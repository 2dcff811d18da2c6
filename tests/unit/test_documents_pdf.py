"""The printed letter: a real PDF, not blank, whose QR code holds the verification URL."""

from __future__ import annotations

from datetime import date

import pypdfium2 as pdfium
import pytest
import segno

from services.documents.adapters.pdf import QR_SIZE, qr_position, render_letter
from services.documents.domain.content import (
    LetterFacts,
    compose,
    content_sha256,
    letter_content,
    tanggal,
)
from shared.catalogue import load_catalogue
from shared.contracts.events import Applicant
from shared.contracts.vocab import Role

CATALOGUE = load_catalogue()
URL = "https://dinsos.example.go.id/v1/verify/6f1c2a4e-0000-4000-8000-000000000001?h=" + "ab" * 32
MM = 72 / 25.4  # PDF points per millimetre


def _content(office_id: str, service_id: str, variant_id: str, product_id: str, role: Role):  # type: ignore[no-untyped-def]
    office = CATALOGUE.office(office_id)
    service = office.service(service_id)
    product = service.product(product_id)
    subject, body = compose(
        LetterFacts(
            office=office,
            service=service,
            variant=service.variant(variant_id),
            product=product,
            ticket_number="T-000001",
            applicant=Applicant(name="Warga Contoh", nik="3508014101900001"),
            programmes=("BPNT",),
            dtks_listed=True,
            recipient="Kepala Dinas Kesehatan",
            text="Pengaduan Saudara telah kami tindak lanjuti.",
        )
    )
    return letter_content(
        letter_number="400.9/0007/427.64/XI/2026",
        on=date(2026, 11, 23),
        office=office,
        subject=subject,
        body=body,
        signatory=office.signatory(role),
        letter_type=product.letter_type,
        place="Lumajang",
    )


def _page_image(pdf: bytes, scale: float):  # type: ignore[no-untyped-def]
    document = pdfium.PdfDocument(pdf)
    page = document[0]
    return page, page.render(scale=scale).to_pil().convert("L")


def _qr_matrix_on_page(pdf: bytes, modules: int) -> list[list[bool]]:
    """Read the QR code's modules back from the rendered page (dark = True)."""
    scale = 4.0
    page, image = _page_image(pdf, scale)
    height_mm = page.get_height() / MM
    x_mm, y_mm = qr_position(type("P", (), {"h": height_mm})())
    border = 2
    per_module = QR_SIZE * MM * scale / (modules + 2 * border)
    left, top = x_mm * MM * scale, y_mm * MM * scale
    return [
        [
            image.getpixel(
                (
                    int(left + (border + col + 0.5) * per_module),
                    int(top + (border + row + 0.5) * per_module),
                )
            )
            < 128
            for col in range(modules)
        ]
        for row in range(modules)
    ]


@pytest.mark.parametrize(
    ("office", "service", "variant", "product", "role"),
    [
        ("lumajang", "kks-recommendation", "reset-pin", "reset-pin-letter", Role.SECRETARY),
        ("pariaman", "dtks-certificate", "certificate", "dtks-certificate", Role.HEAD_OF_OFFICE),
        ("kupang", "public-complaint", "general", "written-answer", Role.HEAD_OF_OFFICE),
    ],
)
def test_page_one_is_not_blank_and_its_qr_code_is_the_verify_url(
    office: str, service: str, variant: str, product: str, role: Role
) -> None:
    content = _content(office, service, variant, product, role)
    pdf = render_letter(content, URL)
    assert pdf.startswith(b"%PDF-")

    _, image = _page_image(pdf, 1.5)
    histogram = image.histogram()
    dark = sum(histogram[:200]) / sum(histogram)
    assert dark > 0.02, f"page 1 looks blank ({dark:.4f} of pixels inked)"

    text = pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range()
    assert content["number"] in text
    assert tanggal(date(2026, 11, 23)) == "23 November 2026"
    full = CATALOGUE.service(office, service).product(product).identity == "full"
    assert ("3508014101900001" in text) is full  # masked unless the recipient is a bank
    assert content["subject"].upper()[:18] in text.upper()
    assert content["signatory"]["title"].split()[0] in text
    assert URL.split("?")[0] in text.replace("\r", "").replace("\n", "")
    assert URL.encode() in pdf  # the link annotation over the QR code

    expected = segno.make(URL, error="m")
    rows = [[bool(v) for v in row] for row in expected.matrix]
    seen = _qr_matrix_on_page(pdf, len(rows))
    wrong = sum(
        a != b for r1, r2 in zip(rows, seen, strict=True) for a, b in zip(r1, r2, strict=True)
    )
    assert wrong == 0, f"{wrong} QR modules differ from the verify URL's code"


def test_the_hash_covers_what_the_pdf_prints() -> None:
    content = _content(
        "lumajang", "kks-recommendation", "reset-pin", "reset-pin-letter", Role.SECRETARY
    )
    assert content["letterhead"]["government"] == "PEMERINTAH KABUPATEN LUMAJANG"
    assert content["place"] == "Lumajang" and content["layout"] == "letter"
    changed = {**content, "body": content["body"] + " "}
    assert content_sha256(changed) != content_sha256(content)
