"""Channels whose messages arrive as structured forms: SP4N-LAPOR!, the office website,
the call-centre log, a letter typed in from its scan, and a batch of suggestion-box slips.

Each model is the HTTP body of its endpoint; `to_received` turns it into items for intake.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import filetype
from pydantic import AwareDatetime, Base64Bytes, ConfigDict, Field, model_validator

from services.intake.adapters.channels.base import Attachment, Received
from services.intake.domain.commands import NoNul
from services.intake.domain.inbound import AttachmentRef, InboundPayload, Sender
from shared.contracts.vocab import Channel

_FROZEN = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Person(NoNul):
    """A person as a form gives them. Personal data (UU 27/2022)."""

    model_config = _FROZEN

    name: str | None = Field(default=None, max_length=200)
    nik: str | None = Field(default=None, max_length=64)
    kk_number: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)
    address: str | None = Field(default=None, max_length=500)

    def sender(self) -> Sender:
        return Sender(**self.model_dump())


class LaporReport(NoNul):
    """A report forwarded by the SP4N-LAPOR! connector (lapor.go.id) to this office."""

    model_config = _FROZEN

    tracking_id: str = Field(
        min_length=1, max_length=64, description="LAPOR! tracking id", examples=["4567890"]
    )
    title: str = Field(default="", max_length=1000)
    content: str = Field(min_length=1, max_length=10_000)
    category: str | None = Field(default=None, max_length=200)
    # LAPOR! lets a reporter be anonymous (identity not given to the office at all) or
    # confidential ("rahasia": identity known to the complaint officer only).
    is_anonymous: bool = False
    is_confidential: bool = False
    reporter: Person | None = None
    created_at: AwareDatetime | None = None

    def to_received(self, office: str) -> Received:
        return Received(
            channel=Channel.SP4N_LAPOR,
            external_id=self.tracking_id,
            received_at=self.created_at or datetime.now(UTC),
            payload=InboundPayload(
                office=office,
                # An anonymous report carries no identity, whatever the connector sent.
                sender=Sender()
                if self.is_anonymous or self.reporter is None
                else self.reporter.sender(),
                subject=self.title,
                text=self.content,
                anonymous=self.is_anonymous,
                confidential=self.is_confidential,
                extra={"lapor_tracking_id": self.tracking_id, "category": self.category},
            ),
        )


FORM_FILE_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})


class FormFile(NoNul):
    """A file sent with the website form (a scan or photo of a document), inline."""

    model_config = _FROZEN

    file_name: str = Field(min_length=1, max_length=200, examples=["surat-kehilangan.pdf"])
    content_type: str = Field(max_length=100, examples=["application/pdf"])
    content_base64: Base64Bytes = Field(
        description="The file's bytes, base64. PDF, JPEG or PNG, judged by the content; "
        "the whole form is at most 1 MiB."
    )

    @model_validator(mode="after")
    def _judged_by_content(self) -> FormFile:
        kind = filetype.guess(self.content_base64)
        sniffed = kind.mime if kind is not None else None
        if sniffed not in FORM_FILE_TYPES:
            raise ValueError(f"the file must be a PDF, JPEG or PNG (its content is {sniffed})")
        declared = self.content_type.split(";", 1)[0].strip().lower()
        if declared.replace("image/jpg", "image/jpeg") != sniffed:
            raise ValueError(f"the file says {declared} but its content is {sniffed}")
        return self

    def attachment(self) -> Attachment:
        kind = filetype.guess(self.content_base64)
        assert kind is not None
        return Attachment(self.file_name, kind.mime, self.content_base64)


class WebsiteForm(NoNul):
    """The complaint / request form on the office's website."""

    model_config = _FROZEN

    submission_id: str | None = Field(
        default=None,
        max_length=100,
        description="The form's own id for this submission: a double submit is one case.",
    )
    person: Person = Field(default_factory=Person)
    service: str | None = Field(default=None, max_length=64)
    variant: str | None = Field(default=None, max_length=64)
    subject: str = Field(default="", max_length=1000)
    message: str = Field(min_length=1, max_length=10_000)
    anonymous: bool = False
    confidential: bool = False
    attachments: tuple[FormFile, ...] = Field(
        default=(), max_length=5, description="Files sent with the form: documents of the case."
    )

    def to_received(self, office: str) -> Received:
        files = tuple(f.attachment() for f in self.attachments)
        return Received(
            channel=Channel.WEBSITE,
            external_id=self.submission_id,
            received_at=datetime.now(UTC),
            payload=InboundPayload(
                office=office,
                sender=Sender() if self.anonymous else self.person.sender(),
                service=self.service,
                variant=self.variant,
                subject=self.subject,
                text=self.message,
                anonymous=self.anonymous,
                confidential=self.confidential,
                attachments=tuple(
                    AttachmentRef(
                        id=f.sha256[:16],
                        file_name=f.file_name,
                        content_type=f.content_type,
                        size_bytes=len(f.content),
                        sha256=f.sha256,
                    )
                    for f in files
                ),
            ),
            attachments=files,
        )


