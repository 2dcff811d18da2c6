"""The LK3 social-work procedure (seed 004): its steps with their time budgets, and the
decisions of its steps (identity, assessment, consultation, counselling).

The standard's steps in order: the complaint arrives, the client's identity is recorded
(1 working day), the case is handed to a social worker (1), outreach and initial
assessment (3), case consultation (1), counselling by a psychologist (3 or 4 sessions, no
time given), referral where needed (1). Each step's budget runs, in office time, from the
moment the step before it was done. Which fact completes which step is fixed here; the
budgets come from the catalogue's procedure.

Counselling is given by the psychologist named at the case consultation, at most the
standard's `sessions_max` times (`DEFAULT_SESSIONS_MAX` where the standard gives none).
Assignment to a social worker (step 3) is `lifecycle.assign`; referral (step 7) is in
`referrals.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from services.casework.domain.commands import (
    RecordAssessment,
    RecordConsultation,
    RecordCounselling,
    Transition,
)
from services.casework.domain.deadlines import OfficeCalendar, budget_seconds, due_at
from services.casework.domain.lifecycle import SYSTEM_ACTOR, allow, only_owner
from services.casework.domain.model import PAUSED_STAGES, STOPPED_STAGES, CaseState
from shared.catalogue import ProcedureStep
from shared.contracts.base import Event
from shared.contracts.casework_events import (
    CaseConsulted,
    ClientIdentityRecorded,
    CounsellingSessionRecorded,
    DeadlineBreached,
)
from shared.contracts.events import AssessmentRecorded
from shared.refusal import Refused

STEP_KEYS = (
    "arrived",
    "identity",
    "social_worker",
    "assessment",
    "consultation",
    "counselling",
    "referral",
)

# "Melakukan rujukan apabila diperlukan": only where needed, so never overdue by itself.
OPTIONAL_STEPS = frozenset({"referral"})

# "3 sampai 4 kali" in the LK3 standard: the most sessions when a standard names none.
DEFAULT_SESSIONS_MAX = 4


def sessions_max(procedure: Sequence[ProcedureStep]) -> int:
    """The most counselling sessions the procedure plans (`DEFAULT_SESSIONS_MAX` if none)."""
    planned = max((step.sessions_max or 0 for step in procedure), default=0)
    return planned or DEFAULT_SESSIONS_MAX


@dataclass(frozen=True)
class StepView:
    order: int
    key: str
    description: str
    role: str
    budget: str | None  # as published, e.g. "3 hari kerja"
    due_at: datetime | None
    done_at: datetime | None
    on_time: bool | None
    sessions: int | None = None
    sessions_planned: str | None = None


def _done(state: CaseState, key: str, sessions_min: int | None) -> datetime | None:
    match key:
        case "arrived":
            return state.opened_at
        case "identity":
            return state.identity_recorded_at
        case "social_worker":
            return state.social_worker_at
        case "assessment":
            return state.assessed_at
        case "consultation":
            return state.consultation_at
        case "counselling":
            needed = sessions_min or 1
            return state.sessions[needed - 1] if len(state.sessions) >= needed else None
        case "referral":
            return state.referral_log[0].made_at if state.referral_log else None
    return None


def steps(
    state: CaseState, procedure: Sequence[ProcedureStep], calendar: OfficeCalendar
) -> list[StepView]:
    views: list[StepView] = []
    previous: datetime | None = None
    for key, step in zip(STEP_KEYS, procedure, strict=False):
        done = _done(state, key, step.sessions_min)
        due = None
        if step.time is not None and previous is not None:
            due = due_at(
                previous, budget_seconds(step.time.value, step.time.unit, calendar), calendar
            )
        planned = (
            f"{step.sessions_min}-{step.sessions_max}" if step.sessions_min is not None else None
        )
        views.append(
            StepView(
                order=step.order,
                key=key,
                description=step.description,
                role=step.role.value,
                budget=step.time.label if step.time else None,
                due_at=due,
                done_at=done,
                on_time=None if done is None or due is None else done <= due,
                sessions=len(state.sessions) if key == "counselling" else None,
                sessions_planned=planned,
            )
        )
        previous = done
    return views


def next_step_due(views: Sequence[StepView], breached: Sequence[str]) -> datetime | None:
    """When the next budget of a step still to do runs out (for the watcher)."""
    dues = [
        v.due_at
        for v in views
        if v.due_at is not None
        and v.done_at is None
        and v.key not in OPTIONAL_STEPS
        and v.key not in breached
    ]
    return min(dues, default=None)


def step_breaches(state: CaseState, now: datetime, steps: Sequence[StepView]) -> list[Event]:
    """A breach for each procedure step whose budget ran out before it was done, once."""
    if state.stage in STOPPED_STAGES or state.stage in PAUSED_STAGES:
        return []
    return [
        DeadlineBreached(
            case_id=state.case_id,
            by=SYSTEM_ACTOR,
            reason=f"Langkah {step.order} ({step.description}) melewati batas {step.budget}.",
            due_at=step.due_at,
            clock=state.clock.number if state.clock else 1,
            step=step.key,
        )
        for step in steps
        if step.due_at is not None
        and step.key not in OPTIONAL_STEPS
        and step.done_at is None
        and now >= step.due_at
        and step.key not in state.steps_breached
    ]


# ---- the decisions of the steps --------------------------------------------------------


def record_identity(state: CaseState, cmd: Transition, *, by: str) -> list[Event]:
    """Step 2: the client's identity is recorded."""
    allow(state, "record_identity")
    if state.identity_recorded_at is not None:
        raise Refused.conflict("identity_already_recorded", "The client's identity is recorded.")
    return [ClientIdentityRecorded(case_id=state.case_id, by=by, reason=cmd.reason)]


