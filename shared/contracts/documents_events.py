"""Cross-service events first published by documents (beyond the walking skeleton's).

Owned by the documents service; registered on import by shared.contracts.events.
`CompletionPromise` is defined here (not in events.py) because the skeleton's documents
events carry it too; this module imports nothing from events.py, so either may load first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.base import Event, register
from shared.contracts.vocab import Channel, DurationUnit, Role
from shared.personal import Personal

DOCUMENTS_TOPIC = "slrt.documents.events"  # same value as shared.contracts.events


class CompletionPromise(BaseModel):
    """The completion time the office's published standard promises for this request.

    Copied from the catalogue (per service and channel) when the fact is recorded, so that
    casework can hold the office to it without reading the catalogue of that day again.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: int = Field(ge=0, examples=[1])
    unit: DurationUnit = Field(examples=["working_days"])
    label: str = Field(default="", description="As published.", examples=["1 hari kerja"])
    standard_version: str | None = Field(
        default=None, description="Version (SK number) of the standard the promise is from."
    )


class MissingDocument(BaseModel):
    """One requirement not yet met; several types are alternatives ("KTP atau KK")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    types: tuple[str, ...] = Field(examples=[["ktp", "kk"]])
    names: tuple[str, ...] = Field(
        description="Indonesian names from the catalogue, as the citizen knows them.",
        examples=[["KTP", "Kartu Keluarga (KK)"]],
    )
    form: str = Field(default="either", examples=["original", "copy", "either"])


@register
class DocumentsMissingNoted(Event):
    """Staff decided the documents are incomplete: the citizen is to bring what is listed."""

    event_type = "DocumentsMissingNoted"
    topic = DOCUMENTS_TOPIC

    case_id: UUID
    variant: str | None = None
    missing: tuple[MissingDocument, ...] = Field(min_length=1)
    noted_by: str
    requested_at: datetime | None = Field(
        default=None, description="When the request reached the office (case clock start)."
    )


@register
class LetterDraftingAssigned(Event):
    """A disposition recorded by documents (Kupang), before issue 12. No longer appended:
    the one disposition is casework's (`CaseAssigned` kind disposition, `CaseDelegated`),
    which documents follows; the type stays so that the recorded history still decodes."""

    event_type = "LetterDraftingAssigned"
    topic = DOCUMENTS_TOPIC

    case_id: UUID
    assignee: str = Field(description="Staff id of the official who drafts.")
    assigned_by: str
    role: Role = Field(description="Role of the official who gave the disposition.")
    note: Annotated[str, Personal()] = Field(default="", max_length=2000)


@register
class LetterIssued(Event):
    """The signed letter was handed or sent to the citizen."""

    event_type = "LetterIssued"
    topic = DOCUMENTS_TOPIC

    letter_id: UUID
    case_id: UUID
    letter_number: str
    letter_type: str
    issued_at: datetime
    channel: Channel = Field(description="walk_in = handed over at the desk; else sent.")
    issued_by: str
    requested_at: datetime | None = None
    promise: CompletionPromise | None = None
