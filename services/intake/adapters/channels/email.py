"""E-mail: a MIME message as the office's mail server delivered it.

Parsed with the standard library's `email` package (RFC 5322/MIME, with its modern
policy): sender, subject, the text part (HTML reduced to text when there is no plain
part), attachments with their bytes, and the thread ids (Message-ID, In-Reply-To,
References) that let a reply find its case.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from services.intake.adapters.channels.base import Attachment, PayloadUnreadable, Received
from services.intake.domain.inbound import AttachmentRef, InboundPayload, Sender
from shared.contracts.vocab import Channel

_TAGS = re.compile(r"<[^>]+>")
_MSGID = re.compile(r"<[^<>\s]+>")
MAX_ATTACHMENTS = 20


def _text_of(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # unknown charset: keep what can be read
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    if part.get_content_subtype() == "html":
        content = html.unescape(_TAGS.sub(" ", content))
    return "\n".join(line.rstrip() for line in str(content).splitlines()).strip()


def _ids(value: str | None) -> tuple[str, ...]:
    return tuple(_MSGID.findall(value or ""))


def recipients(msg: EmailMessage) -> list[str]:
    fields = [str(v) for k in ("To", "Cc", "Delivered-To") for v in msg.get_all(k, [])]
    return [addr.lower() for _name, addr in getaddresses(fields) if addr]


def parse_email(
    raw: bytes,
    mailboxes: Mapping[str, str],
    *,
    envelope_recipients: tuple[str, ...] = (),
) -> Received:
    """One e-mail; `mailboxes` maps an office address (lower case) to its office id."""
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:  # the parser is lenient; this is truly unreadable input
        raise PayloadUnreadable("malformed_email", f"Not a MIME message: {exc}") from None
    assert isinstance(msg, EmailMessage)
    if not msg.keys():
        raise PayloadUnreadable("malformed_email", "The message has no headers.")
    office = next(
        (
            mailboxes[a]
            for a in (*(r.lower() for r in envelope_recipients), *recipients(msg))
            if a in mailboxes
        ),
        None,
    )
    sender_name: str | None = None
    sender_address: str | None = None
    from_header = msg.get("From")
    if from_header is not None:
        addresses: tuple[Address, ...] = getattr(from_header, "addresses", ())
        if addresses:
            sender_name = addresses[0].display_name or None
            sender_address = addresses[0].addr_spec.lower() or None
    try:
        sent = parsedate_to_datetime(str(msg["Date"])) if msg["Date"] else None
    except (TypeError, ValueError):
        sent = None
    received_at = datetime.now(UTC)
    attachments: list[Attachment] = []
    for part in msg.iter_attachments():
        if len(attachments) >= MAX_ATTACHMENTS:
            break
        content = part.get_payload(decode=True)
        if not isinstance(content, bytes):
            continue
        attachments.append(
            Attachment(
                file_name=part.get_filename() or f"lampiran-{len(attachments) + 1}",
                content_type=part.get_content_type(),
                content=content,
            )
        )
    message_ids = _ids(str(msg.get("Message-ID", "")))
    message_ref = message_ids[0] if message_ids else None
    thread = _ids(str(msg.get("In-Reply-To", ""))) + _ids(str(msg.get("References", "")))
    return Received(
        channel=Channel.EMAIL,
        external_id=message_ref,
        received_at=received_at,
        payload=InboundPayload(
            office=office,
            sender=Sender(name=sender_name, email=sender_address),
            subject=str(msg.get("Subject", ""))[:1000],
            text=_text_of(msg)[:10_000],
            attachments=tuple(
                AttachmentRef(
                    id=a.sha256[:16],
                    file_name=a.file_name,
                    content_type=a.content_type,
                    size_bytes=len(a.content),
                    sha256=a.sha256,
                )
                for a in attachments
            ),
            message_ref=message_ref,
            thread_refs=tuple(dict.fromkeys(thread))[:100],
            extra={"sent_at": sent.isoformat() if sent else None},
        ),
        attachments=tuple(attachments),
    )
