"""What a channel adapter hands intake, and how intake turns it into a request or triage.

Every adapter (e-mail, WhatsApp, SP4N-LAPOR, social media, web form, telephone log,
letter, suggestion box) reads its channel's own format into one `InboundPayload`. Intake
then decides, in this order:
1. a reply to a case it already has (ticket number in the text, or an e-mail thread);
2. explicit fields (office, service, variant) where the channel carries them;
3. free text classified by the catalogue's rules;
4. otherwise the staff triage queue. A message is never refused for being unclear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.intake.domain.commands import ApplicantIn, RegisterRequest, scrub_nul
from shared.catalogue import Catalogue, UnknownEntry
from shared.contracts.vocab import Channel

TICKET_IN_TEXT = re.compile(r"\b([A-Z]{3}-\d{4}-\d{6})\b")
# "NIK 1377014101900001", "nik: 1377 0141 0190 0001": citizens often type it in a message.
NIK_IN_TEXT = re.compile(r"\bNIK\s*[:.=]?\s*((?:\d[\s.-]?){15}\d)\b", re.IGNORECASE)
KK_IN_TEXT = re.compile(r"\b(?:no\.?\s*)?KK\s*[:.=]?\s*((?:\d[\s.-]?){15}\d)\b", re.IGNORECASE)


class Sender(BaseModel):
    """Who wrote, as far as the channel says. Personal data (UU 27/2022)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    nik: str | None = Field(default=None, max_length=64)
    kk_number: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)
    address: str | None = Field(default=None, max_length=500)
    # The sender's id on a social platform (page-scoped id, Instagram id, X user id).
    handle: str | None = Field(default=None, max_length=200)


class AttachmentRef(BaseModel):
    """A file kept with the inbound message (the bytes stay in intake's table)."""

    model_config = ConfigDict(frozen=True)

    id: str
    file_name: str
    content_type: str
    size_bytes: int
    sha256: str
    url: str | None = None  # where to fetch it, when only referenced (an outside adapter)


class InboundPayload(BaseModel):
    """One message from one channel, read but not yet interpreted."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    office: str | None = Field(default=None, description="The office whose account it reached.")
    sender: Sender = Field(default_factory=Sender)
    subject: str = Field(default="", max_length=1000)
    text: str = Field(default="", max_length=10_000)
    # Explicit fields, when the channel has them (web form, call log, typed-in letter).
    service: str | None = Field(default=None, max_length=64)
    variant: str | None = Field(default=None, max_length=64)
    on_behalf_of: Sender | None = None
    documents_declared: tuple[str, ...] = Field(default=(), max_length=50)
    attachments: tuple[AttachmentRef, ...] = ()
    # E-mail: this message's Message-ID and the ids it answers (In-Reply-To, References).
    message_ref: str | None = Field(default=None, max_length=998)
    thread_refs: tuple[str, ...] = Field(default=(), max_length=100)
    anonymous: bool = False
    confidential: bool = False
    # Channel specifics worth keeping (LAPOR! tracking id, call id, visit id, slip number).
    extra: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _scrub(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = scrub_nul(data)
        if not data.get("confidential") and asks_confidential(
            data.get("subject"), data.get("text")
        ):
            data["confidential"] = True
        return data


# A channel with no field for it (e-mail, WhatsApp, Facebook, Instagram, X, an adapter
# without the flag): the citizen asks for confidentiality by starting the subject or the
# message with the word RAHASIA ("confidential"), as offices tell them to.
_CONFIDENTIAL_MARK = re.compile(r"^\W*rahasia\b", re.IGNORECASE)


def asks_confidential(*texts: object) -> bool:
    """Whether the subject or the text starts with the confidentiality mark."""
    return any(isinstance(t, str) and _CONFIDENTIAL_MARK.match(t) for t in texts)


@dataclass(frozen=True)
class Reply:
    """The message continues a case intake already registered."""

    ticket_number: str | None
    thread_refs: tuple[str, ...]


@dataclass(frozen=True)
class Classified:
    """Enough is known to register: the command the staff API would have received."""

    command: RegisterRequest


@dataclass(frozen=True)
class NeedsTriage:
    """Staff must say what this is; `reason` is machine-readable."""

    office: str | None
    reason: str


def _applicant(sender: Sender | None) -> ApplicantIn | None:
    if sender is None:
        return None
    return ApplicantIn(
        name=sender.name,
        nik=sender.nik,
        kk_number=sender.kk_number,
        phone=sender.phone,
        email=sender.email,
        address=sender.address,
        handle=sender.handle,
    )


def numbers_from_text(sender: Sender, text: str) -> Sender:
    """A NIK or KK number the citizen typed in the message, where the channel has no field
    for it (WhatsApp, social media, e-mail). An explicit field always wins."""
    update: dict[str, str] = {}
    if sender.nik is None and (found := NIK_IN_TEXT.search(text)):
        update["nik"] = re.sub(r"\D", "", found.group(1))
    if sender.kk_number is None and (found := KK_IN_TEXT.search(text)):
        update["kk_number"] = re.sub(r"\D", "", found.group(1))
    return sender.model_copy(update=update) if update else sender


STATUS_COMMAND = re.compile(
    r"^\s*(?:status|cek|cek\s+status)\s*[:.]?\s*([A-Z]{3}-\d{4}-\d{6})\s*[.!?]*\s*$", re.IGNORECASE
)


def status_command(payload: InboundPayload) -> str | None:
    """The ticket of a "status LMJ-2026-000123" (or "cek …") message, in the text or an
    e-mail's subject (the text then empty or the same words); None for anything else."""
    for text in (payload.text, payload.subject):
        first = text.strip().splitlines()[0] if text.strip() else ""
        found = STATUS_COMMAND.match(first)
        if found is not None:
            return found.group(1).upper()
    return None


