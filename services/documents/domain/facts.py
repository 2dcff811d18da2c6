"""What a decision on a checklist, a letter or a drafting assignment is made on: the
aggregate folded from its stream, plus the facts about its case it needs (which office,
which service, which channel; for a draft, the DTKS result and the registration).

Repositories (`adapters/`) load these; the use cases hand them to the pure decisions.
Plain data: no I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from services.documents.domain.checklist import Checklist, Requirement
from services.documents.domain.identity import RegistryIdentity
from services.documents.domain.letter import Disposed, Letter
from shared.contracts.documents_events import CompletionPromise
from shared.contracts.events import ComplaintRegistered
from shared.contracts.vocab import Channel, Role
from shared.refusal import Refused


@dataclass(frozen=True)
class CaseOnFile:
    """A case as the documents service knows it (its checklist row)."""

    case_id: UUID
    office: str
    service: str
    variant: str | None
    channel: Channel | None


@dataclass(frozen=True)
class ChecklistOnFile:
    case: CaseOnFile
    checklist: Checklist


@dataclass(frozen=True)
class LetterOnFile:
    case: CaseOnFile
    letter: Letter


@dataclass(frozen=True)
class DtksResult:
    status: str  # verified | not_found
    programmes: tuple[str, ...] = ()
    source: str | None = None
    # What the registry lists for the NIK checked (read from the log, never kept in our
    # tables): the identity a letter prints.
    registry: RegistryIdentity | None = None


@dataclass(frozen=True)
class CaseForDrafting:
    """Everything a draft is decided and composed on."""

    case: CaseOnFile
    checklist: Checklist
    registration: ComplaintRegistered
    dtks: DtksResult | None
    existing: tuple[tuple[UUID, str, str], ...]  # the case's letters: (id, product, status)
    disposed: Disposed | None


@dataclass(frozen=True)
class DrafterNamed:
    """Casework disposed the case to an official (`CaseAssigned` kind disposition) or the
    official delegated it (`CaseDelegated`), taken in (`global_position` orders them)."""

    case_id: UUID
    staff_id: str
    role: Role
    named_by: str
    kind: str  # disposition | delegation
    instruction: str
    global_position: int | None
    at: datetime


@dataclass(frozen=True)
class NewLetter:
    """The key of a draft: the case, and the id the new letter's stream will have."""

    case_id: UUID
    letter_id: UUID


@dataclass(frozen=True)
class SignedLetter:
    """What the public verification compares and shows of a signed letter."""

    letter_id: UUID
    letter_number: str
    content_sha256: str
    content: dict[str, Any]


def case_not_found(case_id: UUID) -> Refused:
    return Refused.not_found(
        "case_not_found",
        f"No case {case_id} is known here (yet: a case just registered may take a moment).",
    )


def letter_not_found(letter_id: UUID) -> Refused:
    return Refused.not_found("letter_not_found", f"No letter {letter_id} is known here.")


@dataclass(frozen=True)
class ChecklistOpened:
    """A case taken in from intake: its checklist as the catalogue variant lists it."""

    case_id: UUID
    office: str
    service: str
    variant: str | None
    channel: str | None
    ticket_number: str
    requires_dtks: bool
    required: tuple[Requirement, ...]
    declared: tuple[str, ...]
    # Requirement types the request itself met (`checklist.given_by_request`): the type
    # only, never the number.
    given: tuple[str, ...]
    registered_at: datetime
    promise: CompletionPromise | None

    def checklist(self) -> Checklist:
        """The checklist as opened, before any event of its stream."""
        return Checklist(
            case_id=self.case_id,
            variant=self.variant,
            required=self.required,
            requested_at=self.registered_at,
            promise=self.promise,
            given=self.given,
        )


@dataclass(frozen=True)
class DtksOutcome:
    """Eligibility's DTKS answer on a case, taken in (`global_position` orders answers)."""

    case_id: UUID
    status: str  # verified | not_found
    reason: str | None
    programmes: tuple[str, ...]
    source: str | None
    global_position: int | None