class CallLog(NoNul):
    """A call to the office's telephone / call centre, logged by the officer who took it."""

    model_config = _FROZEN

    office: str = Field(min_length=1, max_length=64)
    call_id: str | None = Field(default=None, max_length=100, description="PBX call id")
    caller: Person = Field(default_factory=Person)
    started_at: AwareDatetime | None = None
    service: str | None = Field(default=None, max_length=64)
    variant: str | None = Field(default=None, max_length=64)
    notes: str = Field(min_length=1, max_length=10_000, description="What the caller said.")
    anonymous: bool = False
    confidential: bool = Field(
        default=False,
        description="The caller asked that their identity be known to the complaint "
        "officer only (rahasia).",
    )

    def to_received(self) -> Received:
        return Received(
            channel=Channel.TELEPHONE,
            external_id=self.call_id,
            received_at=self.started_at or datetime.now(UTC),
            payload=InboundPayload(
                office=self.office,
                sender=Sender() if self.anonymous else self.caller.sender(),
                service=self.service,
                variant=self.variant,
                text=self.notes,
                anonymous=self.anonymous,
                confidential=self.confidential,
            ),
        )


class LetterDetails(NoNul):
    """A letter or parcel received by post, its details typed in from the scan."""

    model_config = _FROZEN

    office: str = Field(min_length=1, max_length=64)
    letter_number: str | None = Field(
        default=None, max_length=100, description="The sender's own number on the letter."
    )
    letter_date: date | None = None
    received_on: AwareDatetime | None = None
    sender: Person = Field(default_factory=Person)
    on_behalf_of: Person | None = None
    sender_organisation: str | None = Field(default=None, max_length=300)
    service: str | None = Field(default=None, max_length=64)
    variant: str | None = Field(default=None, max_length=64)
    subject: str = Field(default="", max_length=1000)
    summary: str = Field(min_length=1, max_length=10_000, description="What the letter asks.")
    documents_declared: tuple[str, ...] = Field(default=(), max_length=50)
    anonymous: bool = Field(
        default=False, description="An unsigned letter, or one whose writer asks not to be known."
    )
    confidential: bool = Field(
        default=False,
        description="The writer asks that their identity be known to the complaint officer "
        "only (rahasia).",
    )

    def to_received(self) -> Received:
        external = None
        if self.letter_number:
            # The same letter number from another sender is another letter.
            who = self.sender_organisation or self.sender.name or ""
            external = f"{self.letter_number}|{who}".lower()
        return Received(
            channel=Channel.LETTER,
            external_id=external,
            received_at=self.received_on or datetime.now(UTC),
            payload=InboundPayload(
                office=self.office,
                sender=Sender() if self.anonymous else self.sender.sender(),
                on_behalf_of=self.on_behalf_of.sender()
                if self.on_behalf_of and not self.anonymous
                else None,
                service=self.service,
                variant=self.variant,
                subject=self.subject,
                text=self.summary,
                documents_declared=self.documents_declared,
                anonymous=self.anonymous,
                confidential=self.confidential,
                extra={
                    "letter_number": self.letter_number,
                    "letter_date": self.letter_date.isoformat() if self.letter_date else None,
                    "organisation": self.sender_organisation,
                },
            ),
        )


class Slip(NoNul):
    """One slip from the suggestion box (kotak saran); often anonymous."""

    model_config = _FROZEN

    text: str = Field(min_length=1, max_length=10_000)
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=32)


class SuggestionBoxBatch(NoNul):
    """All slips taken from the box when it was opened, entered at once."""

    model_config = _FROZEN

    office: str = Field(min_length=1, max_length=64)
    box: str = Field(default="utama", max_length=64, description="Which box, if several.")
    opened_on: date
    slips: tuple[Slip, ...] = Field(min_length=1, max_length=500)

    def to_received(self) -> list[Received]:
        opened = datetime(self.opened_on.year, self.opened_on.month, self.opened_on.day, tzinfo=UTC)
        return [
            Received(
                channel=Channel.SUGGESTION_BOX,
                # Entering the same batch twice must not double the cases.
                external_id=f"{self.box}/{self.opened_on.isoformat()}/{i}",
                received_at=opened,
                payload=InboundPayload(
                    office=self.office,
                    sender=Sender(name=slip.name, phone=slip.phone),
                    text=slip.text,
                    anonymous=not (slip.name or slip.phone),
                    extra={"box": self.box, "slip": i},
                ),
            )
            for i, slip in enumerate(self.slips, start=1)
        ]
