"""Each channel sender against a local server speaking its provider's documented shapes
(`tests/providers.py`), and e-mail against a real SMTP server (aiosmtpd): what arrives is
read byte for byte. No sender is stubbed."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from uuid import UUID, uuid4

import httpx
import pytest

from services.notifications.adapters.channel_senders import ChannelSenders, DocumentsLetterFiles
from services.notifications.adapters.email_sender import SmtpSender
from services.notifications.adapters.http_senders import (
    LaporSender,
    MessengerSender,
    WhatsAppSender,
    XSender,
    retry_after,
)
from services.notifications.config import (
    EmailAccount,
    LaporAccount,
    MessengerAccount,
    NotificationsSettings,
    WhatsAppAccount,
    XAccount,
)
from services.notifications.domain.outgoing import OutgoingMessage
from shared.catalogue import load_catalogue
from shared.contracts.vocab import Channel
from tests.providers import FakeProviders, Reply, SmtpSink, graph_error

pytestmark = pytest.mark.integration

CITIZEN = "warga.uji@example.org"
CITIZEN_MSGID = "<pesan-warga-001@example.org>"
PDF = b"%PDF-1.4\n% synthetic letter for tests\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
BODY = (
    "Yth. Bapak/Ibu,\n\nPermohonan Anda telah kami terima dengan nomor tiket "
    "PRM-2026-000042.\nUnduh surat: https://dokumen.example.go.id/v1/letters/x/download?code=abc"
)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(1.0)) as c:
        yield c


def outgoing(
    channel: Channel,
    address: str,
    *,
    thread_ref: str | None = None,
    last_inbound_at: datetime | None = None,
    letter_id: UUID | None = None,
    template: str = "letter_online",
) -> OutgoingMessage:
    return OutgoingMessage(
        notification_id=uuid4(),
        case_id=uuid4(),
        channel=channel,
        address=address,
        template=template,
        body=BODY,
        office="pariaman",
        ticket_number="PRM-2026-000042",
        thread_ref=thread_ref,
        last_inbound_at=last_inbound_at,
        letter_id=letter_id,
    )


def parsed(raw: bytes) -> EmailMessage:
    mail = message_from_bytes(raw, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    return mail


# ---- e-mail ----------------------------------------------------------------------------------


async def test_email_arrives_threaded_in_text_and_html_with_the_letter_attached(
    sink: SmtpSink, fresh: FakeProviders, client: httpx.AsyncClient
) -> None:
    letter_id = uuid4()
    fresh.letters[str(letter_id)] = PDF
    sender = SmtpSender(
        EmailAccount(host="127.0.0.1", port=sink.port),
        from_address="dinsos@pariamankota.go.id",
        from_name="Dinas Sosial Kota Pariaman",
        letters=DocumentsLetterFiles(client, f"{fresh.url}/docs"),
    )
    message = outgoing(Channel.EMAIL, CITIZEN, thread_ref=CITIZEN_MSGID, letter_id=letter_id)

    result = await sender.send(message)

    assert result.ok and result.how == "smtp"
    (mail,) = sink.mails
    assert mail.mail_from == "dinsos@pariamankota.go.id" and mail.rcpt_tos == (CITIZEN,)
    got = parsed(mail.raw)
    expected_id = f"<{message.notification_id}@pariamankota.go.id>"
    assert result.provider_message_id == expected_id
    assert got["Message-ID"] == expected_id
    assert got["In-Reply-To"] == CITIZEN_MSGID and got["References"] == CITIZEN_MSGID
    assert got["From"] == "Dinas Sosial Kota Pariaman <dinsos@pariamankota.go.id>"
    assert got["To"] == CITIZEN
    assert got["Subject"] == "[PRM-2026-000042] Surat Anda dapat diunduh"
    assert got["Auto-Submitted"] == "auto-replied"
    assert got.get_content_type() == "multipart/mixed"
    alternative, attachment = got.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    plain, html = alternative.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert plain.get_content() == BODY.replace("\n", "\r\n") + "\r\n"  # SMTP's CRLF
    assert html.get_content_type() == "text/html"
    assert "PRM-2026-000042" in html.get_content()
    assert '<a href="https://dokumen.example.go.id/v1/letters/x/download?code=abc">' in (
        html.get_content()
    )
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "400.9-001-2026.pdf"
    content = attachment.get_payload(decode=True)
    assert isinstance(content, bytes)
    assert hashlib.sha256(content).hexdigest() == hashlib.sha256(PDF).hexdigest()
    # Byte for byte: the raw message carries exactly these threading headers once.
    assert mail.raw.count(b"\nIn-Reply-To: " + CITIZEN_MSGID.encode()) == 1
    assert mail.raw.count(b"\nReferences: " + CITIZEN_MSGID.encode()) == 1


async def test_email_without_a_letter_is_plain_and_html_only(sink: SmtpSink) -> None:
    sender = SmtpSender(
        EmailAccount(host="127.0.0.1", port=sink.port),
        from_address="dinsos@kupangkota.go.id",
        from_name="Dinas Sosial Kota Kupang",
    )
    result = await sender.send(outgoing(Channel.EMAIL, CITIZEN, template="complaint_registered"))
    assert result.ok
    got = parsed(sink.mails[0].raw)
    assert got.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in got.iter_parts()] == ["text/plain", "text/html"]
    assert got["In-Reply-To"] is None


async def test_smtp_refusals_are_final_for_5xx_and_transient_for_4xx(sink: SmtpSink) -> None:
    sink.refuse = {
        "hilang@example.org": "550 5.1.1 No such user here",
        "penuh@example.org": "452 4.2.2 Mailbox full, try later",
    }
    sender = SmtpSender(
        EmailAccount(host="127.0.0.1", port=sink.port),
        from_address="dinsos@kupangkota.go.id",
        from_name="Dinas Sosial Kota Kupang",
    )
    gone = await sender.send(outgoing(Channel.EMAIL, "hilang@example.org"))
    assert not gone.ok and not gone.transient
    assert gone.error is not None and "550" in gone.error and "No such user" in gone.error
    full = await sender.send(outgoing(Channel.EMAIL, "penuh@example.org"))
    assert not full.ok and full.transient and "452" in (full.error or "")
    assert sink.mails == []


async def test_an_smtp_server_that_does_not_answer_is_transient() -> None:
    sender = SmtpSender(
        EmailAccount(host="127.0.0.1", port=1),  # nothing listens there
        from_address="dinsos@kupangkota.go.id",
        from_name="Dinas Sosial Kota Kupang",
        timeout=2,
    )
    result = await sender.send(outgoing(Channel.EMAIL, CITIZEN))
    assert not result.ok and result.transient


async def test_documents_down_makes_an_email_with_a_letter_wait(
    sink: SmtpSink, client: httpx.AsyncClient
) -> None:
    sender = SmtpSender(
        EmailAccount(host="127.0.0.1", port=sink.port),
        from_address="dinsos@kupangkota.go.id",
        from_name="Dinas Sosial Kota Kupang",
        letters=DocumentsLetterFiles(client, "http://127.0.0.1:1"),
    )
    result = await sender.send(outgoing(Channel.EMAIL, CITIZEN, letter_id=uuid4()))
    assert not result.ok and result.transient and sink.mails == []


# ---- WhatsApp Cloud API -----------------------------------------------------------------------


def whatsapp(fresh: FakeProviders, client: httpx.AsyncClient, now: datetime) -> WhatsAppSender:
    return WhatsAppSender(
        WhatsAppAccount(phone_number_id="10987", access_token="uji-token"),
        client=client,
        base_url=f"{fresh.url}/wa",
        clock=lambda: now,
    )


async def test_whatsapp_inside_the_window_is_a_session_message_outside_a_template(
    fresh: FakeProviders, client: httpx.AsyncClient
) -> None:
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    sender = whatsapp(fresh, client, now)

    inside = await sender.send(
        outgoing(Channel.WHATSAPP, "081200000042", last_inbound_at=now - timedelta(hours=23))
    )
    outside = await sender.send(
        outgoing(Channel.WHATSAPP, "081200000042", last_inbound_at=now - timedelta(hours=25))
    )

    assert inside.ok and inside.how == "whatsapp_session"
    assert inside.provider_message_id and inside.provider_message_id.startswith("wamid.")
    assert outside.ok and outside.how == "whatsapp_template"
    session, template = fresh.accepted("whatsapp")
    assert session.path == "/wa/10987/messages"
    assert session.headers["authorization"] == "Bearer uji-token"
    assert session.body["to"] == "6281200000042" and session.body["type"] == "text"
    assert session.body["text"]["body"] == BODY
    assert template.body["type"] == "template"
    assert template.body["template"]["name"] == "slrt_pemberitahuan"
    params = template.body["template"]["components"][0]["parameters"]
    assert params[0]["text"] == "PRM-2026-000042"
    assert "\n" not in params[1]["text"] and "PRM-2026-000042" in params[1]["text"]


async def test_whatsapp_answers_429_5xx_timeout_and_400(
    fresh: FakeProviders, client: httpx.AsyncClient
) -> None:
    now = datetime.now(UTC)
    sender = whatsapp(fresh, client, now)
    message = outgoing(Channel.WHATSAPP, "081200000042", last_inbound_at=now)
    fresh.script["whatsapp"].extend(
        [
            Reply(429, {"error": {"message": "Too many", "code": 4}}, {"Retry-After": "7"}),
            graph_error(500, 1, "An unknown error occurred"),
            Reply(200, {"messages": [{"id": "wamid.late"}]}, delay=1.5),  # past the timeout
            graph_error(400, 130429, "Rate limit hit"),
            graph_error(400, 131026, "Message undeliverable"),
        ]
    )
    limited = await sender.send(message)
    assert not limited.ok and limited.transient and limited.retry_after == 7.0
    broken = await sender.send(message)
    assert not broken.ok and broken.transient and "500" in (broken.error or "")
    slow = await sender.send(message)
    assert not slow.ok and slow.transient and "timeout" in (slow.error or "")
    throttled = await sender.send(message)
    assert not throttled.ok and throttled.transient  # a throughput code, though a 400
    refused = await sender.send(message)
    assert not refused.ok and not refused.transient
    assert refused.error == "HTTP 400 131026: Message undeliverable"


async def test_whatsapp_outside_the_window_by_the_providers_clock_falls_back_to_the_template(
    fresh: FakeProviders, client: httpx.AsyncClient
) -> None:
    now = datetime.now(UTC)
    fresh.script["whatsapp"].append(graph_error(400, 131047, "Re-engagement message"))
    result = await whatsapp(fresh, client, now).send(
        outgoing(Channel.WHATSAPP, "+6281200000042", last_inbound_at=now - timedelta(hours=1))
    )
    assert result.ok and result.how == "whatsapp_template"
    assert [h.body["type"] for h in fresh.attempts("whatsapp")] == ["text", "template"]


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert retry_after("120") == 120.0
    assert retry_after("Mon, 02 Mar 2026 12:00:30 GMT", now) == 30.0
    assert retry_after("soon") is None and retry_after(None) is None


# ---- Messenger (Facebook, Instagram), X, SP4N-LAPOR! --------------------------------------------


async def test_messenger_answers_inside_the_window_and_tags_outside(
    fresh: FakeProviders, client: httpx.AsyncClient
) -> None:
    now = datetime.now(UTC)
    sender = MessengerSender(
        MessengerAccount(page_id="55501", access_token="page-token"),
        client=client,
        base_url=f"{fresh.url}/graph",
        clock=lambda: now,
    )
    inside = await sender.send(outgoing(Channel.FACEBOOK, "psid-1", last_inbound_at=now))
    outside = await sender.send(outgoing(Channel.INSTAGRAM, "igsid-2"))
    assert inside.ok and outside.ok and inside.how == "messenger"
    first, second = fresh.accepted("messenger")
    assert first.path == "/graph/55501/messages"
    assert first.body == {
        "recipient": {"id": "psid-1"},
        "messaging_type": "RESPONSE",
        "message": {"text": BODY},
    }
    assert second.body["messaging_type"] == "MESSAGE_TAG"
    assert second.body["tag"] == "ACCOUNT_UPDATE"
    fresh.script["messenger"].append(graph_error(400, 551, "This person isn't available"))
    refused = await sender.send(outgoing(Channel.FACEBOOK, "psid-3"))
    assert not refused.ok and not refused.transient and "551" in (refused.error or "")


async def test_x_direct_message_and_its_429(
    fresh: FakeProviders, client: httpx.AsyncClient
) -> None:
    sender = XSender(XAccount(access_token="x-token"), client=client, base_url=f"{fresh.url}/x")
    sent = await sender.send(outgoing(Channel.TWITTER, "2244994945"))
    assert sent.ok and sent.how == "x_direct_message" and sent.provider_message_id
    (hit,) = fresh.accepted("x")
    assert hit.path == "/x/2/dm_conversations/with/2244994945/messages"
    assert hit.body == {"text": BODY}
    fresh.script["x"].append(
        Reply(
            429,
            {"title": "Too Many Requests", "detail": "Too Many Requests"},
            {"Retry-After": "60"},
        )
    )
    limited = await sender.send(outgoing(Channel.TWITTER, "2244994945"))
    assert not limited.ok and limited.transient and limited.retry_after == 60.0
    fresh.script["x"].append(
        Reply(403, {"title": "Forbidden", "detail": "You cannot send messages to this user."})
    )
    refused = await sender.send(outgoing(Channel.TWITTER, "2244994945"))
    assert not refused.ok and not refused.transient
    assert refused.error == "HTTP 403: You cannot send messages to this user."


async def test_lapor_follow_up_is_idempotent_on_the_notification_id(
    fresh: FakeProviders, client: httpx.AsyncClient
) -> None:
    sender = LaporSender(
        LaporAccount(access_token="lapor-token"), client=client, base_url=f"{fresh.url}/lapor"
    )
    message = outgoing(Channel.SP4N_LAPOR, "LAPOR-8812345")
    first = await sender.send(message)
    again = await sender.send(message)  # e.g. after a crash before the record
    assert first.ok and again.ok and first.provider_message_id == again.provider_message_id
    hits = fresh.accepted("lapor")
    assert [h.status for h in hits] == [201, 200]
    assert hits[0].path == "/lapor/v1/reports/LAPOR-8812345/follow-ups"
    assert hits[0].headers["idempotency-key"] == str(message.notification_id)
    assert hits[0].body["content"] == BODY and hits[0].body["reference"] == "PRM-2026-000042"
    assert len(fresh.lapor_keys) == 1  # one follow-up on LAPOR
    fresh.script["lapor"].append(Reply(502, {"message": "Bad Gateway"}))
    assert (await sender.send(outgoing(Channel.SP4N_LAPOR, "LAPOR-1"))).transient


def test_channel_accounts_per_office_and_for_every_office() -> None:
    own = NotificationsSettings(
        slrt_channels={
            "*": {"email": {"host": "127.0.0.1", "port": 2525}},
            "kupang": {"whatsapp": {"phone_number_id": "1", "access_token": "t"}},
        }
    )
    senders = ChannelSenders(own, load_catalogue())
    live = senders.live()
    assert live["kupang"] == ["email", "whatsapp"]
    assert live["mataram"] == ["email"]
    assert senders.sender_for("mataram", Channel.WHATSAPP) is None
    assert senders.sender_for("lumajang", Channel.TELEPHONE) is None
