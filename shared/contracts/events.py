"""Cross-service event schemas: the only thing services share besides `shared/` itself.

Each service publishes on its own topic (`slrt.<service>.events`, key = case id) and owns
the streams its events are appended to. Field descriptions feed the AsyncAPI document.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.base import Event, register
from shared.contracts.documents_events import CompletionPromise
from shared.contracts.vocab import Channel, Role
from shared.personal import ERASED_NIK, Personal

INTAKE_TOPIC = "slrt.intake.events"
INBOUND_TOPIC = "slrt.intake.inbound"  # raw messages from channel adapters
ELIGIBILITY_TOPIC = "slrt.eligibility.events"
DOCUMENTS_TOPIC = "slrt.documents.events"
CASEWORK_TOPIC = "slrt.casework.events"
NOTIFICATIONS_TOPIC = "slrt.notifications.events"
ALL_TOPICS = (
    INTAKE_TOPIC,
    INBOUND_TOPIC,
    ELIGIBILITY_TOPIC,
    DOCUMENTS_TOPIC,
    CASEWORK_TOPIC,
    NOTIFICATIONS_TOPIC,
)


def dead_letter_topic(consumer: str) -> str:
    """Where a consumer puts what it could not decode or apply, with the reason."""
    return f"slrt.{consumer}.dead-letter"


class Applicant(BaseModel):
    """The citizen behind a request. Personal data (UU 27/2022)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = Field(default=None, max_length=200, examples=["Siti Contoh"])
    nik: str | None = Field(
        default=None, pattern=r"^\d{16}$", description="16-digit NIK from the KTP."
    )
    kk_number: str | None = Field(default=None, pattern=r"^\d{16}$")
    kks_number: str | None = Field(
        default=None,
        pattern=r"^\d{16}$",
        description="The 16-digit number printed on the Kartu Keluarga Sejahtera (KKS), "
        "where the applicant gave it: a letter to the bank that holds the card carries it.",
    )
    phone: str | None = Field(default=None, max_length=32, examples=["081200000001"])
    email: str | None = Field(default=None, max_length=254)
    address: str | None = Field(default=None, max_length=500)
    handle: str | None = Field(
        default=None,
        max_length=200,
        description="The person's id on the social channel they wrote from (to answer there).",
    )


# ---- intake --------------------------------------------------------------------------


@register
class ComplaintRegistered(Event):
    """A request or complaint became a case, whatever channel it came through."""

    event_type = "ComplaintRegistered"
    topic = INTAKE_TOPIC

    case_id: UUID
    ticket_number: str = Field(description="Readable over the phone.", examples=["LMJ-2026-000123"])
    office: str = Field(examples=["lumajang"])
    service: str = Field(examples=["kks-recommendation"])
    variant: str | None = Field(default=None, examples=["reset-pin"])
    channel: Channel
    external_id: str | None = Field(default=None, description="Id given by the channel.")
    applicant: Annotated[Applicant, Personal()]
    on_behalf_of: Annotated[Applicant | None, Personal()] = Field(
        default=None, description="Cardholder, when the applicant acts by proxy."
    )
    description: Annotated[str, Personal()] = Field(default="", max_length=10_000)
    documents_declared: tuple[str, ...] = Field(
        default=(), description="Document types the citizen says they brought."
    )
    received_at: datetime = Field(description="When the channel received it.")
    anonymous: bool = False
    confidential: bool = False
    citizen_id: UUID | None = Field(
        default=None,
        description="One citizen across channels (same NIK, phone, e-mail or handle); "
        "absent for anonymous reports.",
    )
    check_code_sealed: str | None = Field(
        default=None,
        description="The citizen's check code for the public status page, encrypted "
        "(AES-256-GCM, key from SLRT_CHECK_CODE_SECRET, the case id as associated data) "
        "for the first message; never the code in clear (shared.check_codes).",
    )


# ---- eligibility -----------------------------------------------------------------------


