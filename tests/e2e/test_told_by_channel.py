"""What the citizen is told follows the channel they used (issue 12, point 4), and
refusals, forwarding and merges are told with what happens next (finding 6), over the
five real service processes.

Each test reads what was recorded for the citizen through the notifications HTTP API
(`GET /v1/cases/{id}/notifications`): the `RecordingSender` delivers nothing, but what it
records is the text the channel would carry. The download link in a message is followed
as the citizen would, on documents' public route.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from shared.contracts.vocab import Role
from shared.devstack import Stack
from tests.e2e.test_seeds import (
    add_to_dtks,
    bring_documents,
    cw,
    decided,
    draft_until_created,
    issue,
    meta_post,
    run_chain,
    timeline_has,
    whatsapp_body,
)
from tests.e2e.test_slices import h, wait_for

pytestmark = pytest.mark.e2e

# Synthetic people of these tests only (structurally valid NIKs, invented names).
PARIAMAN_WA_NIK = "1377014101900081"  # Kota Pariaman 13.77.01, a woman born 01-01-1990
PARIAMAN_WA_KK = "1377010101100081"
PARIAMAN_DESK_NIK = "1377014101900082"
PARIAMAN_DESK_KK = "1377010101100082"
LUMAJANG_RESIDENT_NIK = "3508010202850083"  # lives in Kabupaten Lumajang (35.08)

COME_IN = ("datang ke", "ambil di kantor", "KTP asli")


def _phone() -> str:
    """A fresh synthetic number, so no other test's case looks like a duplicate."""
    return "0812" + str(uuid.uuid4().int)[:8]


def told(c: httpx.Client, stack: Stack, case_id: str, office: str, template: str) -> dict[str, Any]:
    """The case's message of `template`, once notifications has recorded it."""
    staff = h(office, Role.FRONT_OFFICE, staff=f"{office}-desk")

    def check() -> dict[str, Any] | None:
        r = c.get(f"{stack.url('notifications')}/v1/cases/{case_id}/notifications", headers=staff)
        if r.status_code == 404:
            return None
        assert r.status_code == 200, r.text
        found = [m for m in r.json()["messages"] if m["template"] == template]
        # Kept as pending first; the delivery worker sends it a moment later.
        return found[0] if found and found[0]["status"] != "pending" else None

    message: dict[str, Any] = wait_for(check, timeout=40, what=f"{template} for {case_id}")
    return message


def templates_of(c: httpx.Client, stack: Stack, case_id: str, office: str) -> list[str]:
    r = c.get(
        f"{stack.url('notifications')}/v1/cases/{case_id}/notifications",
        headers=h(office, Role.FRONT_OFFICE),
    )
    assert r.status_code == 200, r.text
    return [m["template"] for m in r.json()["messages"]]


def certificate_signed(c: httpx.Client, stack: Stack, case_id: str) -> dict[str, Any]:
    """Pariaman's chain for the DTKS certificate: documents, draft, the head signs."""
    office = "pariaman"
    timeline_has(c, stack, case_id, office, "DtksVerified")
    bring_documents(c, stack, case_id, office)
    letter = draft_until_created(
        c, stack, case_id, h(office, Role.BACK_OFFICE, staff="prm-back"), {}
    )
    signed = run_chain(c, stack, office, letter["letter_id"], [], Role.HEAD_OF_OFFICE)
    assert signed["letter_number"]
    return signed


