"""Erasure of a person's data (crypto-shredding, shared/eventstore/subjects.py).

Owned by casework (the erasure command is a case command); registered on import by
shared.contracts.events. The event carries no personal data: who was erased is the case,
and the subject ids are pseudonyms whose keys are gone.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import Field

from shared.contracts.base import Event, register

CASEWORK_TOPIC = "slrt.casework.events"  # same value as shared.contracts.events.CASEWORK_TOPIC


@register
class PersonalDataErased(Event):
    """A person's data keys were destroyed: every personal field of every event about them
    now reads as erased, in the log, on Kafka and in every rebuild. One event per case of
    the person; each service blanks what its projections copied of them, keeping counts,
    dates and statuses (SLA statistics stay right)."""

    event_type = "PersonalDataErased"
    topic = CASEWORK_TOPIC

    case_id: UUID = Field(description="A case of the erased person (one event per case).")
    subject_ids: tuple[UUID, ...] = Field(
        description="The person's subjects (pseudonymous ids) whose data keys were destroyed."
    )
    legal_basis: str = Field(
        min_length=3,
        max_length=500,
        description="Why: the legal ground of the erasure.",
        examples=["UU 27/2022 PDP Pasal 8 (permintaan subjek data)"],
    )
    erased_by: str = Field(description="staff:<id> of the authorised officer, or system:retention.")
    erased_at: datetime
    retention: bool = Field(
        default=False, description="True when the office's retention rule erased it."
    )