@register
class DtksVerified(Event):
    """The person is listed in the DTKS/DTSEN registry."""

    event_type = "DtksVerified"
    topic = ELIGIBILITY_TOPIC

    case_id: UUID
    nik: Annotated[str, Personal(erased=ERASED_NIK)]
    kk_number: Annotated[str, Personal(erased=ERASED_NIK)]
    region_code: str = Field(description="Village code of the household, e.g. 35.08.01.2001.")
    decile: int | None = Field(default=None, ge=1, le=10)
    programmes: tuple[str, ...] = Field(default=(), examples=[["PKH", "BPNT"]])
    source: Literal["DTKS", "DTSEN"] = "DTKS"
    snapshot_date: date
    name: Annotated[str | None, Personal()] = Field(
        default=None,
        max_length=200,
        description="The person's name as the registry lists it for this NIK. Letters about "
        "the person print this name, not the one the channel gave (a WhatsApp profile name). "
        "Absent in events written before it was carried.",
        examples=["Siti Contoh"],
    )


@register
class DtksNotFound(Event):
    """The person could not be verified in the registry, with the reason."""

    event_type = "DtksNotFound"
    topic = ELIGIBILITY_TOPIC

    case_id: UUID
    nik: Annotated[str | None, Personal()]
    reason: Literal["not_listed", "nik_invalid", "nik_missing", "listed_in_other_region"]
    detail: Annotated[str, Personal()] = ""


@register
class DomicileVerified(Event):
    event_type = "DomicileVerified"
    topic = ELIGIBILITY_TOPIC

    case_id: UUID
    region_code: str
    basis: Literal["registry", "nik_region"]


@register
class DomicileRefused(Event):
    event_type = "DomicileRefused"
    topic = ELIGIBILITY_TOPIC

    case_id: UUID
    required_region_code: str
    found_region_code: str | None
    basis: Literal["registry", "nik_region", "nik_missing"]


# ---- documents -------------------------------------------------------------------------


@register
class DocumentReceived(Event):
    """Front office checked one required document and recorded it."""

    event_type = "DocumentReceived"
    topic = DOCUMENTS_TOPIC

    case_id: UUID
    document_type: str = Field(examples=["ktp", "kks"])
    form: Literal["original", "copy"] = "copy"
    checked_by: str
    file_id: UUID | None = Field(default=None, description="Scan kept by documents, if any.")
    file_sha256: str | None = Field(default=None, description="SHA-256 of the scanned file.")
    file_content_type: str | None = Field(default=None, examples=["application/pdf"])
    file_size: int | None = Field(default=None, ge=0, description="Bytes.")
    attachment_id: UUID | None = Field(
        default=None,
        description="The citizen's attachment (CaseAttachmentReceived) staff accepted as "
        "this document, if it came that way; file_sha256 is then the attachment's.",
    )


@register
class RequirementsCompleted(Event):
    """Every document the variant requires has been received."""

    event_type = "RequirementsCompleted"
    topic = DOCUMENTS_TOPIC

    case_id: UUID
    variant: str
    documents: tuple[str, ...]
    requested_at: datetime | None = Field(
        default=None, description="When the request reached the office (case clock start)."
    )
    completed_at: datetime | None = None
    promise: CompletionPromise | None = Field(
        default=None, description="Completion time the standard promises for this request."
    )