def test_a_whatsapp_certificate_comes_as_a_one_time_link(stack: Stack) -> None:
    office = "pariaman"
    with httpx.Client(timeout=10) as c:
        add_to_dtks(
            c,
            stack,
            office,
            {
                "nik": PARIAMAN_WA_NIK,
                "kk_number": PARIAMAN_WA_KK,
                "name": "Warga Uji Tautan",
                "region_code": "13.77.01.1001",
            },
        )
        inbound_id = meta_post(
            c,
            stack,
            "whatsapp",
            office,
            whatsapp_body(
                f"Mohon surat keterangan DTKS. NIK {PARIAMAN_WA_NIK}",
                "62" + _phone()[1:],
                "Warga Uji",
            ),
        )
        row = decided(c, stack, office, inbound_id)
        assert row["status"] == "accepted", row
        case_id = row["case_id"]
        signed = certificate_signed(c, stack, case_id)
        letter_id = signed["letter_id"]

        message = told(c, stack, case_id, office, "letter_online")
        body = message["body"]
        assert message["channel"] == "whatsapp" and message["status"] == "sent", message
        assert signed["letter_number"] in body and "satu kali" in body
        assert not any(words in body for words in COME_IN), body
        (link,) = re.findall(r"https?://\S+/download\?code=[\w-]+", body)
        assert link.startswith(f"{stack.url('documents')}/v1/letters/{letter_id}/download?")

        # The link serves the signed PDF once, to anyone holding it (no sign-in)...
        first = c.get(link)
        assert first.status_code == 200, first.text
        assert first.headers["content-type"] == "application/pdf"
        assert first.content.startswith(b"%PDF")
        assert first.headers["x-content-sha256"] == signed["content_sha256"]
        # ... and refuses it the second time with a clear page in Bahasa Indonesia.
        second = c.get(link)
        assert second.status_code == 410, second.text
        assert "text/html" in second.headers["content-type"]
        assert "Tautan sudah digunakan" in second.text and "satu kali" in second.text
        as_json = c.get(link, headers={"Accept": "application/json"})
        assert as_json.status_code == 410
        assert as_json.json()["error"]["code"] == "download_link_used"
        # A code changed by one character is no code at all, and says nothing of the letter.
        forged = link[:-1] + ("A" if not link.endswith("A") else "B")
        wrong = c.get(forged, headers={"Accept": "application/json"})
        assert wrong.status_code == 404, wrong.text
        assert wrong.json()["error"]["code"] == "download_link_invalid"
        assert signed["letter_number"] not in wrong.text

        # Recording the hand-over on WhatsApp sends no second letter message.
        issue(c, stack, office, letter_id, "whatsapp")
        timeline_has(c, stack, case_id, office, "LetterSigned", "CaseResolved")
        assert templates_of(c, stack, case_id, office).count("letter_online") == 1


def test_a_walk_in_collects_the_letter_at_the_office(stack: Stack) -> None:
    office = "pariaman"
    desk = h(office, Role.FRONT_OFFICE, staff="prm-desk")
    with httpx.Client(timeout=10) as c:
        add_to_dtks(
            c,
            stack,
            office,
            {
                "nik": PARIAMAN_DESK_NIK,
                "kk_number": PARIAMAN_DESK_KK,
                "name": "Warga Uji Loket",
                "region_code": "13.77.01.1001",
            },
        )
        r = c.post(
            f"{stack.url('intake')}/v1/requests",
            headers=desk,
            json={
                "office": office,
                "service": "dtks-certificate",
                "variant": "certificate",
                "channel": "walk_in",
                "applicant": {
                    "name": "Warga Uji Loket",
                    "nik": PARIAMAN_DESK_NIK,
                    "phone": _phone(),
                },
                "description": "Surat keterangan DTKS (data uji).",
            },
        )
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]
        signed = certificate_signed(c, stack, case_id)

        body = told(c, stack, case_id, office, "letter_signed")["body"]
        assert signed["letter_number"] in body
        assert "ambil di kantor Dinas Sosial Kota Pariaman" in body and "KTP asli" in body
        assert "download" not in body