def record_assessment(
    state: CaseState, cmd: RecordAssessment, *, staff_id: str, by: str
) -> list[Event]:
    """Step 4: outreach and the initial assessment, by the assigned social worker."""
    allow(state, "record_assessment")
    if state.assigned_to != staff_id:
        raise Refused.forbidden(
            "not_assignee",
            "Only the social worker the case is assigned to can record its assessment.",
        )
    return [AssessmentRecorded(case_id=state.case_id, recorded_by=by, summary=cmd.summary)]


def record_consultation(
    state: CaseState, cmd: RecordConsultation, *, staff_id: str, by: str
) -> list[Event]:
    """Step 5: the case consultation, which names the psychologist."""
    allow(state, "record_consultation")
    only_owner(state, staff_id, "hold the case consultation")
    if not state.assessed:
        raise Refused.conflict(
            "assessment_missing", "Outreach and the initial assessment come first."
        )
    return [
        CaseConsulted(
            case_id=state.case_id, by=by, reason=cmd.reason, psychologist=cmd.psychologist
        )
    ]


def record_counselling(
    state: CaseState,
    cmd: RecordCounselling,
    *,
    staff_id: str,
    by: str,
    max_sessions: int = DEFAULT_SESSIONS_MAX,
) -> list[Event]:
    """Step 6: one counselling session, by the case's psychologist, within the limit."""
    allow(state, "record_counselling")
    if state.psychologist is None:
        raise Refused.conflict(
            "consultation_missing", "The case consultation names the psychologist first."
        )
    if state.psychologist != staff_id:
        raise Refused.forbidden(
            "not_case_psychologist",
            "Only the psychologist named at the case consultation counsels this client.",
        )
    if len(state.sessions) >= max_sessions:
        raise Refused.conflict(
            "sessions_exhausted",
            f"The standard plans at most {max_sessions} counselling sessions.",
            details={"sessions": len(state.sessions), "max": max_sessions},
        )
    return [
        CounsellingSessionRecorded(
            case_id=state.case_id, by=by, session=len(state.sessions) + 1, notes=cmd.notes
        )
    ]