class LetterPerson(BaseModel):
    """Whom a letter is about, no more than a public page may show: the name and a masked NIK."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str | None = Field(default=None, max_length=200, examples=["Siti Contoh"])
    nik_masked: str | None = Field(
        default=None,
        max_length=32,
        description="The NIK with all but its first four and last four digits hidden.",
        examples=["5271********0007"],
    )
    basis: Literal["registry", "ktp", "declared"] = Field(
        description="Where the identity comes from: `registry` (the DTKS/DTSEN listing for "
        "the NIK checked), `ktp` (typed at the desk from the KTP staff checked), `declared` "
        "(as the applicant gave it, not checked)."
    )


@register
class LetterDrafted(Event):
    event_type = "LetterDrafted"
    topic = DOCUMENTS_TOPIC

    letter_id: UUID
    case_id: UUID
    letter_type: str = Field(examples=["rekomendasi-reset-pin"])
    product: str
    subject: Annotated[str, Personal()]
    body: Annotated[str, Personal()]
    drafted_by: str
    chain: tuple[Role, ...] = Field(description="Roles still to act, in order.")
    requested_at: datetime | None = None
    promise: CompletionPromise | None = None
    about: Annotated[LetterPerson | None, Personal()] = Field(
        default=None,
        description="Whom the letter is about, as its public verification page may show "
        "them (name, masked NIK, where the identity comes from). Absent in letters drafted "
        "before it was carried.",
    )


@register
class LetterReviewed(Event):
    """One official in the chain approved the draft and passed it on."""

    event_type = "LetterReviewed"
    topic = DOCUMENTS_TOPIC

    letter_id: UUID
    case_id: UUID
    step: int
    role: Role
    reviewed_by: str
    comment: Annotated[str, Personal()] = ""


@register
class LetterReturned(Event):
    """An official sent the draft back with comments."""

    event_type = "LetterReturned"
    topic = DOCUMENTS_TOPIC

    letter_id: UUID
    case_id: UUID
    step: int
    role: Role
    returned_by: str
    comment: Annotated[str, Personal()]


@register
class LetterApproved(Event):
    """Every approval the chain requires has been given; only the signature remains."""

    event_type = "LetterApproved"
    topic = DOCUMENTS_TOPIC

    letter_id: UUID
    case_id: UUID
    approved_by: tuple[str, ...]


@register
class LetterSigned(Event):
    event_type = "LetterSigned"
    topic = DOCUMENTS_TOPIC

    letter_id: UUID
    case_id: UUID
    letter_number: str
    letter_type: str
    signed_by: str
    role: Role
    content_sha256: str
    content: Annotated[dict[str, Any] | None, Personal()] = Field(
        default=None,
        description="What the hash covers and the PDF prints (number, date, place, "
        "letterhead, subject, body, signatory): the letter can be re-printed and verified "
        "from the log alone.",
    )
    signed_at: datetime | None = None
    requested_at: datetime | None = Field(
        default=None, description="When the request reached the office (case clock start)."
    )
    promise: CompletionPromise | None = None


# ---- casework --------------------------------------------------------------------------


@register
class CaseAssigned(Event):
    event_type = "CaseAssigned"
    topic = CASEWORK_TOPIC

    case_id: UUID
    assignee: str = Field(description="Staff id of the person who now owns the case.")
    role: Role
    assigned_by: str
    kind: Literal["assignment", "disposition", "handover"] = Field(
        default="assignment",
        description="disposition: the head of office's written instruction (disposisi); "
        "handover: a walk-in visitor taken to the appointed official.",
    )
    instruction: Annotated[str, Personal()] = Field(
        default="", max_length=2_000, description="Text of a disposition."
    )
    reason: Annotated[str, Personal()] = Field(default="", max_length=2_000)


@register
class AssessmentRecorded(Event):
    """A social worker's outreach and initial assessment (LK3)."""

    event_type = "AssessmentRecorded"
    topic = CASEWORK_TOPIC

    case_id: UUID
    recorded_by: str
    summary: Annotated[str, Personal()] = Field(
        description="Confidential: readable by the case's social worker only."
    )


@register
class ReferralMade(Event):
    """The case was referred to another agency or programme."""

    event_type = "ReferralMade"
    topic = CASEWORK_TOPIC

    case_id: UUID
    referral_id: UUID
    agency: str = Field(examples=["dinas-kesehatan", "bpjs", "pkh"])
    reason: Annotated[str, Personal()]
    referred_by: str
    programme: str | None = Field(
        default=None, description="Assistance programme the referral is for.", examples=["kis"]
    )


@register
class CaseResolved(Event):
    event_type = "CaseResolved"
    topic = CASEWORK_TOPIC

    case_id: UUID
    outcome: str = Field(examples=["letter_issued", "referred", "answered"])
    resolved_by: str
    reason: Annotated[str, Personal()] = Field(default="", max_length=2_000)


# ---- notifications ---------------------------------------------------------------------


@register
class NotificationSent(Event):
    """A message went back to the citizen through their own channel."""

    event_type = "NotificationSent"
    topic = NOTIFICATIONS_TOPIC

    case_id: UUID
    notification_id: UUID
    channel: Channel
    template: str
    recipient: Annotated[str, Personal()] = Field(description="Masked address, e.g. 0812****0001.")


