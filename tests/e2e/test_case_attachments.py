"""Issue 12, point 5: the files citizens send are documents of the case, over the real
processes.

- An e-mail sent with a real SMTP client to intake's SMTP port, with a PDF police loss
  report attached, answering a walk-in case by its ticket number: staff list it on the
  case (documents), download it (bytes and SHA-256 equal), and accept it as
  `police_loss_report` in one call; the checklist then shows it received.
- A WhatsApp message with an image media id: intake's media worker fetches it from a local
  server speaking the Graph API's media shapes (with the app's token), and the case lists
  it with the right SHA-256. A media id the provider does not know is listed as not
  fetched, with the reason: never dropped.
"""

from __future__ import annotations

import hashlib
import smtplib
import uuid
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from shared.contracts.vocab import Role
from shared.devstack import Stack
from tests.e2e.test_slices import h, wait_for
from tests.fake_graph import PNG_1PX, FakeGraph, small_pdf
from tests.meta_webhooks import contact, image_message, meta_headers, whatsapp_webhook

pytestmark = pytest.mark.e2e

META_SECRET = "dev-meta-app-secret"
MATARAM_MAILBOX = "dinassosialmtrm@gmail.com"
NIK = "5271014101900091"  # synthetic


def attachments_of(
    c: httpx.Client, stack: Stack, case_id: str, office: str, n: int
) -> list[dict[str, Any]]:
    desk = h(office, Role.FRONT_OFFICE, staff=f"{office}-desk")

    def check() -> list[dict[str, Any]] | None:
        r = c.get(f"{stack.url('documents')}/v1/cases/{case_id}/attachments", headers=desk)
        if r.status_code != 200:
            return None
        found: list[dict[str, Any]] = r.json()["attachments"]
        return found if len(found) >= n else None

    listed: list[dict[str, Any]] = wait_for(check, timeout=40, what="case attachments")
    return listed


def test_emailed_police_report_becomes_a_checklist_document(stack: Stack) -> None:
    office = "mataram"
    desk = h(office, Role.FRONT_OFFICE, staff="mtr-desk-att")
    docs = stack.url("documents")
    with httpx.Client(timeout=15) as c:
        r = c.post(
            f"{stack.url('intake')}/v1/requests",
            headers=desk,
            json={
                "office": office,
                "service": "sembako-complaint",
                "variant": "lost-card",
                "channel": "walk_in",
                "applicant": {"name": "Warga Lampiran Contoh", "nik": NIK},
                "description": "KKS hilang; surat kehilangan dari Polsek menyusul lewat e-mail.",
            },
        )
        assert r.status_code == 201, r.text
        case_id, ticket = r.json()["case_id"], r.json()["ticket_number"]
        checklist = wait_for(
            lambda: (
                (x := c.get(f"{docs}/v1/cases/{case_id}/checklist", headers=desk)).status_code
                == 200
                and x.json()
            ),
            what="checklist",
        )
        police = next(d for d in checklist["required"] if d["type"] == "police_loss_report")
        assert police["received"] is False

        # The citizen e-mails the police's loss report, naming the ticket.
        report = small_pdf("Surat Tanda Penerimaan Laporan Kehilangan (contoh sintetis)")
        digest = hashlib.sha256(report).hexdigest()
        mail = EmailMessage()
        mail["From"] = "Warga Lampiran <warga.lampiran@example.org>"
        mail["To"] = MATARAM_MAILBOX
        mail["Subject"] = f"Surat kehilangan untuk tiket {ticket}"
        mail["Message-ID"] = f"<{uuid.uuid4().hex}@example.org>"
        mail.set_content("Terlampir surat keterangan hilang dari Polsek.")
        mail.add_attachment(
            report, maintype="application", subtype="pdf", filename="surat-kehilangan.pdf"
        )
        assert stack.smtp_port is not None
        with smtplib.SMTP("127.0.0.1", stack.smtp_port, timeout=15) as smtp:
            refused = smtp.send_message(mail)
        assert refused == {}

        # Staff see it on the case, as documents lists it.
        (listed,) = attachments_of(c, stack, case_id, office, 1)
        assert listed["file_name"] == "surat-kehilangan.pdf"
        assert listed["media_type"] == "application/pdf"
        assert listed["sha256"] == digest
        assert listed["size_bytes"] == len(report)
        assert listed["channel"] == "email"
        assert listed["status"] == "received"
        assert listed["accepted"] is None
        attachment_id = listed["attachment_id"]

        # They download it: the very bytes, with the checksum listed.
        got = c.get(f"{docs}/v1/cases/{case_id}/attachments/{attachment_id}", headers=desk)
        assert got.status_code == 200, got.text
        assert got.content == report
        assert got.headers["x-content-sha256"] == digest
        assert hashlib.sha256(got.content).hexdigest() == digest

        # Another office's staff may not.
        other = c.get(
            f"{docs}/v1/cases/{case_id}/attachments/{attachment_id}",
            headers=h("kupang", Role.FRONT_OFFICE),
        )
        assert other.status_code == 403
        assert other.json()["error"]["code"] == "wrong_office"

        # The standard asks for the original: a "copy" does not meet it (the rule holds).
        url = f"{docs}/v1/cases/{case_id}/attachments/{attachment_id}/accept"
        copy = c.post(url, headers=desk, json={"requirement": "police_loss_report", "form": "copy"})
        assert copy.status_code == 422, copy.text
        assert copy.json()["error"]["code"] == "original_required"

        # Accepted in one step, as the original (the police's electronic report).
        accepted = c.post(
            url, headers=desk, json={"requirement": "police_loss_report", "form": "original"}
        )
        assert accepted.status_code == 201, accepted.text
        body = accepted.json()
        police = next(d for d in body["checklist"]["required"] if d["type"] == "police_loss_report")
        assert police["received"] is True
        (entry,) = [x for x in body["checklist"]["received"] if x["type"] == "police_loss_report"]
        assert entry["file"]["sha256"] == digest

        # The same fact as a desk-recorded document, with the attachment's checksum.
        view = wait_for(
            lambda: (
                (x := c.get(f"{stack.url('casework')}/v1/cases/{case_id}", headers=desk))
                and x.status_code == 200
                and any(e["event_type"] == "DocumentReceived" for e in x.json()["timeline"])
                and x.json()
            ),
            what="DocumentReceived on the timeline",
        )
        assert "ReplyReceived" in [e["event_type"] for e in view["timeline"]]

        again = c.post(
            url, headers=desk, json={"requirement": "police_loss_report", "form": "original"}
        )
        assert again.status_code == 200, again.text
        assert again.json()["recorded"] is False
        (listed,) = attachments_of(c, stack, case_id, office, 1)
        assert listed["accepted"]["requirement"] == "police_loss_report"
        checklist = c.get(f"{docs}/v1/cases/{case_id}/checklist", headers=desk).json()
        police = next(d for d in checklist["required"] if d["type"] == "police_loss_report")
        assert police["received"] is True


