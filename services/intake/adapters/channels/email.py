"""E-mail: a MIME message as the office's mail server delivered it.

Parsed with the standard library's `email` package (RFC 5322/MIME, with its modern
policy): sender, subject, the text part (HTML reduced to text when there is no plain
part), attachments with their bytes, and the thread ids (Message-ID, In-Reply-To,
References) that let a reply find its case.

E-mail has no field for a phone number, so the sender's is the first Indonesian mobile or
fixed-line number written in the plain-text body (`phone_in_text`, Google's
libphonenumber through `phonenumbers`: "No. HP: 0812-3456-7890", "+62 812 3456 7890"),
in E.164 as intake keeps every phone (`domain/registration.py normalise_phone`, the
WhatsApp sender). Never from a quoted reply ("> …" lines, or what follows "On … wrote:" /
"-----Original Message-----"), never a number the catalogue publishes for an office (the
office's own signature), never from an HTML-only body (its quotes are not marked), and
never when the sender is an office mailbox.
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

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberMatcher, PhoneNumberType

from services.intake.adapters.channels.base import Attachment, PayloadUnreadable, Received
from services.intake.domain.inbound import AttachmentRef, InboundPayload, Sender
from shared.catalogue import Catalogue
from shared.contracts.vocab import Channel

_TAGS = re.compile(r"<[^>]+>")
_MSGID = re.compile(r"<[^<>\s]+>")
MAX_ATTACHMENTS = 20

# A sender's phone: an Indonesian number (+62) of these kinds only (not a premium, shared
# cost or toll-free number, nor an amount such as "Rp 1.500.000" read as one).
_INDONESIA = 62
_PHONE_KINDS = frozenset(
    {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
)
# Where the sender's own words end: the message they answer or forward follows.
_QUOTE_STARTS = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|pesan asli|forwarded message|pesan terusan"
    r"|pesan yang diteruskan)\s*-{2,}"
    r"|(?:on|pada)\b.*\b(?:wrote|menulis)\s*:"
    r"|_{10,})\s*$",
    re.IGNORECASE,
)


def _numbers(text: str) -> list[str]:
    """The Indonesian mobile and fixed-line numbers in `text`, in order, in E.164."""
    found = []
    for match in PhoneNumberMatcher(text, "ID"):
        number = match.number
        if number.country_code != _INDONESIA:
            continue
        if phonenumbers.number_type(number) not in _PHONE_KINDS:
            continue
        found.append(phonenumbers.format_number(number, PhoneNumberFormat.E164))
    return found


def own_lines(text: str) -> list[str]:
    """The lines the sender wrote: not a quoted line ("> …"), nothing from the first line
    that introduces a quoted or forwarded message on."""
    lines = []
    for line in text.splitlines():
        if _QUOTE_STARTS.match(line):
            break
        if not line.lstrip().startswith(">"):
            lines.append(line)
    return lines


def phone_in_text(text: str, *, not_these: frozenset[str] = frozenset()) -> str | None:
    """The first Indonesian mobile or fixed-line number the sender wrote (E.164), skipping
    quoted lines and the numbers in `not_these` (the offices' own); None if there is none.
    Line by line, so digits on two lines never make one number."""
    for line in own_lines(text):
        for number in _numbers(line):
            if number not in not_these:
                return number
    return None


def office_numbers(catalogue: Catalogue) -> frozenset[str]:
    """Every phone number the catalogue publishes for an office (its phone, the
    letterhead's contact line, the complaint channels' contacts), in E.164: what an
    office's own signature shows, never taken for a sender's."""
    texts: list[str | None] = []
    for office in catalogue.offices.values():
        texts += [office.phone, office.letterhead.contact]
        texts += [c.contact for c in office.complaint_channels]
        for service in office.services.values():
            texts += [c.contact for c in service.complaint_channels or ()]
    return frozenset(number for text in texts if text for number in _numbers(text))


def _body(msg: EmailMessage) -> tuple[str, bool]:
    """The message's text, and whether it is a plain-text part (not HTML reduced)."""
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return "", False
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # unknown charset: keep what can be read
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    plain = part.get_content_subtype() == "plain"
    if not plain:
        content = html.unescape(_TAGS.sub(" ", content))
    return "\n".join(line.rstrip() for line in str(content).splitlines()).strip(), plain


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
    office_phones: frozenset[str] = frozenset(),
) -> Received:
    """One e-mail; `mailboxes` maps an office address (lower case) to its office id,
    `office_phones` holds the offices' own numbers (`office_numbers`), never a sender's."""
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
    text, plain = _body(msg)
    text = text[:10_000]
    sender_phone = (
        phone_in_text(text, not_these=office_phones)
        if plain and sender_address not in mailboxes
        else None
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
            sender=Sender(name=sender_name, email=sender_address, phone=sender_phone),
            subject=str(msg.get("Subject", ""))[:1000],
            text=text,
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