def test_a_mataram_lk3_non_resident_is_told_the_refusal_and_where_to_go(stack: Stack) -> None:
    office = "mataram"
    desk = h(office, Role.FRONT_OFFICE, staff="mtr-desk")
    with httpx.Client(timeout=10) as c:
        r = c.post(
            f"{stack.url('intake')}/v1/requests",
            headers=desk,
            json={
                "office": office,
                "service": "lk3-consultation",
                "channel": "walk_in",
                "applicant": {
                    "name": "Warga Uji Luar Kota",
                    "nik": LUMAJANG_RESIDENT_NIK,
                    "phone": _phone(),
                },
                "description": "Konsultasi keluarga (data uji).",
            },
        )
        assert r.status_code == 201, r.text
        case_id, ticket = r.json()["case_id"], r.json()["ticket_number"]
        timeline_has(c, stack, case_id, office, "DomicileRefused")

        body = told(c, stack, case_id, office, "domicile_refused")["body"]
        assert ticket in body
        # Why: the service is for residents of Kota Mataram; the NIK says elsewhere.
        assert "hanya melayani warga yang berdomisili di Kota Mataram" in body
        assert "Menurut NIK Anda, Anda berdomisili di luar Kota Mataram" in body
        # Where to go instead: the office of the region the NIK names, from the catalogue.
        assert "Kabupaten Lumajang" in body
        # And what to do if they do live in Mataram (a walk-in: bring the proof).
        assert "surat keterangan domisili dari kelurahan" in body
        registered = told(c, stack, case_id, office, "complaint_registered")
        assert registered["body"] != body


def test_a_forwarded_case_is_told_to_whom(stack: Stack) -> None:
    office = "kupang"
    with httpx.Client(timeout=10) as c:
        inbound_id = meta_post(
            c,
            stack,
            "whatsapp",
            office,
            whatsapp_body(
                "Bantuan PKH kami terhenti karena data e-KTP salah, mohon bantuan.",
                "62" + _phone()[1:],
                "Warga Uji Teruskan",
            ),
        )
        row = decided(c, stack, office, inbound_id)
        assert row["status"] == "accepted", row
        case_id = row["case_id"]
        timeline_has(c, stack, case_id, office, "ComplaintRegistered")
        cw(
            c,
            stack,
            case_id,
            "forward",
            h(office, Role.HEAD_OF_OFFICE, staff="kpg-kadis"),
            {"forwarded_to": "dinas-kependudukan", "reason": "Perbaikan data e-KTP (uji)."},
        )
        message = told(c, stack, case_id, office, "case_forwarded")
        body = message["body"]
        assert message["channel"] == "whatsapp"
        assert "telah kami teruskan kepada Dinas Kependudukan" in body
        assert "bukan kewenangan" in body and "dapat Anda tanyakan kepada" in body
        assert "(uji)" not in body  # the staff's reason is not the citizen's message


def test_a_confirmed_duplicate_is_told_which_ticket_continues(stack: Stack) -> None:
    office = "kupang"
    desk = h(office, Role.FRONT_OFFICE, Role.RECEPTIONIST, staff="kpg-desk")
    phone = _phone()
    with httpx.Client(timeout=10) as c:
        tickets: list[tuple[str, str]] = []
        for n in (1, 2):
            r = c.post(
                f"{stack.url('intake')}/v1/requests",
                headers=desk,
                json={
                    "office": office,
                    "service": "public-complaint",
                    "channel": "walk_in",
                    "applicant": {"name": "Warga Uji Ganda", "phone": phone},
                    "description": f"Bantuan sembako belum diterima (laporan ke-{n}).",
                },
            )
            assert r.status_code == 201, r.text
            tickets.append((r.json()["case_id"], r.json()["ticket_number"]))
        (first_id, first_ticket), (second_id, second_ticket) = tickets

        def suspected() -> bool:
            r = c.get(f"{stack.url('intake')}/v1/duplicates", headers=desk)
            assert r.status_code == 200, r.text
            return any(d["case_id"] == second_id for d in r.json()["items"])

        wait_for(suspected, what="the second report linked as a likely duplicate")
        r = c.post(f"{stack.url('intake')}/v1/cases/{second_id}/duplicate/confirm", headers=desk)
        assert r.status_code == 200, r.text
        timeline_has(c, stack, second_id, office, "CaseMerged")

        body = told(c, stack, second_id, office, "case_merged")["body"]
        assert f"Penanganan dilanjutkan dengan nomor tiket {first_ticket}" in body
        assert f"Nomor tiket {second_ticket} tidak digunakan lagi" in body
        # The same person at the same number: one message about the merge, not two.
        timeline_has(c, stack, first_id, office, "DuplicateMerged")
        assert "duplicate_merged" not in templates_of(c, stack, first_id, office)
