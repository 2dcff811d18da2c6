"""Issue 14's remaining gaps, over the real processes (the five services and the portal,
started as `make up` starts them; WhatsApp goes to the local Cloud API of the stack):

- the first message ("received") gives the due date in the office's calendar, as
  casework computed it, in Indonesian ("Senin, 7 Desember 2026"), in the message the
  delivery worker sent;
- casework's `POST /v1/surveys` is no door round the signed survey link: the ticket
  alone, or a forged link, is refused.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from shared.devstack import Stack
from tests.e2e.test_citizen_lookup import _wa_phone, told
from tests.e2e.test_seeds import decided, meta_post, whatsapp_body
from tests.e2e.test_slices import case_view, wait_for

pytestmark = pytest.mark.e2e

_DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_MONTHS = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]
KUPANG = ZoneInfo("Asia/Makassar")  # WITA


def in_indonesian(moment: datetime) -> str:
    on = moment.astimezone(KUPANG).date()
    return f"{_DAYS[on.weekday()]}, {on.day} {_MONTHS[on.month - 1]} {on.year}"


def test_the_received_message_gives_caseworks_due_date_and_the_survey_needs_its_link(
    stack: Stack,
) -> None:
    office, phone = "kupang", _wa_phone()
    with httpx.Client(timeout=20) as c:
        inbound = meta_post(
            c,
            stack,
            "whatsapp",
            office,
            whatsapp_body("Bantuan sembako kami belum diterima.", phone, "Warga Batas"),
        )
        row = decided(c, stack, office, inbound)
        assert row["status"] == "accepted", row
        case_id = row["case_id"]

        # Casework's due date for the case (its calendar: working days, holidays).
        def due() -> str | None:
            view = case_view(c, stack, case_id, office)
            return view.get("due_at")

        due_at = datetime.fromisoformat(wait_for(due, timeout=40, what="casework's due date"))
        expected = in_indonesian(due_at)

        def sent() -> dict[str, object] | None:
            (first,) = told(c, stack, case_id, office, "complaint_registered")
            return first if first["status"] == "sent" else None

        first = wait_for(sent, timeout=40, what="the first message sent")
        body = str(first["body"])
        assert f"Batas waktu penyelesaian (hari kerja kantor kami): {expected}." in body, body
        assert re.search(r"(Senin|Selasa|Rabu|Kamis|Jumat|Sabtu|Minggu), \d{1,2} \w+ 20\d\d", body)
        assert "[[" not in body
        assert first["channel"] == "whatsapp" and first["delivered_how"] in (
            "whatsapp_session",
            "whatsapp_template",
        )
        ticket = re.search(r"[A-Z]{3}-\d{4}-\d{6}", body)
        assert ticket is not None

        # Casework's survey door: the ticket alone, or a forged link, is refused (403),
        # before anything about the ticket is told.
        work = stack.url("casework")
        scores = {f"u{i}": 4 for i in range(1, 10)}
        bare = c.post(
            f"{work}/v1/surveys", json={"ticket_number": ticket.group(0), "scores": scores}
        )
        assert bare.status_code == 403, bare.text
        assert bare.json()["error"]["code"] == "survey_link_required"
        for forged in ("sembarang", "a2Vw.YW5n", ticket.group(0)):
            r = c.post(
                f"{work}/v1/surveys",
                json={"ticket_number": ticket.group(0), "scores": scores, "survey_link": forged},
            )
            assert r.status_code == 403, r.text
            assert r.json()["error"]["code"] == "survey_link_invalid"
