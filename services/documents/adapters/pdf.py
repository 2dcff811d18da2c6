"""The printed letter: A4 PDF with fpdf2, a verification QR code with segno.

Everything printed comes from the letter's signed `content` (what its hash covers), plus
the verification URL, which cannot be inside the hash it carries. The core PDF fonts
speak Latin-1 only; other characters are replaced by their nearest ASCII form.
"""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import segno
from fpdf import FPDF

from services.documents.domain.content import tanggal

_ASCII = str.maketrans(
    {
        "\u2014": "-",
        "\u2013": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
        "\u00a0": " ",
    }
)
_FIELD = re.compile(r"^([A-Za-z][A-Za-z ]{0,20}?)\s+: (.*)$")
MARGIN = 20.0
LINE = 5.5


def latin1(text: str) -> str:
    return text.translate(_ASCII).encode("latin-1", "replace").decode("latin-1")


def qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=2)
    return buffer.getvalue()


class _Letter(FPDF):
    def text_line(self, text: str, *, style: str = "", size: float = 11, align: str = "L") -> None:
        self.set_font("Helvetica", style, size)
        self.multi_cell(0, LINE, latin1(text), align=align, new_x="LMARGIN", new_y="NEXT")


def _letterhead(pdf: _Letter, head: dict[str, Any]) -> None:
    pdf.text_line(head["government"], style="B", size=13, align="C")
    pdf.text_line(
        head["office"], style="B", size=14 if len(head["office"]) <= 45 else 12, align="C"
    )
    pdf.text_line(head["address"], size=9, align="C")
    if head.get("contact"):
        pdf.text_line(head["contact"], size=9, align="C")
    y = pdf.get_y() + 1.5
    pdf.set_line_width(0.8)
    pdf.line(MARGIN, y, pdf.w - MARGIN, y)
    pdf.set_line_width(0.2)
    pdf.line(MARGIN, y + 1.2, pdf.w - MARGIN, y + 1.2)
    pdf.set_y(y + 5)


def _body(pdf: _Letter, body: str) -> None:
    pdf.set_font("Helvetica", "", 11)
    for line in body.splitlines():
        field = _FIELD.match(line)
        if field:
            pdf.cell(38, LINE, latin1(field.group(1).strip()))
            pdf.cell(4, LINE, ":")
            pdf.multi_cell(0, LINE, latin1(field.group(2)), new_x="LMARGIN", new_y="NEXT")
        elif not line.strip():
            pdf.ln(LINE * 0.6)
        else:
            pdf.multi_cell(0, LINE, latin1(line), align="J", new_x="LMARGIN", new_y="NEXT")


def _signature(pdf: _Letter, content: dict[str, Any], *, with_place: bool) -> None:
    x = pdf.w / 2 + 5
    width = pdf.w - MARGIN - x
    if pdf.get_y() > pdf.h - 95:
        pdf.add_page()
    pdf.ln(6)
    pdf.set_font("Helvetica", "", 11)
    signed_on = date.fromisoformat(content["date"])
    if with_place:
        pdf.set_x(x)
        pdf.multi_cell(width, LINE, latin1(f"{content['place']}, {tanggal(signed_on)}"))
    signatory = content["signatory"]
    pdf.set_x(x)
    pdf.multi_cell(
        width, LINE, latin1(signatory["title"] + ","), align="L", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(18)
    pdf.set_x(x)
    pdf.set_font("Helvetica", "BU", 11)
    pdf.multi_cell(width, LINE, latin1(signatory["name"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    if signatory.get("rank"):
        pdf.set_x(x)
        pdf.multi_cell(width, LINE, latin1(signatory["rank"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(x)
    pdf.multi_cell(width, LINE, f"NIP. {signatory['nip']}", new_x="LMARGIN", new_y="NEXT")


QR_SIZE = 30.0  # mm


def qr_position(pdf: FPDF) -> tuple[float, float]:
    """Top-left corner of the QR code on the last page, in mm."""
    return MARGIN, pdf.h - MARGIN - QR_SIZE - 8


def render_letter(content: dict[str, Any], verify_url: str) -> bytes:
    """The signed letter as PDF bytes."""
    pdf = _Letter(format="A4", unit="mm")
    pdf.set_title(latin1(f"{content['subject']} - {content['number']}"))
    pdf.set_author(latin1(content["office"]["name"]))
    pdf.set_creator("SLRT documents")
    pdf.set_margins(MARGIN, 15, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=MARGIN + QR_SIZE + 10)
    pdf.add_page()
    head = content.get("letterhead") or {
        "government": content["office"]["name"],
        "office": content["office"]["name"],
        "address": "",
    }
    _letterhead(pdf, head)
    signed_on = date.fromisoformat(content["date"])
    certificate = content.get("layout") == "certificate"
    if certificate:
        pdf.set_font("Helvetica", "BU", 13)
        pdf.cell(0, 7, latin1(content["subject"].upper()), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        pdf.cell(
            0, 6, latin1(f"Nomor: {content['number']}"), align="C", new_x="LMARGIN", new_y="NEXT"
        )
        pdf.ln(6)
    else:
        place = content.get("place") or ""
        pdf.set_font("Helvetica", "", 11)
        pdf.cell(
            0,
            LINE,
            latin1(f"{place}, {tanggal(signed_on)}"),
            align="R",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(2)
        for label, value in (
            ("Nomor", content["number"]),
            ("Sifat", "Biasa"),
            ("Lampiran", "-"),
            ("Perihal", content["subject"]),
        ):
            pdf.cell(25, LINE, label)
            pdf.cell(4, LINE, ":")
            style = "B" if label == "Perihal" else ""
            pdf.set_font("Helvetica", style, 11)
            pdf.multi_cell(95, LINE, latin1(value), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "", 11)
        pdf.ln(5)
    _body(pdf, content["body"])
    _signature(pdf, content, with_place=certificate)
    # The QR code and the address it holds, at the foot of the last page.
    pdf.set_auto_page_break(auto=False)
    x, y = qr_position(pdf)
    pdf.image(io.BytesIO(qr_png(verify_url)), x=x, y=y, w=QR_SIZE, h=QR_SIZE, link=verify_url)
    pdf.set_xy(x + QR_SIZE + 3, y + 8)
    pdf.set_font("Helvetica", "", 7.5)
    pdf.multi_cell(
        pdf.w - MARGIN - (x + QR_SIZE + 3),
        3.6,
        latin1(
            "Keaslian surat ini dapat diperiksa dengan memindai kode QR atau membuka alamat:\n"
            f"{verify_url}"
        ),
        link=verify_url,
    )
    return bytes(pdf.output())