def _whatsapp_media(phone: str, caption: str, *media: tuple[str, str]) -> bytes:
    return whatsapp_webhook(
        {
            "metadata": {"phone_number_id": "100"},
            "contacts": [contact("Warga Foto", phone)],
            "messages": [
                image_message(phone, f"wamid.{uuid.uuid4().hex}", media_id, mime, caption)
                for media_id, mime in media
            ],
        },
        account="WABA-E2E",
    )


def _post_whatsapp(c: httpx.Client, stack: Stack, office: str, body: bytes) -> str:
    r = c.post(
        f"{stack.url('intake')}/v1/channels/whatsapp/{office}",
        content=body,
        headers=meta_headers(body, META_SECRET),
    )
    assert r.status_code == 202, r.text
    (inbound_id,) = r.json()["inbound_ids"]
    return str(inbound_id)


def test_whatsapp_image_is_fetched_from_the_provider_and_listed(
    stack: Stack, fake_graph: FakeGraph
) -> None:
    office = "kupang"
    desk = h(office, Role.FRONT_OFFICE, staff="kpg-desk-att")
    media_id = f"media-{uuid.uuid4().hex[:12]}"
    digest = fake_graph.add(media_id, PNG_1PX, "image/png")
    fake_graph.fail_first(media_id, 503)  # the provider stumbles once: retried
    with httpx.Client(timeout=15) as c:
        inbound_id = _post_whatsapp(
            c,
            stack,
            office,
            _whatsapp_media(
                "6281200000091",
                "Bantuan PKH keluarga kami belum cair sejak Agustus, ini fotonya.",
                (media_id, "image/png"),
            ),
        )

        def decided() -> dict[str, Any] | None:
            r = c.get(f"{stack.url('intake')}/v1/inbound/{inbound_id}", headers=desk)
            return r.json() if r.status_code == 200 and r.json()["status"] != "queued" else None

        row = wait_for(decided, timeout=40, what="inbound decided")
        assert row["status"] == "accepted", row
        case_id = row["case_id"]

        (listed,) = attachments_of(c, stack, case_id, office, 1)
        assert listed["status"] == "received"
        assert listed["sha256"] == digest
        assert listed["media_type"] == "image/png"
        assert listed["size_bytes"] == len(PNG_1PX)
        assert listed["channel"] == "whatsapp"
        # Fetched with the app's token, the lookup tried again after the provider's 503.
        lookups = [p for p, _ in fake_graph.requests if p.endswith(f"/{media_id}")]
        assert len(lookups) >= 2
        assert all(a == f"Bearer {fake_graph.token}" for _, a in fake_graph.requests)

        got = c.get(
            f"{stack.url('documents')}/v1/cases/{case_id}/attachments/{listed['attachment_id']}",
            headers=desk,
        )
        assert got.status_code == 200, got.text
        assert hashlib.sha256(got.content).hexdigest() == digest


def test_whatsapp_media_the_provider_does_not_have_is_listed_as_failed(stack: Stack) -> None:
    office = "kupang"
    desk = h(office, Role.FRONT_OFFICE, staff="kpg-desk-att")
    with httpx.Client(timeout=15) as c:
        inbound_id = _post_whatsapp(
            c,
            stack,
            office,
            _whatsapp_media(
                "6281200000092",
                "Bantuan PKH keluarga kami belum cair, foto kartu terlampir.",
                ("media-unknown-to-provider", "image/jpeg"),
            ),
        )

        def decided() -> dict[str, Any] | None:
            r = c.get(f"{stack.url('intake')}/v1/inbound/{inbound_id}", headers=desk)
            return r.json() if r.status_code == 200 and r.json()["status"] != "queued" else None

        case_id = wait_for(decided, timeout=40, what="inbound decided")["case_id"]
        (listed,) = attachments_of(c, stack, case_id, office, 1)
        assert listed["status"] == "fetch_failed"
        assert listed["failure"]["reason"] == "media_not_found"
        assert listed["sha256"] is None
        got = c.get(
            f"{stack.url('documents')}/v1/cases/{case_id}/attachments/{listed['attachment_id']}",
            headers=desk,
        )
        assert got.status_code == 409
        assert got.json()["error"]["code"] == "attachment_not_fetched"
