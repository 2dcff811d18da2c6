"""Issue 12, point 3: letters carry the registry's identity, over the five real processes.

A Pariaman DTKS certificate asked for on WhatsApp names the person as the registry lists
them for the NIK, not as the WhatsApp profile does; the public verification page shows
that name and a masked NIK, and nothing more. A Lumajang KKS letter to the bank carries
the full NIK and the KKS card number. All identities are synthetic.
"""

from __future__ import annotations

from typing import Any

import httpx
import pypdfium2 as pdfium
import pytest

from shared.contracts.vocab import Role
from shared.devstack import Stack
from tests.e2e.test_seeds import (
    add_to_dtks,
    bring_documents,
    decided,
    draft_until_created,
    meta_post,
    run_chain,
    timeline_has,
    whatsapp_body,
)
from tests.e2e.test_slices import h

pytestmark = pytest.mark.e2e

PARIAMAN_NIK = "1377014101900077"
PARIAMAN_KK = "1377010101100077"
PARIAMAN_PHONE = "6281200000777"
REGISTRY_NAME = "Rina Uji Pariaman"
PROFILE_NAME = "Rinaa Cantik"  # the WhatsApp profile: not the registry's name

LUMAJANG_NIK = "3508011203850077"
LUMAJANG_KK = "3508010101100077"
LUMAJANG_KKS = "5264221000000077"


def pdf_text(c: httpx.Client, stack: Stack, office: str, letter_id: str) -> str:
    r = c.get(
        f"{stack.url('documents')}/v1/letters/{letter_id}.pdf",
        headers=h(office, Role.FRONT_OFFICE),
    )
    assert r.status_code == 200 and r.content.startswith(b"%PDF"), r.status_code
    document = pdfium.PdfDocument(r.content)
    text = "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    return text.replace("\r", "")


def verification(c: httpx.Client, stack: Stack, letter_id: str, sha: str) -> tuple[str, Any]:
    """The public page (no token): its HTML, and its JSON."""
    url = f"{stack.url('documents')}/v1/verify/{letter_id}"
    html = c.get(url, params={"h": sha})
    assert html.status_code == 200, html.text
    assert html.headers["content-type"].startswith("text/html")
    data = c.get(url, params={"h": sha}, headers={"Accept": "application/json"})
    assert data.status_code == 200, data.text
    return html.text, data.json()


def test_whatsapp_certificate_names_the_registry_s_person_and_the_page_masks_the_nik(
    stack: Stack,
) -> None:
    office = "pariaman"
    with httpx.Client(timeout=10) as c:
        add_to_dtks(
            c,
            stack,
            office,
            {
                "nik": PARIAMAN_NIK,
                "kk_number": PARIAMAN_KK,
                "name": REGISTRY_NAME,
                "region_code": "13.77.01.1001",
                "address": "Jl. Contoh No. 77, Pariaman",
                "programmes": ["PKH"],
            },
        )
        inbound_id = meta_post(
            c,
            stack,
            "whatsapp",
            office,
            whatsapp_body(
                f"Mohon surat keterangan DTKS. NIK {PARIAMAN_NIK}", PARIAMAN_PHONE, PROFILE_NAME
            ),
        )
        row = decided(c, stack, office, inbound_id)
        assert row["status"] == "accepted", row
        case_id = row["case_id"]
        view = timeline_has(c, stack, case_id, office, "DtksVerified")
        assert (view["service"], view["channel"]) == ("dtks-certificate", "whatsapp")

        bring_documents(c, stack, case_id, office)
        letter = draft_until_created(
            c, stack, case_id, h(office, Role.BACK_OFFICE, staff="prm-back"), {}
        )
        # The draft already names the registry's person, NIK masked (a certificate).
        assert f"Nama           : {REGISTRY_NAME}" in letter["body"], letter["body"]
        assert PROFILE_NAME not in letter["body"]
        assert "1377********0077" in letter["body"] and PARIAMAN_NIK not in letter["body"]

        signed = run_chain(c, stack, office, letter["letter_id"], [], Role.HEAD_OF_OFFICE)
        assert signed["content"]["about"] == {
            "name": REGISTRY_NAME,
            "nik": "1377********0077",
            "basis": "registry",
        }
        printed = pdf_text(c, stack, office, letter["letter_id"])
        assert REGISTRY_NAME in printed, printed
        assert PROFILE_NAME not in printed and PARIAMAN_NIK not in printed

        html, data = verification(c, stack, letter["letter_id"], signed["content_sha256"])
        assert "Surat ASLI" in html
        assert REGISTRY_NAME in html
        assert "1377" + "\u2022" * 8 + "0077" in html
        assert signed["letter_number"] in html and "Surat Keterangan DTKS" in html
        for secret in (PARIAMAN_NIK, PARIAMAN_KK, PROFILE_NAME, PARIAMAN_PHONE, "Jl. Contoh"):
            assert secret not in html, secret
            assert secret not in str(data), secret
        assert data["letter"]["person"] == {
            "name": REGISTRY_NAME,
            "nik_masked": "1377********0077",
            "basis": "registry",
        }
        assert data["letter"]["number"] == signed["letter_number"]
        assert "body" not in data["letter"]


def test_lumajang_kks_letter_to_the_bank_carries_the_full_nik_and_card_number(
    stack: Stack,
) -> None:
    office = "lumajang"
    desk = h(office, Role.FRONT_OFFICE, staff="lmj-desk")
    with httpx.Client(timeout=10) as c:
        add_to_dtks(
            c,
            stack,
            office,
            {
                "nik": LUMAJANG_NIK,
                "kk_number": LUMAJANG_KK,
                "name": "Budi Uji Lumajang",
                "region_code": "35.08.01.2001",
                "programmes": ["BPNT"],
            },
        )
        r = c.post(
            f"{stack.url('intake')}/v1/requests",
            headers=desk,
            json={
                "office": office,
                "service": "kks-recommendation",
                "variant": "reset-pin",
                "channel": "walk_in",
                "applicant": {
                    "name": "Budi",
                    "nik": LUMAJANG_NIK,
                    "kks_number": "5264 2210 0000 0077",
                    "phone": "081200000777",
                },
                "description": "PIN KKS terblokir.",
            },
        )
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]
        timeline_has(c, stack, case_id, office, "DtksVerified")
        bring_documents(c, stack, case_id, office)
        officer = h(office, Role.OFFICER, staff="lmj-officer")
        letter = draft_until_created(c, stack, case_id, officer, {})
        signed = run_chain(
            c,
            stack,
            office,
            letter["letter_id"],
            [Role.SUB_COORDINATOR, Role.HEAD_OF_DIVISION],
            Role.SECRETARY,
        )
        body = signed["content"]["body"]
        assert "Nama           : Budi Uji Lumajang" in body, body
        assert f"NIK            : {LUMAJANG_NIK}" in body
        assert f"Nomor KK       : {LUMAJANG_KK}" in body
        assert f"Nomor KKS      : {LUMAJANG_KKS}" in body
        printed = pdf_text(c, stack, office, letter["letter_id"])
        assert LUMAJANG_NIK in printed and LUMAJANG_KKS in printed, printed

        # The public page never shows the full numbers, even of a letter that prints them.
        html, data = verification(c, stack, letter["letter_id"], signed["content_sha256"])
        assert "Budi Uji Lumajang" in html and "3508" + "\u2022" * 8 + "0077" in html
        for secret in (LUMAJANG_NIK, LUMAJANG_KK, LUMAJANG_KKS, "081200000777"):
            assert secret not in html, secret
            assert secret not in str(data), secret
