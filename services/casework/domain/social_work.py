"""The LK3 social-work procedure (seed 004) as steps with their time budgets.

The standard's steps in order: the complaint arrives, the client's identity is recorded
(1 working day), the case is handed to a social worker (1), outreach and initial
assessment (3), case consultation (1), counselling by a psychologist (3 or 4 sessions, no
time given), referral where needed (1). Each step's budget runs, in office time, from the
moment the step before it was done. Which fact completes which step is fixed here; the
budgets come from the catalogue's procedure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from services.casework.domain.deadlines import OfficeCalendar, budget_seconds, due_at
from services.casework.domain.model import CaseState
from shared.catalogue import ProcedureStep

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
