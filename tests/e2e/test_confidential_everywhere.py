"""Confidential and anonymous reports are honoured at every door and by every API that
answers with a name, NIK or KK number (issue 16, point 5), over the real processes.

Each door (the desk's `POST /v1/requests`, the website form, the call log, the letter
scan, e-mail by SMTP, WhatsApp, an outside adapter on Kafka, SP4N-LAPOR!) keeps the flag on
the raw message, so the front office reads it hidden and the complaint officer reads it
whole. A confidential desk request's case is then read through casework, eligibility and
documents by a front-office colleague (masked) and by the complaint officer or the
letter's chain (in full): one rule, `shared.reporter`.
"""

from __future__ import annotations

import hashlib
import hmac
import smtplib
import uuid
from email.message import EmailMessage
from typing import Any

import httpx
import orjson
import pytest

from shared.contracts.vocab import Role
from shared.devstack import Stack
from shared.reporter import MASKED
from tests.e2e.test_seeds import (
    LAPOR_SECRET,
    add_to_dtks,
    bring_documents,
    draft_until_created,
    meta_post,
    timeline_has,
    whatsapp_body,
)
from tests.e2e.test_slices import h, wait_for
from tests.outside_kafka import adapter_message, publish_adapter_message

pytestmark = pytest.mark.e2e

OFFICE = "lumajang"
MAILBOX = "dinsos@lumajangkab.go.id"
# Synthetic: structurally valid for Kabupaten Lumajang (35.08.01), invented people.
NIK = "3508010303800161"
KK = "3508010101100161"
NAME = "Warga Rahasia Uji"

DESK = h(OFFICE, Role.FRONT_OFFICE, staff="lmj-desk-conf")
COMPLAINTS = h(OFFICE, Role.COMPLAINT_OFFICER, staff="lmj-pengaduan-conf")
ADMIN = h(OFFICE, Role.ADMIN, staff="lmj-admin-conf")
JSON = {"Content-Type": "application/json"}


def _uid() -> str:
    return uuid.uuid4().hex[:10]


def _kept(c: httpx.Client, stack: Stack, inbound_id: str, who: dict[str, str]) -> dict[str, Any]:
    r = c.get(f"{stack.url('intake')}/v1/inbound/{inbound_id}", headers=who)
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def _by_external_id(c: httpx.Client, stack: Stack, external_id: str) -> str:
    def find() -> str | None:
        r = c.get(f"{stack.url('intake')}/v1/inbound", params={"limit": 500}, headers=COMPLAINTS)
        assert r.status_code == 200, r.text
        for m in r.json()["items"]:
            if m["external_id"] and external_id in m["external_id"]:
                return str(m["id"])
        return None

    found: str = wait_for(find, timeout=40, what=f"inbound {external_id}")
    return found


def assert_guarded(c: httpx.Client, stack: Stack, inbound_id: str, *, anonymous: bool) -> None:
    """The raw message is flagged; the front office reads it hidden, and the complaint
    officer (confidential) or only an administrator (anonymous) reads it whole."""
    seen = _kept(c, stack, inbound_id, DESK)
    flag = "anonymous" if anonymous else "confidential"
    assert seen[flag] is True, seen
    assert seen["body_hidden"] == flag
    assert "body_text" not in seen and "body_base64" not in seen
    whole = _kept(c, stack, inbound_id, ADMIN if anonymous else COMPLAINTS)
    assert "body_text" in whole and "body_hidden" not in whole
    if anonymous:
        assert _kept(c, stack, inbound_id, COMPLAINTS)["body_hidden"] == "anonymous"


def _desk_request(c: httpx.Client, stack: Stack, **flags: bool) -> dict[str, Any]:
    r = c.post(
        f"{stack.url('intake')}/v1/requests",
        headers=DESK,
        json={
            "office": OFFICE,
            "service": "kks-recommendation",
            "variant": "reset-pin",
            "channel": "walk_in",
            "applicant": {"name": NAME, "nik": NIK, "phone": "0812" + str(uuid.uuid4().int)[:8]},
            "description": "PIN KKS terblokir, mohon surat rekomendasi (data uji).",
            **flags,
        },
    )
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


