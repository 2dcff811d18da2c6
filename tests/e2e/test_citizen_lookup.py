"""Citizens look their request up (issue 14, points 3-5), over the real processes: the
five services and the public portal, started by the same launcher as `make up`.

- The status page: the right ticket + check code shows the status; a wrong code, another
  office's ticket, an unknown ticket are refused alike; 100 guesses in a minute are
  refused without telling which part was wrong, slowed down and logged.
- "status <ticket>" over WhatsApp (a signed webhook into intake) is answered to the same
  number; from another number, a neutral refusal.
- The answer is told with a signed one-time survey link; the link works once, the
  second time is refused, and the answers are in casework's IKM.
- Staff are told: the official a case was disposed to finds it in their inbox.

What the citizen is told is read through notifications' HTTP API (the `RecordingSender`
delivers nothing on this branch; the recorded text is what the channel carries).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.contracts.vocab import Role
from shared.devstack import Stack
from tests.e2e.test_seeds import (
    cw,
    decided,
    meta_post,
    timeline_has,
    wait_status,
    whatsapp_body,
)
from tests.e2e.test_slices import h, wait_for

pytestmark = pytest.mark.e2e

NOT_FOUND = "Nomor tiket dan kode cek tidak cocok dengan permohonan di kantor ini."
CHECK_CODE = re.compile(r"^[A-HJ-NP-Z2-9]{8}$")


def _wa_phone() -> str:
    """A fresh synthetic WhatsApp number (wa_id form)."""
    return "62812" + str(uuid.uuid4().int)[:8]


def messages_of(c: httpx.Client, stack: Stack, case_id: str, office: str) -> list[dict[str, Any]]:
    r = c.get(
        f"{stack.url('notifications')}/v1/cases/{case_id}/notifications",
        headers=h(office, Role.FRONT_OFFICE, staff=f"{office}-desk"),
    )
    if r.status_code == 404:
        return []
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["messages"]
    return found


def told(
    c: httpx.Client, stack: Stack, case_id: str, office: str, template: str, count: int = 1
) -> list[dict[str, Any]]:
    def check() -> list[dict[str, Any]] | None:
        found = [m for m in messages_of(c, stack, case_id, office) if m["template"] == template]
        # Kept as pending first; the delivery worker sends it a moment later.
        settled = [m for m in found if m["status"] != "pending"]
        return settled if len(settled) >= count else None

    result: list[dict[str, Any]] = wait_for(check, timeout=40, what=f"{template} of {case_id}")
    return result


def walk_in(c: httpx.Client, stack: Stack, office: str = "kupang") -> dict[str, Any]:
    r = c.post(
        f"{stack.url('intake')}/v1/requests",
        headers=h(office, Role.FRONT_OFFICE, staff=f"{office}-desk"),
        json={
            "office": office,
            "service": "public-complaint",
            "channel": "walk_in",
            "applicant": {"name": "Warga Cek Status", "phone": "0812" + str(uuid.uuid4().int)[:8]},
            "description": "Bantuan PKH belum diterima, mohon ditindaklanjuti.",
        },
    )
    assert r.status_code == 201, r.text
    receipt: dict[str, Any] = r.json()
    return receipt


def look_up(c: httpx.Client, stack: Stack, office: str, ticket: str, code: str) -> httpx.Response:
    return c.post(f"{stack.url('portal')}/{office}/status", data={"ticket": ticket, "code": code})


def _wrong(code: str) -> str:
    return ("A" if code[0] != "A" else "B") + code[1:]


def test_the_status_page_opens_with_ticket_and_code_and_refuses_every_wrong_alike(
    stack: Stack,
) -> None:
    with httpx.Client(timeout=20) as c:
        receipt = walk_in(c, stack)
        ticket, code, case_id = receipt["ticket_number"], receipt["check_code"], receipt["case_id"]
        # The receipt prints the check code; it is the citizen's alone.
        assert CHECK_CODE.match(code), receipt
        timeline_has(c, stack, case_id, "kupang", "ComplaintRegistered")

        # The first message gives it (staff reading the message see it masked) and where
        # the status page is.
        (first,) = told(c, stack, case_id, "kupang", "complaint_registered")
        assert code not in first["body"] and "********" in first["body"]
        assert f"{stack.url('portal')}/kupang/status" in first["body"]
        assert f'"status {ticket}"' in first["body"]

        form = c.get(f"{stack.url('portal')}/kupang/status")
        assert form.status_code == 200 and "Kode cek" in form.text
        # Server-rendered, nothing from elsewhere: no scripts, no outside assets.
        assert "<script" not in form.text and "src=" not in form.text
        assert 'href="http' not in form.text

        # The right pair: the status, the next step, the office's contact; no personal data.
        right = look_up(c, stack, "kupang", ticket.lower(), code.lower())
        assert right.status_code == 200, right.text
        assert ticket in right.text and "Status" in right.text
        assert "Langkah berikutnya" in right.text
        assert "085239409087" in right.text  # Kupang's published telephone
        assert "Warga Cek Status" not in right.text
        assert "no-store" in right.headers["cache-control"]

        # A wrong code, an unknown ticket, another office's page: one refusal, same page.
        wrong = look_up(c, stack, "kupang", ticket, _wrong(code))
        unknown = look_up(c, stack, "kupang", "KPN-2026-999999", code)
        other_office = look_up(c, stack, "lumajang", ticket, code)
        for refused in (wrong, unknown, other_office):
            assert refused.status_code == 404, refused.text
            assert NOT_FOUND in refused.text
            assert ticket not in refused.text and "Status permohonan" not in refused.text
        assert wrong.text == unknown.text  # nothing tells which part was wrong


def test_status_over_whatsapp_answers_the_own_number_and_refuses_another(stack: Stack) -> None:
    office, phone, stranger = "kupang", _wa_phone(), _wa_phone()
    with httpx.Client(timeout=20) as c:
        inbound = meta_post(
            c,
            stack,
            "whatsapp",
            office,
            whatsapp_body("Bantuan PKH kami belum cair, mohon bantuan.", phone, "Warga WA Cek"),
        )
        row = decided(c, stack, office, inbound)
        assert row["status"] == "accepted", row
        case_id = row["case_id"]
        (first,) = told(c, stack, case_id, office, "complaint_registered")
        ticket = re.search(r"[A-Z]{3}-\d{4}-\d{6}", first["body"])
        assert ticket is not None
        ticket_number = ticket.group(0)
        timeline_has(c, stack, case_id, office, "ComplaintRegistered")

        # From the citizen's own number: the status, through WhatsApp, to that number.
        asked = meta_post(
            c, stack, "whatsapp", office, whatsapp_body(f"status {ticket_number}", phone, "W")
        )
        assert decided(c, stack, office, asked)["reason"] == "status_request"
        (answer,) = told(c, stack, case_id, office, "status_answer")
        assert answer["channel"] == "whatsapp" and answer["status"] == "sent"
        assert answer["recipient"] == f"+628****{phone[-4:]}"  # the asking number, masked
        assert f"Status permohonan dengan nomor tiket {ticket_number}:" in answer["body"]
        assert "Informasi: Dinas Sosial Kota Kupang" in answer["body"]

        # From another number: a neutral refusal that names nothing about the case.
        other = meta_post(
            c, stack, "whatsapp", office, whatsapp_body(f"cek {ticket_number}", stranger, "X")
        )
        row = decided(c, stack, office, other)
        assert row["reason"] == "status_request" and row["case_id"] is None
        (refusal,) = told(c, stack, case_id, office, "status_refused")
        assert refusal["recipient"] == f"+628****{stranger[-4:]}"
        assert ticket_number not in refusal["body"]
        assert "tidak dapat memberikan informasi" in refusal["body"]
        # Neither became a case, nor a reply on the case.
        view = timeline_has(c, stack, case_id, office, "ComplaintRegistered")
        assert "ReplyReceived" not in [e["event_type"] for e in view["timeline"]]


def test_the_answer_carries_a_one_time_survey_link_and_staff_are_told(stack: Stack) -> None:
    office, phone = "kupang", _wa_phone()
    with httpx.Client(timeout=20) as c:
        inbound = meta_post(
            c,
            stack,
            "whatsapp",
            office,
            whatsapp_body("Bantuan sembako keluarga kami terhenti, mohon dicek.", phone, "Warga"),
        )
        case_id = decided(c, stack, office, inbound)["case_id"]
        timeline_has(c, stack, case_id, office, "ComplaintRegistered")
        head = h(office, Role.HEAD_OF_OFFICE, staff="kpg-kadis")
        cw(
            c,
            stack,
            case_id,
            "disposition",
            head,
            {"assignee": "kpg-kabid-ikm", "role": "head_of_division", "instruction": "Mohon."},
        )
        # Staff are told: the official disposed to finds it in their inbox.
        kabid = h(office, Role.HEAD_OF_DIVISION, staff="kpg-kabid-ikm")

        def notice() -> dict[str, Any] | None:
            r = c.get(f"{stack.url('notifications')}/v1/staff/inbox", headers=kabid)
            assert r.status_code == 200, r.text
            mine = [n for n in r.json()["notices"] if n["case_id"] == case_id]
            return mine[0] if mine else None

        found = wait_for(notice, timeout=40, what="the assignment in the Kabid's inbox")
        assert found["kind"] == "case_assigned" and found["to_me"]
        assert found["email_status"] == "no_address"
        assert "ditugaskan kepada Anda" in found["text"]

        cw(c, stack, case_id, "start", kabid, {})
        cw(c, stack, case_id, "answer", kabid, {"answer": "Bantuan dijadwalkan cair bulan depan."})
        wait_status(c, stack, case_id, office, "answered")
        (answered,) = told(c, stack, case_id, office, "case_answered")
        assert "Bantuan dijadwalkan cair bulan depan." in answered["body"]
        link = re.search(r"(http://\S+/survei\?t=\S+)\s", answered["body"])
        assert link is not None, answered["body"]
        url = link.group(1)

        form = c.get(url)
        assert form.status_code == 200 and "Survei Kepuasan Masyarakat" in form.text
        assert form.text.count('type="radio"') == 9 * 4
        token = url.split("t=", 1)[1]
        scores = {f"u{i}": str(3 + i % 2) for i in range(1, 10)}
        portal = stack.url("portal")
        first = c.post(f"{portal}/survei", data={"t": token, **scores})
        assert first.status_code == 201, first.text
        again = c.post(f"{portal}/survei", data={"t": token, **scores})
        assert again.status_code == 409 and "sudah diisi" in again.text
        forged = c.post(f"{portal}/survei", data={"t": token[:-3] + "AAA", **scores})
        assert forged.status_code == 404

        ikm = c.get(
            f"{stack.url('casework')}/v1/work/ikm",
            params={"service": "public-complaint"},
            headers=h(office, Role.ANALYST, staff="kpg-analis"),
        )
        assert ikm.status_code == 200, ikm.text
        assert ikm.json()["respondents"] >= 1 and ikm.json()["ikm"] is not None


def test_a_request_not_in_dtks_is_told_so_on_the_status_page(stack: Stack) -> None:
    """Mataram's Sembako complaints need a DTKS listing: a citizen who is not listed sees
    that on the status page (with what to do), not "Diterima", and the due time of a
    one-hour standard with its hour."""
    office = "mataram"
    with httpx.Client(timeout=20) as c:
        r = c.post(
            f"{stack.url('intake')}/v1/requests",
            headers=h(office, Role.FRONT_OFFICE, staff=f"{office}-desk"),
            json={
                "office": office,
                "service": "sembako-complaint",
                "variant": "pin-blocked",
                "channel": "walk_in",
                # A synthetic NIK of Kota Mataram that no registry extract lists.
                "applicant": {"name": "Warga Belum Terdaftar", "nik": "5271014101990099"},
                "description": "PIN KKS terblokir.",
            },
        )
        assert r.status_code == 201, r.text
        receipt = r.json()
        wait_status(c, stack, receipt["case_id"], office, "not_eligible")
        page = look_up(c, stack, office, receipt["ticket_number"], receipt["check_code"])
        assert page.status_code == 200, page.text
        assert "belum terdaftar dalam DTKS" in page.text
        assert "Diterima" not in page.text and "akan segera diperiksa" not in page.text
        assert re.search(r"pukul \d{2}\.\d{2} WITA", page.text), page.text


async def _guess(client: httpx.AsyncClient, url: str, ticket: str, n: int) -> httpx.Response:
    return await client.post(url, data={"ticket": ticket, "code": f"GUESS{n:03d}"})


def test_a_hundred_guesses_in_a_minute_are_refused_slowed_and_logged(stack: Stack) -> None:
    """Runs last in this file: it spends the local address's budget for a minute."""
    with httpx.Client(timeout=20) as c:
        receipt = walk_in(c, stack)
    ticket, code = receipt["ticket_number"], receipt["check_code"]
    url = f"{stack.url('portal')}/kupang/status"

    async def attack() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=60) as client:
            return list(await asyncio.gather(*(_guess(client, url, ticket, n) for n in range(100))))

    answers = asyncio.run(attack())
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {404, 429}, statuses
    assert statuses.count(429) >= 75, statuses  # over the budget: refused at once
    for a in answers:
        assert ticket not in a.text and "Status permohonan" not in a.text
        if a.status_code == 404:
            assert NOT_FOUND in a.text
        else:
            assert a.headers["retry-after"] == "60"
    # Over the budget even the right code waits: the limit is the address's, whatever
    # is sent, so it tells nothing either.
    with httpx.Client(timeout=20) as c:
        late = look_up(c, stack, "kupang", ticket, code)
    assert late.status_code == 429

    # Wrong codes are logged (failures counted, the delay growing), without the code or
    # the client's address.
    assert stack.log_dir is not None
    log = Path(stack.log_dir, "portal.log").read_text(errors="replace")
    refused = [line for line in log.splitlines() if "status_lookup_refused" in line]
    assert refused, "no refused lookup logged"
    delays = [float(m) for m in re.findall(r'"delay_seconds": ?([0-9.]+)', log)]
    assert max(delays) > min(delays)
    assert "GUESS0" not in log and code not in log and "127.0.0.1" not in "".join(refused)
