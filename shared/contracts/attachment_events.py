"""Files that came with a citizen's message, as documents of the case (published by intake).

An e-mail attachment, the scan of a posted letter, a file sent with the website form, a
WhatsApp image or PDF: intake keeps the bytes (with SHA-256) and, once the message has a
case and the bytes are in hand, announces each file on the case's stream
(`complaint-<case_id>`). Documents lists them for staff and lets staff accept one against
a checklist item (`DocumentReceived` with `attachment_id`).

No bytes travel on Kafka: `content_path` names intake's API path that serves them to staff
of the case's office. The file name travels as it already does in `InboundReceived` and
`ReplyReceived`; nothing else about the citizen does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import Field

from shared.contracts.base import Event, register
from shared.contracts.vocab import Channel
from shared.personal import Personal

INTAKE_TOPIC = "slrt.intake.events"  # same value as shared.contracts.intake_events


@register
class CaseAttachmentReceived(Event):
    """A file the citizen sent is kept by intake and belongs to this case."""

    event_type = "CaseAttachmentReceived"
    topic = INTAKE_TOPIC

    case_id: UUID
    attachment_id: UUID = Field(description="Intake's id of the kept file.")
    inbound_id: UUID = Field(description="The message it came with.")
    channel: Channel
    file_name: Annotated[str, Personal()] = Field(
        max_length=255, examples=["laporan-kehilangan.pdf"]
    )
    media_type: str = Field(
        max_length=255,
        description="Judged by the file's content where intake fetched it (WhatsApp); "
        "as the channel declared it otherwise.",
        examples=["application/pdf"],
    )
    size_bytes: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the bytes, hex.")
    content_path: str = Field(
        description="Path on intake's HTTP API that serves the bytes to staff of the office.",
        examples=["/v1/attachments/8a3e5c1e-0f59-4d8e-9a53-5c0b8f0f1a11"],
    )
    received_at: datetime = Field(description="When the message reached the office.")


@register
class CaseAttachmentFetchFailed(Event):
    """A file the citizen sent could not be fetched from the channel (after retries, or
    refused for what it is): staff see why and can ask the citizen to send it again."""

    event_type = "CaseAttachmentFetchFailed"
    topic = INTAKE_TOPIC

    case_id: UUID
    attachment_id: UUID
    inbound_id: UUID
    channel: Channel
    file_name: Annotated[str, Personal()] = Field(max_length=255)
    media_type: str = Field(max_length=255, description="As the channel declared it.")
    reason: str = Field(
        description="Machine-readable: media_not_found, provider_unavailable, "
        "not_configured, file_too_large, unsupported_file_type, file_type_mismatch, "
        "file_empty, checksum_mismatch, no_fetcher.",
        examples=["file_too_large"],
    )
    message: Annotated[str, Personal()] = Field(default="", max_length=1000)
    attempts: int = Field(ge=0, description="Fetch attempts made.")
    received_at: datetime
