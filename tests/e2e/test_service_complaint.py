"""Lumajang's "Pengaduan Layanan" (seed 002: "c. Respon pengaduan paling lama 2x24 jam"),
over the real processes (the five services started as `make up` starts them, a real
broker and PostgreSQL).

A Facebook message that complains about the service (walk 13, defect 2) becomes a
`service-complaint` case by the catalogue's rules; a complaint no rule recognises is
classified so by the complaint officer at triage. Neither is asked for a NIK or checked in
DTKS, both read "2x24 jam", and the first is due two working days (office time) after the
message was received: Tuesday 14:08 WIB -> Thursday 14:08 WIB. The complaint officer
answers it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import httpx
import orjson
import pytest

from shared.contracts.vocab import Role
from shared.devstack import Stack
from tests.e2e.test_citizen_lookup import messages_of
from tests.e2e.test_seeds import cw, decided, meta_post, published_time, timeline_has, wait_status
from tests.e2e.test_slices import h, wait_for

pytestmark = pytest.mark.e2e

OFFICE = "lumajang"
WIB = ZoneInfo("Asia/Jakarta")
PAGE = "PAGE-LMJ-E2E"
OFFICER = h(OFFICE, Role.COMPLAINT_OFFICER, staff="lmj-pengaduan")


def a_past_tuesday() -> datetime:
    """14:08 WIB on a Tuesday at least a week ago whose Tuesday to Thursday are working
    days (no public holiday, no cuti bersama), so "two working days" is Thursday 14:08."""
    days_off = holidays.country_holidays("ID", categories=("public", "government"))
    today = datetime.now(WIB).date()
    tuesday: date = today - timedelta(days=(today.weekday() - 1) % 7 + 7)
    while any(tuesday + timedelta(days=n) in days_off for n in range(3)):
        tuesday -= timedelta(days=7)
    return datetime.combine(tuesday, time(14, 8), WIB)


def facebook_message(text: str, at: datetime) -> bytes:
    """A message to the office's Facebook page (Messenger), sent at `at`."""
    psid = f"PSID-{uuid.uuid4().hex[:10]}"
    return orjson.dumps(
        {
            "object": "page",
            "entry": [
                {
                    "id": PAGE,
                    "time": int(at.timestamp() * 1000),
                    "messaging": [
                        {
                            "sender": {"id": psid},
                            "recipient": {"id": PAGE},
                            "timestamp": int(at.timestamp() * 1000),
                            "message": {"mid": f"m_{uuid.uuid4().hex}", "text": text},
                        }
                    ],
                }
            ],
        }
    )


def deadline(c: httpx.Client, stack: Stack, case_id: str) -> dict[str, Any]:
    published_time(c, stack, case_id, OFFICE)  # waits until casework has the case
    r = c.get(f"{stack.url('casework')}/v1/cases/{case_id}/deadline", headers=OFFICER)
    assert r.status_code == 200, r.text
    found: dict[str, Any] = r.json()
    return found


def not_checked_in_dtks(c: httpx.Client, stack: Stack, case_id: str) -> None:
    """Eligibility decided there is nothing to check (no NIK asked, no DTKS look-up), and
    the citizen is told nothing about DTKS."""
    url = f"{stack.url('eligibility')}/v1/cases/{case_id}/eligibility"
    check: dict[str, Any] = wait_for(
        lambda: (r := c.get(url, headers=OFFICER)).status_code == 200 and r.json(),
        timeout=40,
        what=f"the eligibility check of {case_id}",
    )
    assert check["service"] == "service-complaint"
    assert check["dtks"]["status"] == "not_required", check
    assert check["domicile"]["status"] == "not_required", check
    assert check["events"] == [], check
    registered = wait_for(
        lambda: [
            m
            for m in messages_of(c, stack, case_id, OFFICE)
            if m["template"] == "complaint_registered"
        ],
        timeout=40,
        what=f"the first message of {case_id}",
    )
    body = str(registered[0]["body"])
    assert "Pengaduan atas Pelayanan" in body, body
    assert "2x24 jam" in body, body
    assert "DTKS" not in body and "NIK" not in body, body
    templates = {m["template"] for m in messages_of(c, stack, case_id, OFFICE)}
    assert not {"dtks_not_found", "documents_missing"} & templates, templates


def test_a_facebook_complaint_about_the_service_is_answered_within_2x24_jam(
    stack: Stack,
) -> None:
    sent_at = a_past_tuesday()
    text = "Pelayanan di kantor Dinsos lambat sekali, saya antre 3 jam. Mohon diperbaiki."
    with httpx.Client(timeout=10) as c:
        inbound_id = meta_post(c, stack, "facebook", OFFICE, facebook_message(text, sent_at))
        row = decided(c, stack, OFFICE, inbound_id)
        # The catalogue's rules recognise it: no triage, and not a KKS letter request.
        assert row["status"] == "accepted", row
        case_id = row["case_id"]
        view = timeline_has(c, stack, case_id, OFFICE, "ComplaintRegistered")
        assert (view["service"], view["variant"], view["channel"]) == (
            "service-complaint",
            "general",
            "facebook",
        ), view
        # The complaint officer's work (the procedure's first step).
        assert view["queue_role"] == "complaint_officer", view["queue_role"]

        clock = deadline(c, stack, case_id)
        assert clock["published_time"] == "2x24 jam", clock
        assert datetime.fromisoformat(clock["started_at"]) == sent_at, clock
        thursday = sent_at + timedelta(days=2)
        assert datetime.fromisoformat(clock["due_at"]) == thursday, clock

        not_checked_in_dtks(c, stack, case_id)

        # The complaint officer answers on behalf of the PPID officials, and closes it.
        cw(c, stack, case_id, "take-up", OFFICER, {"reason": "Pengaduan diterima."})
        cw(
            c,
            stack,
            case_id,
            "answer",
            OFFICER,
            {
                "answer": "Terima kasih atas masukan Anda. Kepala Dinas telah meminta loket "
                "pelayanan menambah petugas pada jam ramai."
            },
        )
        wait_status(c, stack, case_id, OFFICE, "answered")
        cw(c, stack, case_id, "close", OFFICER, {"reason": "Respon pengaduan disampaikan."})
        wait_status(c, stack, case_id, OFFICE, "closed")


def test_the_complaint_officer_classifies_a_complaint_at_triage(stack: Stack) -> None:
    # A word about the office and its staff, none of dissatisfaction: no rule matches.
    text = f"Kemarin saya ke kantor, ada masukan untuk petugas ({uuid.uuid4().hex[:6]})."
    with httpx.Client(timeout=10) as c:
        at = datetime.now(WIB).replace(microsecond=0)
        inbound_id = meta_post(c, stack, "facebook", OFFICE, facebook_message(text, at))
        row = decided(c, stack, OFFICE, inbound_id)
        assert row["status"] == "triage", row
        r = c.post(
            f"{stack.url('intake')}/v1/triage/{inbound_id}/classify",
            headers=OFFICER,
            json={"office": OFFICE, "service": "service-complaint"},
        )
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]
        view = timeline_has(c, stack, case_id, OFFICE, "ComplaintRegistered")
        assert (view["service"], view["variant"]) == ("service-complaint", "general"), view
        assert published_time(c, stack, case_id, OFFICE) == "2x24 jam"
        not_checked_in_dtks(c, stack, case_id)