def sender_address(payload: InboundPayload, channel: Channel) -> str | None:
    """Where an answer to this message goes on its own channel: the e-mail address for
    e-mail, else the phone (WhatsApp, SMS gateways)."""
    if channel == Channel.EMAIL:
        return payload.sender.email.strip() if payload.sender.email else None
    return payload.sender.phone.strip() if payload.sender.phone else None


def reply_reference(payload: InboundPayload) -> Reply | None:
    """A ticket number in subject or text, or e-mail thread ids: maybe a reply."""
    found = TICKET_IN_TEXT.search(f"{payload.subject}\n{payload.text}")
    if found is None and not payload.thread_refs:
        return None
    return Reply(found.group(1) if found else None, payload.thread_refs)


def classify(
    payload: InboundPayload, channel: Channel, catalogue: Catalogue, *, external_id: str | None
) -> Classified | NeedsTriage:
    """Explicit fields first, then the catalogue's keyword rules; else triage."""
    if payload.office is None:
        return NeedsTriage(None, "office_unknown")
    try:
        office = catalogue.office(payload.office)
    except UnknownEntry:
        return NeedsTriage(None, "office_unknown")
    text = f"{payload.subject}\n{payload.text}".strip()
    service_id, variant_id = payload.service, payload.variant
    if service_id is not None and service_id not in office.services:
        return NeedsTriage(office.id, "service_unknown")
    if service_id is None:
        found = office.classify(text)
        if found is None:
            return NeedsTriage(office.id, "service_not_recognised")
        service_id, variant_id = found[0].id, found[1].id
    description = text if not payload.subject else f"{payload.subject}\n\n{payload.text}"
    return Classified(
        RegisterRequest(
            office=office.id,
            service=service_id,
            variant=variant_id,
            channel=channel.value,
            applicant=_applicant(numbers_from_text(payload.sender, text)) or ApplicantIn(),
            on_behalf_of=_applicant(payload.on_behalf_of),
            description=description[:10_000],
            documents_declared=tuple(payload.documents_declared),
            external_id=external_id,
            anonymous=payload.anonymous,
            confidential=payload.confidential,
        )
    )


def triage_summary(payload: InboundPayload) -> str:
    """The first words, for the triage queue (no identity)."""
    text = " ".join(f"{payload.subject} {payload.text}".split())
    return text[:200]
