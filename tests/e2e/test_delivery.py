"""The citizen hears back through their own channel (issue 14, points 1 and 2), over the
five real service processes: e-mail really goes out over SMTP (to a sink this session
started, `mail_sink`), WhatsApp to a local Cloud API (`channel_providers`), and
WhatsApp's delivery statuses come back through intake's door as events on the case.
"""

from __future__ import annotations

import smtplib
import time
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from shared.contracts.vocab import Role
from shared.devstack import Stack
from tests.e2e.test_seeds import META_SECRET, decided, meta_post, timeline_has, whatsapp_body
from tests.e2e.test_slices import h, wait_for
from tests.meta_webhooks import meta_headers, whatsapp_webhook
from tests.providers import FakeProviders, SmtpSink

pytestmark = pytest.mark.e2e


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def notifications_of(c: httpx.Client, stack: Stack, case_id: str, office: str) -> list[Any]:
    r = c.get(
        f"{stack.url('notifications')}/v1/cases/{case_id}/notifications",
        headers=h(office, Role.FRONT_OFFICE, staff=f"{office}-desk"),
    )
    if r.status_code == 404:
        return []
    assert r.status_code == 200, r.text
    messages: list[Any] = r.json()["messages"]
    return messages


def test_an_email_complaint_gets_its_acknowledgement_by_smtp_threaded(
    stack: Stack, mail_sink: SmtpSink
) -> None:
    citizen = f"{_unique('warga')}@example.org"
    own_id = f"<{_unique('pengaduan')}@example.org>"
    mail = EmailMessage()
    mail["From"] = f"Warga Surel <{citizen}>"
    mail["To"] = "dinsos@kupangkota.go.id"
    mail["Subject"] = "Pengaduan bantuan sembako"
    mail["Message-ID"] = own_id
    mail.set_content("Bantuan sembako keluarga kami berhenti sejak bulan lalu. Mohon dicek.")
    assert stack.smtp_port is not None
    with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=10) as smtp:
        smtp.send_message(mail)

    (answer,) = wait_for(lambda: mail_sink.to(citizen), timeout=60, what="the acknowledgement")
    got = message_from_bytes(answer.raw, policy=policy.default)
    assert isinstance(got, EmailMessage)
    assert answer.mail_from == "dinsos@kupangkota.go.id"
    assert got["From"] == "Dinas Sosial Kota Kupang <dinsos@kupangkota.go.id>"
    assert got["In-Reply-To"] == own_id and got["References"] == own_id
    assert got.get_content_type() == "multipart/alternative"
    text = got.get_body(preferencelist=("plain",))
    assert text is not None
    ticket = str(got["Subject"]).split("]")[0].lstrip("[")
    assert ticket.startswith("KPN-") and ticket in text.get_content()
    assert "Pengaduan Anda telah kami terima" in text.get_content()  # a complaint

    # The case says so: delivered by SMTP, threaded to the citizen's own message.
    desk = h("kupang", Role.FRONT_OFFICE, staff="kpg-desk")
    with httpx.Client(timeout=10) as c:
        r = c.get(f"{stack.url('intake')}/v1/inbound", params={"limit": 500}, headers=desk)
        assert r.status_code == 200, r.text
        (kept,) = [i for i in r.json()["items"] if i["external_id"] == own_id]
        case_id = kept["case_id"]
        view = timeline_has(c, stack, case_id, "kupang", "NotificationDelivered")
        delivered = [e for e in view["timeline"] if e["event_type"] == "NotificationDelivered"]
        assert "smtp" in str(delivered[0])
        (message,) = notifications_of(c, stack, case_id, "kupang")
        assert (message["channel"], message["status"]) == ("email", "sent")
        assert message["delivered_how"] == "smtp"


def status_webhook(wamid: str, phone: str, *statuses: str) -> bytes:
    return whatsapp_webhook(
        {
            "metadata": {"phone_number_id": "e2e"},
            "statuses": [
                {
                    "id": wamid,
                    "status": status,
                    "timestamp": str(int(time.time()) + n),
                    "recipient_id": phone,
                }
                for n, status in enumerate(statuses)
            ],
        },
        account="WABA-E2E",
    )


def test_whatsapp_answers_go_out_and_their_statuses_come_back_on_the_case(
    stack: Stack, channel_providers: FakeProviders
) -> None:
    phone = "62812" + str(uuid.uuid4().int)[:8]
    with httpx.Client(timeout=10) as c:
        inbound_id = meta_post(
            c,
            stack,
            "whatsapp",
            "kupang",
            whatsapp_body("Bantuan sembako kami berhenti, mohon dibantu.", phone, "Warga Uji"),
        )
        row = decided(c, stack, "kupang", inbound_id)
        case_id = row["case_id"]
        assert case_id, row

        def sent() -> list[Any]:
            return [h for h in channel_providers.accepted("whatsapp") if h.body["to"] == phone]

        (hit,) = wait_for(sent, timeout=60, what="the acknowledgement at the Cloud API")
        # The citizen wrote a minute ago: inside the 24-hour window, a session message.
        assert hit.body["type"] == "text" and "KPN-" in hit.body["text"]["body"]
        wamid = hit.answer["messages"][0]["id"]

        def recorded() -> list[Any]:
            told = notifications_of(c, stack, case_id, "kupang")
            return [m for m in told if m["status"] == "sent"]

        (message,) = wait_for(recorded, what="the message recorded as sent")
        assert message["delivered_how"] == "whatsapp_session"
        timeline_has(c, stack, case_id, "kupang", "NotificationDelivered")

        # Meta reports delivered, then read, through intake's WhatsApp door (signed).
        body = status_webhook(wamid, phone, "delivered", "read")
        r = c.post(
            f"{stack.url('intake')}/v1/channels/whatsapp/kupang",
            content=body,
            headers=meta_headers(body, META_SECRET),
        )
        assert r.status_code == 202, r.text
        timeline_has(c, stack, case_id, "kupang", "NotificationStatusReported")
        wait_for(
            lambda: notifications_of(c, stack, case_id, "kupang")[0]["provider_status"] == "read",
            what="read folded onto the notification",
        )
