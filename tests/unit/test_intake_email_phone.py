"""The e-mail door takes the sender's phone from the plain-text body: the first Indonesian
mobile or fixed-line number the sender wrote (`phonenumbers`, region ID), in E.164 as
intake keeps every phone; never from a quoted reply, never an office's own number."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from services.intake.adapters.channels.email import (
    office_numbers,
    own_lines,
    parse_email,
    phone_in_text,
)
from services.intake.domain.inbound import Classified, classify
from services.intake.domain.registration import normalise_phone
from shared.catalogue import load_catalogue
from shared.contracts.vocab import Channel

CATALOGUE = load_catalogue()
MAILBOXES = {"dinsos@kupangkota.go.id": "kupang"}
OFFICES = office_numbers(CATALOGUE)
KUPANG_PHONE = "+6285239409087"  # the office's own, on its letterhead and in its catalogue


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No. HP: 0812-3456-7890", "+6281234567890"),
        ("Hubungi saya di +62 812 3456 7890 ya.", "+6281234567890"),
        ("HP 081200000012", "+6281200000012"),
        ("wa: 6281200000012", "+6281200000012"),
        ("Telp rumah (0380) 821234", "+62380821234"),
        ("No HP:0812 0000 0013.", "+6281200000013"),
    ],
)
def test_an_indonesian_number_in_the_text_in_e164(text: str, expected: str) -> None:
    assert phone_in_text(text) == expected
    # The way the rest of intake normalises a phone (duplicates, identity index).
    assert normalise_phone(expected) == expected


@pytest.mark.parametrize(
    "text",
    [
        "NIK saya 5371014101900001, KK 5371010101900001.",
        "Bantuan Rp 1.500.000 belum diterima sejak 12-08-2026.",
        "Tiket KPG-2026-000007, RT 003/RW 005, kode pos 85111.",
        "My number is +1 650 253 0000.",  # not Indonesian
        "",
    ],
)
def test_nothing_that_is_not_an_indonesian_phone(text: str) -> None:
    assert phone_in_text(text) is None


def test_only_the_first_number_and_never_an_offices_own() -> None:
    assert KUPANG_PHONE in OFFICES and "+6282147626662" in OFFICES
    text = (
        "Saya sudah menelepon 085239409087 tetapi tidak diangkat.\n"
        "Nomor HP saya 0812-0000-0014, atau istri saya 0812-0000-0015."
    )
    assert phone_in_text(text, not_these=OFFICES) == "+6281200000014"
    assert phone_in_text(text) == KUPANG_PHONE  # without the catalogue's numbers


def test_never_from_a_quoted_reply() -> None:
    quoted = (
        "Terima kasih, berikut data yang diminta.\n"
        "\n"
        "> Dinas Sosial Kota Kupang\n"
        "> HP petugas 0812-0000-0016\n"
    )
    assert own_lines(quoted) == ["Terima kasih, berikut data yang diminta.", ""]
    assert phone_in_text(quoted) is None
    for header in (
        "Pada Sen, 2 Nov 2026 pukul 09.00 Dinas Sosial <dinsos@kupangkota.go.id> menulis:",
        "On Mon, 2 Nov 2026 at 09:00, Dinas Sosial <dinsos@kupangkota.go.id> wrote:",
        "-----Original Message-----",
        "---------- Forwarded message ---------",
        "________________________________",
    ):
        text = f"Mohon ditindaklanjuti.\n{header}\nSilakan hubungi 0812-0000-0016."
        assert phone_in_text(text) is None, header
    # Above the quote, the sender's own number is taken.
    assert phone_in_text("HP saya 081200000017\n> HP 081200000016") == "+6281200000017"


def email(body: str, *, sender: str = "Warga Contoh <warga.contoh@example.org>") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "dinsos@kupangkota.go.id"
    msg["Subject"] = "Pengaduan bantuan sembako"
    msg["Message-ID"] = "<phone-1@example.org>"
    msg.set_content(body)
    return bytes(msg)


def test_the_email_door_sets_the_senders_phone() -> None:
    body = "Bantuan sembako keluarga kami berhenti.\nNo. HP: 0812-0000-0018\n\nWarga Contoh"
    item = parse_email(email(body), MAILBOXES, office_phones=OFFICES)
    sender = item.payload.sender
    assert (sender.email, sender.phone) == ("warga.contoh@example.org", "+6281200000018")
    assert item.payload.text == body  # the message itself is kept as it came
    # ... and it reaches the registration as the applicant's phone.
    found = classify(item.payload, Channel.EMAIL, CATALOGUE, external_id=item.external_id)
    assert isinstance(found, Classified)
    assert found.command.applicant.phone == "+6281200000018"
    assert found.command.applicant.email == "warga.contoh@example.org"


def test_no_phone_from_an_html_only_body_an_office_mailbox_or_the_office_signature() -> None:
    html = EmailMessage()
    html["From"] = "warga.contoh@example.org"
    html["To"] = "dinsos@kupangkota.go.id"
    html.set_content(
        "<p>Pengaduan</p><blockquote>HP petugas 0812-0000-0019</blockquote>", subtype="html"
    )
    assert parse_email(bytes(html), MAILBOXES, office_phones=OFFICES).payload.sender.phone is None

    from_office = email("HP 0812-0000-0020", sender="Dinas Sosial <dinsos@kupangkota.go.id>")
    assert parse_email(from_office, MAILBOXES, office_phones=OFFICES).payload.sender.phone is None

    signed = email("Mohon kabar.\n\n-- \nDinas Sosial Kota Kupang\nTelp. 085239409087")
    assert parse_email(signed, MAILBOXES, office_phones=OFFICES).payload.sender.phone is None

    plain = email("Mohon kabar, terima kasih.")
    assert parse_email(plain, MAILBOXES, office_phones=OFFICES).payload.sender.phone is None