def test_a_confidential_desk_request_is_masked_by_every_api(stack: Stack) -> None:
    with httpx.Client(timeout=15) as c:
        add_to_dtks(
            c,
            stack,
            OFFICE,
            {"nik": NIK, "kk_number": KK, "name": NAME, "region_code": "35.08.01.2001"},
        )
        registered = _desk_request(c, stack, confidential=True)
        case_id = registered["case_id"]

        # intake: the raw message.
        assert_guarded(c, stack, registered["inbound_id"], anonymous=False)

        # casework: the case file names nobody for the front office.
        timeline_has(c, stack, case_id, OFFICE, "ComplaintRegistered", "DtksVerified")
        cw = stack.url("casework")
        masked = c.get(f"{cw}/v1/cases/{case_id}", headers=DESK).json()
        assert masked["applicant_name"] is None, masked
        assert NIK not in str(masked) and NAME not in str(masked)
        whole = c.get(f"{cw}/v1/cases/{case_id}", headers=COMPLAINTS).json()
        assert whole["applicant_name"] == NAME

        # eligibility: the registry's answer (NIK, KK, name) is masked likewise.
        el = f"{stack.url('eligibility')}/v1/cases/{case_id}/eligibility"
        r = c.get(el, headers=DESK)
        assert r.status_code == 200, r.text
        check = r.json()
        assert check["identity_hidden"] is True
        assert check["dtks"]["status"] == "verified"
        assert check["dtks"]["result"]["nik"] == MASKED
        assert NIK not in r.text and KK not in r.text and NAME not in r.text
        r = c.get(el, headers=COMPLAINTS)
        assert r.json()["dtks"]["result"]["nik"] == NIK and "identity_hidden" not in r.json()

        # documents: the letter is read whole by its chain, masked by the front office,
        # and its PDF is not handed to the front office at all.
        bring_documents(c, stack, case_id, OFFICE)
        officer = h(OFFICE, Role.OFFICER, staff="lmj-officer-conf")
        letter = draft_until_created(c, stack, case_id, officer, {})
        url = f"{stack.url('documents')}/v1/letters/{letter['letter_id']}"
        for_desk = c.get(url, headers=DESK).json()
        assert for_desk["identity_hidden"] is True and for_desk["body"] == MASKED
        assert NAME not in orjson.dumps(for_desk).decode()
        listed = c.get(f"{stack.url('documents')}/v1/cases/{case_id}/letters", headers=DESK).json()[
            "letters"
        ]
        assert all(x["identity_hidden"] for x in listed)
        for_chain = c.get(url, headers=h(OFFICE, Role.SUB_COORDINATOR, staff="lmj-sub-c"))
        assert "identity_hidden" not in for_chain.json(), for_chain.text
        assert c.get(url, headers=officer).json()["body"] == letter["body"]


def test_an_ordinary_desk_request_stays_readable(stack: Stack) -> None:
    with httpx.Client(timeout=15) as c:
        registered = _desk_request(c, stack)
        seen = _kept(c, stack, registered["inbound_id"], DESK)
        assert seen["confidential"] is False and "body_text" in seen


def test_an_anonymous_desk_request_is_for_an_administrator_only(stack: Stack) -> None:
    with httpx.Client(timeout=15) as c:
        registered = _desk_request(c, stack, anonymous=True)
        assert_guarded(c, stack, registered["inbound_id"], anonymous=True)


def test_a_refused_confidential_request_keeps_its_flag(stack: Stack) -> None:
    with httpx.Client(timeout=15) as c:
        r = c.post(
            f"{stack.url('intake')}/v1/requests",
            headers=DESK,
            json={
                "office": OFFICE,
                "service": "no-such-service",
                "channel": "walk_in",
                "applicant": {"name": NAME, "nik": NIK},
                "confidential": True,
            },
        )
        assert r.status_code == 422, r.text
        inbound_id = r.json()["error"]["details"]["inbound_id"]
        assert_guarded(c, stack, inbound_id, anonymous=False)


