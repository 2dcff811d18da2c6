"""Casework's decisions: given the case stream's state, the events a command produces.

They take the state folded from casework's own stream (`case-<case_id>`: assignments,
assessments, referrals, resolution) and return the new events, or raise `CaseworkRefused`
with a machine-readable reason. No I/O here.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from services.casework.domain.commands import (
    AssignCase,
    MakeReferral,
    RecordAssessment,
    ResolveCase,
)
from services.casework.domain.model import CaseState
from shared.contracts.events import (
    AssessmentRecorded,
    CaseAssigned,
    CaseResolved,
    ReferralMade,
)

SYSTEM_ACTOR = "system:casework"


class CaseworkRefused(Exception):
    """A command the case's state does not allow. `kind` says which HTTP answer fits."""

    def __init__(
        self, code: str, message: str, *, kind: Literal["conflict", "forbidden"] = "conflict"
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.kind = kind


def _refuse_if_resolved(state: CaseState) -> None:
    if state.resolved:
        raise CaseworkRefused(
            "already_resolved", f"The case was already resolved ({state.outcome})."
        )


def assign(state: CaseState, cmd: AssignCase, *, by: str) -> list[CaseAssigned]:
    _refuse_if_resolved(state)
    if state.assigned_to == cmd.assignee and state.assignee_role == cmd.role:
        raise CaseworkRefused(
            "already_assigned", f"The case is already assigned to {cmd.assignee} ({cmd.role})."
        )
    return [
        CaseAssigned(case_id=state.case_id, assignee=cmd.assignee, role=cmd.role, assigned_by=by)
    ]


def record_assessment(
    state: CaseState, cmd: RecordAssessment, *, staff_id: str, by: str
) -> list[AssessmentRecorded]:
    _refuse_if_resolved(state)
    if state.assigned_to != staff_id:
        raise CaseworkRefused(
            "not_assignee",
            "Only the social worker the case is assigned to can record its assessment.",
            kind="forbidden",
        )
    return [AssessmentRecorded(case_id=state.case_id, recorded_by=by, summary=cmd.summary)]


def refer(state: CaseState, cmd: MakeReferral, *, referral_id: UUID, by: str) -> list[ReferralMade]:
    _refuse_if_resolved(state)
    return [
        ReferralMade(
            case_id=state.case_id,
            referral_id=referral_id,
            agency=cmd.agency,
            reason=cmd.reason,
            referred_by=by,
        )
    ]


def resolve(state: CaseState, cmd: ResolveCase, *, by: str) -> list[CaseResolved]:
    _refuse_if_resolved(state)
    return [CaseResolved(case_id=state.case_id, outcome=cmd.outcome, resolved_by=by)]


def resolve_when_letter_signed(state: CaseState) -> list[CaseResolved]:
    """Policy: a signed letter is the service delivered. Never resolves a case twice."""
    if state.resolved:
        return []
    return [CaseResolved(case_id=state.case_id, outcome="letter_issued", resolved_by=SYSTEM_ACTOR)]