@register
class StaffNotified(Event):
    """A member of staff (or everyone of a role at the office) was told something about a
    case of theirs: assigned to them, a letter waiting at their step, a deadline warning
    or breach. The staff web app shows these live; the text is in the staff inbox
    (`GET /v1/staff/inbox` of notifications)."""

    event_type = "StaffNotified"
    topic = NOTIFICATIONS_TOPIC

    case_id: UUID
    notice_id: UUID = Field(description="Derived from the cause event and the recipient.")
    office: str
    staff_id: str | None = Field(default=None, description="The one member of staff told.")
    role: Role | None = Field(
        default=None, description="Or: everyone of this role at the office (a letter's step)."
    )
    kind: Literal[
        "case_assigned", "letter_waiting", "letter_returned", "deadline_warning", "deadline_breach"
    ]
    email: Literal["pending", "no_address"] = Field(
        description="Whether an e-mail is owed too (pending, for the delivery worker) or the "
        "staff member has no e-mail address known."
    )


DeliveryHow = Literal[
    "smtp",
    "whatsapp_session",
    "whatsapp_template",
    "messenger",
    "x_direct_message",
    "lapor_follow_up",
    "telephone_call",
    "in_person",
    "post",
    "recorded",
]


@register
class NotificationDelivered(Event):
    """A message was handed to the citizen's channel: the provider accepted it (SMTP 250,
    an API's 2xx with its message id), or staff called, handed over or posted it."""

    event_type = "NotificationDelivered"
    topic = NOTIFICATIONS_TOPIC

    case_id: UUID
    notification_id: UUID
    channel: Channel
    template: str
    recipient: Annotated[str, Personal()] = Field(description="Masked address, e.g. 0812****0001.")
    how: DeliveryHow = Field(
        description="smtp, whatsapp_session (inside the 24-hour window), whatsapp_template "
        "(an approved template outside it), messenger, x_direct_message, lapor_follow_up; "
        "by staff: telephone_call, in_person, post."
    )
    provider_message_id: str | None = Field(
        default=None,
        max_length=300,
        description="The provider's id of the message (WhatsApp wamid, Message-ID, …).",
    )
    attempts: int = Field(default=1, ge=0, description="Sending attempts it took.")
    delivered_by: str | None = Field(
        default=None, description="The staff member who called, handed over or posted it."
    )


@register
class NotificationFailed(Event):
    """A message could not be delivered: the provider refused it for good, the retries ran
    out, or the provider reported it failed later. Staff see it on their list."""

    event_type = "NotificationFailed"
    topic = NOTIFICATIONS_TOPIC

    case_id: UUID
    notification_id: UUID
    channel: Channel
    template: str
    recipient: Annotated[str, Personal()] = Field(description="Masked address, e.g. 0812****0001.")
    reason: str = Field(
        max_length=1000, description="The provider's reason, as it gave it (no address)."
    )
    code: Literal["refused", "retries_exhausted", "reported_failed"] = Field(
        description="refused: a 4xx or a permanent SMTP error; retries_exhausted: the "
        "last retry failed too; reported_failed: accepted, then reported failed by the "
        "provider's status webhook."
    )
    attempts: int = Field(default=1, ge=0)


@register
class NotificationStatusReported(Event):
    """The provider reported what became of a message it accepted (WhatsApp: sent,
    delivered, read)."""

    event_type = "NotificationStatusReported"
    topic = NOTIFICATIONS_TOPIC

    case_id: UUID
    notification_id: UUID
    channel: Channel
    status: Literal["sent", "delivered", "read"]
    reported_at: datetime = Field(description="When the provider says it happened.")


# Each service's further events live in a module of its own (imported last so that they
# register, and can use the names above).
from shared.contracts import (  # noqa: E402
    attachment_events,  # noqa: F401
    casework_events,  # noqa: F401
    documents_events,  # noqa: F401
    eligibility_events,  # noqa: F401
    erasure_events,  # noqa: F401
    intake_events,  # noqa: F401
)
