"""Where a citizen can be reached, and how an address is shown to anyone but the sender.

The answer goes back through the citizen's own channel where it carries an address
(WhatsApp, telephone, walk-in desk: their phone; e-mail: their address, threaded to their
own message; Facebook, Instagram, X: their id on the platform; SP4N-LAPOR!: the report's
tracking id, answered as a follow-up on LAPOR). Channels without one (a letter without
an address, the website form, suggestion box, survey form) fall back to WhatsApp on the
phone they gave, else e-mail; a letter with only a postal address is answered by post.
An anonymous request gets no contact at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from shared.contracts.events import ComplaintRegistered
from shared.contracts.vocab import Channel

PHONE_CHANNELS = frozenset({Channel.WHATSAPP, Channel.TELEPHONE, Channel.WALK_IN})
HANDLE_CHANNELS = frozenset({Channel.FACEBOOK, Channel.INSTAGRAM, Channel.TWITTER})


@dataclass(frozen=True)
class Contact:
    channel: Channel
    address: str  # personal data: a phone number or an e-mail address


@dataclass(frozen=True)
class CaseContact:
    """What notifications keeps of a case from its registration: where the answer goes."""

    case_id: UUID
    office: str
    service: str
    ticket_number: str
    request_channel: Channel  # the channel the request came through
    contact: Contact | None  # None: anonymous, or no way to reach them
    anonymous: bool = False
    # E-mail: the citizen's own Message-ID, so the answer is threaded to it.
    thread_ref: str | None = None
    # The citizen's last message on the contact's channel (WhatsApp's 24-hour window).
    last_inbound_at: datetime | None = None


def normalise_phone(phone: str) -> str:
    """Digits only (a leading + kept): '0812-0000 0001' -> '081200000001'."""
    phone = phone.strip()
    plus = "+" if phone.startswith("+") else ""
    return plus + re.sub(r"\D", "", phone)


def choose_contact(
    channel: Channel,
    *,
    phone: str | None,
    email: str | None,
    anonymous: bool,
    handle: str | None = None,
    tracking_id: str | None = None,
    postal_address: str | None = None,
) -> Contact | None:
    if anonymous:
        return None
    handle = handle.strip() if handle and handle.strip() else None
    if channel in HANDLE_CHANNELS and handle:
        return Contact(channel, handle)
    if channel == Channel.SP4N_LAPOR and tracking_id:
        return Contact(Channel.SP4N_LAPOR, tracking_id)
    phone = normalise_phone(phone) if phone else None
    if phone is not None and not phone.lstrip("+"):
        phone = None  # nothing dialable in it
    email = email.strip() if email and email.strip() else None
    if channel == Channel.EMAIL:
        if email:
            return Contact(Channel.EMAIL, email)
        return Contact(Channel.WHATSAPP, phone) if phone else None
    if channel in PHONE_CHANNELS and phone:
        return Contact(channel, phone)
    if phone:
        return Contact(Channel.WHATSAPP, phone)
    if email:
        return Contact(Channel.EMAIL, email)
    if channel == Channel.LETTER and postal_address and postal_address.strip():
        return Contact(Channel.LETTER, postal_address.strip())
    return None


def mask_phone(phone: str) -> str:
    """'081200000001' -> '0812****0001'. Four stars whatever the length: it hides that too."""
    if len(phone) <= 8:
        return "*" * max(len(phone) - 2, 0) + phone[-2:]
    return f"{phone[:4]}****{phone[-4:]}"


def mask_email(email: str) -> str:
    """'warga.contoh@example.org' -> 'wa***@example.org'."""
    local, at, domain = email.partition("@")
    if not at:
        return mask_phone(email)
    return f"{local[:2] if len(local) > 2 else local[:1]}***@{domain}"


def mask(address: str) -> str:
    return mask_email(address) if "@" in address else mask_phone(address)


def contact_of(reg: ComplaintRegistered) -> CaseContact:
    """The case's contact as its registration gives it."""
    contact = choose_contact(
        reg.channel,
        phone=reg.applicant.phone,
        email=reg.applicant.email,
        anonymous=reg.anonymous,
        handle=reg.applicant.handle,
        tracking_id=reg.external_id,
        postal_address=reg.applicant.address,
    )
    own_channel = contact is not None and contact.channel == reg.channel
    return CaseContact(
        case_id=reg.case_id,
        office=reg.office,
        service=reg.service,
        ticket_number=reg.ticket_number,
        request_channel=reg.channel,
        contact=contact,
        anonymous=reg.anonymous,
        thread_ref=reg.external_id if own_channel and reg.channel == Channel.EMAIL else None,
        last_inbound_at=reg.received_at if own_channel else None,
    )
