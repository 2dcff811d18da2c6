"""Cross-service events first published by intake (beyond the walking skeleton's).

Owned by the intake service; registered on import by shared.contracts.events.
Channel adapters publish `InboundReceived` on their own topic; intake alone decides what
becomes a case (`ComplaintRegistered`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import Field

from shared.contracts.base import Event, register
from shared.contracts.vocab import Channel
from shared.personal import Personal

INBOUND_TOPIC = "slrt.intake.inbound"  # same value as shared.contracts.events.INBOUND_TOPIC
INTAKE_TOPIC = "slrt.intake.events"


@register
class InboundReceived(Event):
    """A channel adapter received something from a citizen; nothing is decided yet."""

    event_type = "InboundReceived"
    topic = INBOUND_TOPIC

    inbound_id: UUID = Field(description="Id of the raw message kept by the adapter.")
    channel: Channel
    external_id: str | None = Field(default=None, description="Id given by the channel.")
    received_at: datetime
    payload: Annotated[dict[str, Any], Personal()] = Field(
        description="What the channel delivered, in the adapter's normalised shape."
    )


@register
class TriageRequested(Event):
    """Intake could not tell office, service or variant from what was sent."""

    event_type = "TriageRequested"
    topic = INTAKE_TOPIC

    inbound_id: UUID
    channel: Channel
    office: str | None = None
    reason: str = Field(examples=["service_not_recognised"])
    summary: Annotated[str, Personal()] = Field(
        default="", max_length=500, description="First words, for the queue."
    )


@register
class RequestClassified(Event):
    """Staff said which office, service and variant a triaged request belongs to."""

    event_type = "RequestClassified"
    topic = INTAKE_TOPIC

    inbound_id: UUID
    case_id: UUID
    office: str
    service: str
    variant: str | None = None
    classified_by: str


@register
class DuplicateSuspected(Event):
    """A new case looks like one already open (same NIK and service, or same phone)."""

    event_type = "DuplicateSuspected"
    topic = INTAKE_TOPIC

    case_id: UUID = Field(description="The newer case.")
    duplicate_of: UUID = Field(description="The open case it resembles.")
    reason: Literal[
        "same_nik_and_service", "same_phone", "same_email", "same_citizen_and_service"
    ] = Field(description="same_citizen: one identity reached through another channel.")
    window_days: int


@register
class DuplicateConfirmed(Event):
    """Staff confirmed the newer case is the same request: casework merges it."""

    event_type = "DuplicateConfirmed"
    topic = INTAKE_TOPIC

    case_id: UUID
    duplicate_of: UUID
    confirmed_by: str


@register
class DuplicateDismissed(Event):
    """Staff undid a suspected duplicate link: both cases go on separately."""

    event_type = "DuplicateDismissed"
    topic = INTAKE_TOPIC

    case_id: UUID
    duplicate_of: UUID
    dismissed_by: str
    reason: Annotated[str, Personal()] = ""


@register
class ReplyReceived(Event):
    """The citizen wrote again about an existing case (threaded by ticket or Message-ID)."""

    event_type = "ReplyReceived"
    topic = INTAKE_TOPIC

    case_id: UUID
    inbound_id: UUID
    channel: Channel
    summary: Annotated[str, Personal()] = Field(default="", max_length=500)
    attachments: Annotated[tuple[str, ...], Personal()] = Field(
        default=(), description="File names kept with it."
    )


@register
class GuestBookSigned(Event):
    """A visitor took a queue number and signed the guest book (buku tamu)."""

    event_type = "GuestBookSigned"
    topic = INTAKE_TOPIC

    visit_id: UUID
    office: str
    visit_date: date
    queue_number: str = Field(examples=["A-007"])
    purpose: Annotated[str, Personal()]
    checked_in_by: str


@register
class IdCardDeposited(Event):
    """A visitor left an identity card at reception (Kupang) against a case or visit."""

    event_type = "IdCardDeposited"
    topic = INTAKE_TOPIC

    visit_id: UUID
    case_id: UUID | None = None
    office: str
    card_kind: Literal["ktp", "sim", "other"] = "ktp"
    held_by: str


@register
class IdCardReturned(Event):
    """The identity card left at reception was handed back."""

    event_type = "IdCardReturned"
    topic = INTAKE_TOPIC

    visit_id: UUID
    case_id: UUID | None = None
    office: str
    returned_by: str


@register
class StatusRequested(Event):
    """A citizen asked for their request's status through a channel ("status <ticket>"
    or "cek <ticket>"). Notifications answers through the same channel, to the sender:
    the status when the sender is the case's own citizen, else a neutral refusal that
    tells nothing about the ticket."""

    event_type = "StatusRequested"
    topic = INTAKE_TOPIC

    inbound_id: UUID = Field(description="The message that asked.")
    office: str | None = Field(default=None, description="The office whose account it reached.")
    channel: Channel = Field(description="The channel it came by; the answer goes back by it.")
    ticket_number: str = Field(description="The ticket asked about, as typed (upper-cased).")
    case_id: UUID | None = Field(
        default=None,
        description="The case of that ticket at that office, when there is one (the "
        "refusal is kept on it too, for its staff to see).",
    )
    own_citizen: bool = Field(
        description="The sender is the case's own citizen (same phone, e-mail or handle)."
    )
    reply_to: Annotated[str, Personal()] = Field(
        max_length=254,
        description="The sender's own address on the channel (phone or e-mail), as the "
        "InboundReceived it answers carried it.",
    )


@register
class ChannelDeliveryStatusReported(Event):
    """A channel's provider reported, through intake's webhook door, the status of a
    message the office sent (WhatsApp Cloud API `statuses`: sent, delivered, read,
    failed). Carries the provider's message id, not the recipient's number."""

    event_type = "ChannelDeliveryStatusReported"
    topic = INTAKE_TOPIC

    channel: Channel
    office: str
    provider_message_id: str = Field(max_length=300, description="WhatsApp: the wamid.")
    status: Literal["sent", "delivered", "read", "failed"]
    reported_at: datetime
    errors: tuple[str, ...] = Field(
        default=(),
        description="The provider's error codes and titles, for a failed message.",
        examples=[["131047 Re-engagement message"]],
    )


@register
class VisitCalled(Event):
    """Reception called a waiting visitor's queue number to the desk ("call next")."""

    event_type = "VisitCalled"
    topic = INTAKE_TOPIC

    visit_id: UUID = Field(description="The guest-book entry (visit) whose number was called.")
    office: str = Field(description="The office whose desk called the number.")
    queue_number: str = Field(examples=["A-007"], description="The number called, as shown.")
    called_by: str = Field(description="The staff member who called the number.")