def test_the_website_form_call_log_and_letter_doors_carry_the_flags(stack: Stack) -> None:
    intake = stack.url("intake")
    person = {"name": NAME, "phone": "081299990161"}
    with httpx.Client(timeout=15) as c:
        r = c.post(
            f"{intake}/v1/channels/website/{OFFICE}",
            json={"person": person, "message": "Mohon bantuan (uji).", "confidential": True},
        )
        assert r.status_code == 202, r.text
        assert_guarded(c, stack, r.json()["inbound_ids"][0], anonymous=False)

        for flags, anonymous in (({"confidential": True}, False), ({"anonymous": True}, True)):
            r = c.post(
                f"{intake}/v1/channels/telephone",
                headers=DESK,
                json={"office": OFFICE, "caller": person, "notes": "Penelpon uji.", **flags},
            )
            assert r.status_code == 202, r.text
            assert_guarded(c, stack, r.json()["inbound_ids"][0], anonymous=anonymous)

        details = {
            "office": OFFICE,
            "letter_number": f"005/{_uid()}/XI/2026",
            "sender": person,
            "summary": "Surat pengaduan (data uji).",
            "confidential": True,
        }
        pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
        r = c.post(
            f"{intake}/v1/channels/letter",
            data={"details": orjson.dumps(details).decode()},
            files={"scan": ("surat.pdf", pdf, "application/pdf")},
            headers=DESK,
        )
        assert r.status_code == 202, r.text
        assert_guarded(c, stack, r.json()["inbound_ids"][0], anonymous=False)


def test_lapor_whatsapp_email_and_adapter_doors_carry_the_flag(stack: Stack) -> None:
    intake = stack.url("intake")
    with httpx.Client(timeout=15) as c:
        # SP4N-LAPOR!: its own field.
        body = orjson.dumps(
            {
                "tracking_id": f"LPR-{_uid()}",
                "content": "Bantuan belum diterima (uji).",
                "is_confidential": True,
                "reporter": {"name": NAME, "nik": NIK},
            }
        )
        sig = hmac.new(LAPOR_SECRET.encode(), body, hashlib.sha256).hexdigest()
        r = c.post(
            f"{intake}/v1/channels/lapor/{OFFICE}",
            content=body,
            headers={"X-Lapor-Signature": f"sha256={sig}", **JSON},
        )
        assert r.status_code == 202, r.text
        assert_guarded(c, stack, r.json()["inbound_ids"][0], anonymous=False)

        # WhatsApp: no field, so the word RAHASIA first marks it.
        wa = whatsapp_body("RAHASIA: kepala desa memotong bantuan saya", "6281299990162", NAME)
        assert_guarded(c, stack, meta_post(c, stack, "whatsapp", OFFICE, wa), anonymous=False)

        # E-mail: RAHASIA in the subject.
        ref = _uid()
        mail = EmailMessage()
        mail["From"] = f"{NAME} <warga.rahasia.{ref}@example.org>"
        mail["To"] = MAILBOX
        mail["Subject"] = "[RAHASIA] Pungutan liar"
        mail["Message-ID"] = f"<{ref}@example.org>"
        mail.set_content("Saya melaporkan pungutan (data uji).")
        assert stack.smtp_port is not None
        with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=15) as smtp:
            assert smtp.send_message(mail) == {}
        assert_guarded(c, stack, _by_external_id(c, stack, ref), anonymous=False)

        # An outside adapter on Kafka: the schema's own fields.
        bootstrap = stack.infra.kafka_bootstrap_servers
        assert bootstrap
        for flag in ("confidential", "anonymous"):
            message = adapter_message(OFFICE, "Laporan lewat adaptor (uji).")
            message[flag] = True
            publish_adapter_message(bootstrap, "e2e.", message)
            inbound_id = _by_external_id(c, stack, message["external_id"])
            assert_guarded(c, stack, inbound_id, anonymous=flag == "anonymous")
