"""The case as a fold over its facts, and the status vocabulary staff see.

A *fact* is one recorded event of a case, as the timeline keeps it (redacted data, see
`timeline.py`). `fold` sorts the facts by global position and applies them one by one, so
the same set of facts always gives the same state, whatever order they arrived in
(events of one case come over five topics and may be applied out of order).

Status vocabulary (`CaseStatus`), derived from what the facts show, first match wins:

    resolved            CaseResolved
    letter_signed       LetterSigned
    letter_approved     LetterApproved
    letter_returned     LetterReturned (the latest letter event)
    letter_in_approval  LetterReviewed (the latest letter event)
    letter_drafted      LetterDrafted (the latest letter event; a redraft after a return)
    referred            ReferralMade
    in_progress         AssessmentRecorded (social work)
    assigned            CaseAssigned
    not_eligible        DtksNotFound or DomicileRefused, not since verified
    documents_complete  RequirementsCompleted
    eligible            DtksVerified or DomicileVerified
    registered          ComplaintRegistered

A case moves forward through these; a verification arriving after the documents were
complete does not pull it back. "not_eligible" outranks the document and eligibility
stages (a refusal must be seen), but not work staff already started on the case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal, get_args
from uuid import UUID

CaseStatus = Literal[
    "registered",
    "eligible",
    "not_eligible",
    "documents_complete",
    "assigned",
    "in_progress",
    "referred",
    "letter_drafted",
    "letter_in_approval",
    "letter_returned",
    "letter_approved",
    "letter_signed",
    "resolved",
]
STATUSES: tuple[str, ...] = get_args(CaseStatus)

LetterStage = Literal["drafted", "in_approval", "returned", "approved", "signed"]


@dataclass(frozen=True)
class CaseFact:
    """One event of a case, as the fold needs it (data already redacted)."""

    position: int
    event_type: str
    data: Mapping[str, Any]
    recorded_at: datetime
    occurred_at: datetime
    actor: str = "system"


@dataclass(frozen=True)
class CaseState:
    case_id: UUID
    registered: bool = False
    office: str | None = None
    service: str | None = None
    variant: str | None = None
    channel: str | None = None
    ticket_number: str | None = None
    opened_at: datetime | None = None
    confidential: bool = False
    dtks: bool | None = None  # None: not checked yet
    domicile: bool | None = None
    documents_complete: bool = False
    letter_stage: LetterStage | None = None
    letter_number: str | None = None
    assigned_to: str | None = None
    assignee_role: str | None = None
    care_team: tuple[str, ...] = ()  # everyone the case was ever assigned to
    assessed: bool = False
    referrals: tuple[str, ...] = ()  # agencies, in order
    resolved_at: datetime | None = None
    outcome: str | None = None
    last_position: int = 0

    @property
    def resolved(self) -> bool:
        return self.outcome is not None

    @property
    def status(self) -> CaseStatus | None:
        """Where the case stands (see the module docstring); None before registration."""
        if not self.registered:
            return None
        if self.resolved:
            return "resolved"
        if self.letter_stage is not None:
            return _LETTER_STATUS[self.letter_stage]
        if self.referrals:
            return "referred"
        if self.assessed:
            return "in_progress"
        if self.assigned_to is not None:
            return "assigned"
        if self.dtks is False or self.domicile is False:
            return "not_eligible"
        if self.documents_complete:
            return "documents_complete"
        if self.dtks or self.domicile:
            return "eligible"
        return "registered"


_LETTER_STATUS: dict[LetterStage, CaseStatus] = {
    "drafted": "letter_drafted",
    "in_approval": "letter_in_approval",
    "returned": "letter_returned",
    "approved": "letter_approved",
    "signed": "letter_signed",
}


_LETTER_EVENT_STAGE: dict[str, LetterStage] = {
    "LetterDrafted": "drafted",
    "LetterReviewed": "in_approval",
    "LetterReturned": "returned",
    "LetterApproved": "approved",
}


def _time(value: Any, fallback: datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return fallback


def apply(state: CaseState, fact: CaseFact) -> CaseState:
    """The state after one more fact. Unknown event types change nothing."""
    d = fact.data
    state = replace(state, last_position=max(state.last_position, fact.position))
    match fact.event_type:
        case "ComplaintRegistered":
            return replace(
                state,
                registered=True,
                office=d.get("office"),
                service=d.get("service"),
                variant=d.get("variant"),
                channel=d.get("channel"),
                ticket_number=d.get("ticket_number"),
                opened_at=_time(d.get("received_at"), fact.occurred_at),
                confidential=bool(d.get("confidential", False)),
            )
        case "DtksVerified":
            return replace(state, dtks=True)
        case "DtksNotFound":
            return replace(state, dtks=False)
        case "DomicileVerified":
            return replace(state, domicile=True)
        case "DomicileRefused":
            return replace(state, domicile=False)
        case "RequirementsCompleted":
            return replace(state, documents_complete=True)
        case "LetterDrafted" | "LetterReviewed" | "LetterReturned" | "LetterApproved":
            if state.letter_stage == "signed":
                return state  # a signed letter stays signed
            return replace(state, letter_stage=_LETTER_EVENT_STAGE[fact.event_type])
        case "LetterSigned":
            return replace(state, letter_stage="signed", letter_number=d.get("letter_number"))
        case "CaseAssigned":
            assignee = str(d.get("assignee"))
            team = state.care_team if assignee in state.care_team else (*state.care_team, assignee)
            return replace(state, assigned_to=assignee, assignee_role=d.get("role"), care_team=team)
        case "AssessmentRecorded":
            return replace(state, assessed=True)
        case "ReferralMade":
            return replace(state, referrals=(*state.referrals, str(d.get("agency"))))
        case "CaseResolved":
            if state.resolved:
                return state  # the first resolution stands
            return replace(state, outcome=d.get("outcome"), resolved_at=fact.occurred_at)
        case _:
            return state


def fold(case_id: UUID, facts: Iterable[CaseFact]) -> CaseState:
    """Fold a case's facts in global-position order, whatever order they are given in."""
    state = CaseState(case_id=case_id)
    for fact in sorted(facts, key=lambda f: f.position):
        state = apply(state, fact)
    return state
