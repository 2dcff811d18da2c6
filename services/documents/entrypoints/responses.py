"""The response shapes of the documents HTTP API (issue 18.7). The views build
dictionaries; these models say what they hold (times stay the ISO strings they write)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import Field

from shared.api_models import IsoTime, OpenModel, Page


class RequiredDocument(OpenModel):
    type: str
    name: str
    form: str = Field(description="original, copy or either.")
    alternative_group: str | None = None
    received: bool = Field(
        description="Met: by a document staff checked, or by the request itself (`given`)."
    )
    given: bool = Field(
        default=False,
        description="Met by the request itself, nothing for staff to check: a phone number "
        "the registration carries meets `phone_number`.",
    )
    note: str | None = Field(
        default=None,
        description="For staff (Bahasa Indonesia), e.g. 'Diberikan bersama permohonan'.",
        examples=["Diberikan bersama permohonan"],
    )


class ReceivedDocument(OpenModel):
    type: str
    form: str
    checked_by: str | None
    at: str | None = Field(description="When it was checked (ISO 8601).")
    file: Any | None = Field(description="The kept scan, if one was uploaded.")


class MissingItem(OpenModel):
    type: str
    name: str
    form: str


class DtksStatus(OpenModel):
    required: bool | None
    status: str | None = Field(description="The registry's word, or `pending`.")
    reason: str | None
    programmes: list[str]
    source: str | None


class ChecklistView(OpenModel):
    """A case's document checklist: what is required, received and still missing."""

    case_id: UUID
    office: str
    service: str
    variant: str | None
    ticket_number: str | None
    required: list[RequiredDocument]
    received: list[ReceivedDocument]
    declared: list[Any]
    given: list[str] = Field(
        default_factory=list,
        description="Requirement types the request itself met (snapshot at registration): "
        "`phone_number` when it carries the applicant's phone. Never the number itself.",
        examples=[["phone_number"]],
    )
    missing: list[str]
    missing_documents: list[list[MissingItem]] = Field(
        description="Groups: any one document of a group satisfies it."
    )
    missing_noted: Any | None
    missing_noted_at: IsoTime | None
    complete: bool
    requested_at: IsoTime
    promise: Any | None
    completed_at: IsoTime | None
    dtks: DtksStatus
    version: int


class DocumentRecorded(OpenModel):
    recorded: bool = Field(description="False: it was recorded already (200).")
    checklist: ChecklistView | None


class CompletenessDecision(OpenModel):
    case_id: UUID
    complete: bool
    missing: list[str]
    missing_documents: list[dict[str, Any]]
    message: str = Field(description="For the citizen (Bahasa Indonesia).")


class LetterStep(OpenModel):
    step: int
    role: str | None
    action: str = Field(description="approve or sign.")


class LetterIssued(OpenModel):
    at: IsoTime
    channel: str | None
    by: str | None


class Letter(OpenModel):
    """A letter and where it stands in its approval chain."""

    letter_id: UUID
    case_id: UUID
    office: str
    service: str
    variant: str | None
    product: str | None
    letter_type: str | None
    status: str
    revision: int | None
    subject: str | None
    body: str | None
    drafted_by: str | None
    chain: list[str] = Field(description="The roles that approve, the last one signs.")
    current_step: LetterStep | None
    steps_done: Any
    returns: Any
    remaining: list[str]
    letter_number: str | None
    content_sha256: str | None
    content: Any | None
    signed_by: str | None
    signed_at: IsoTime | None
    drafted_at: IsoTime
    issued: LetterIssued | None
    version: int


class CaseLetters(OpenModel):
    case_id: UUID
    letters: list[Letter]


class WaitingLetter(Letter):
    ticket_number: str | None
    waiting_since: IsoTime


class LettersWaiting(Page):
    office: str
    roles: list[str]
    letters: list[WaitingLetter]


class AttachmentFailure(OpenModel):
    reason: str | None
    message: str | None
    attempts: int | None


class AttachmentAccepted(OpenModel):
    requirement: str
    form: str | None
    by: str | None
    at: IsoTime | None
    file_id: UUID | None


class Attachment(OpenModel):
    attachment_id: UUID
    inbound_id: UUID
    channel: str | None
    file_name: str
    media_type: str | None
    size_bytes: int | None
    sha256: str | None
    status: str
    failure: AttachmentFailure | None
    received_at: IsoTime | None
    accepted: AttachmentAccepted | None


class CaseAttachments(OpenModel):
    case_id: UUID
    attachments: list[Attachment]


class AttachmentTaken(OpenModel):
    recorded: bool = Field(description="False: it was accepted already (200).")
    attachment_id: UUID
    checklist: ChecklistView | None


class Signatory(OpenModel):
    title: str | None
    name: str | None


class PersonShown(OpenModel):
    name: str | None
    nik_masked: str | None
    basis: str | None


class VerifiedLetter(OpenModel):
    number: str | None
    date: Any
    office: str | None
    subject: str | None
    signed_by: Signatory
    content_sha256: str
    person: PersonShown | None = None


class Verification(OpenModel):
    """Is this letter genuine (`found` false answers 404)."""

    found: bool
    genuine: bool
    letter_id: UUID
    letter: VerifiedLetter | None = Field(default=None, description="Only when genuine.")
