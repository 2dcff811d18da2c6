"""The deadline clock's warning, breach and escalation to the next level up.

Decided from the folded case by the deadline check (`service_layer/check_deadlines.py`),
each once per clock, so repeated or concurrent checks add nothing.
"""

from __future__ import annotations

from datetime import datetime

from services.casework.domain.deadlines import Deadline
from services.casework.domain.lifecycle import SYSTEM_ACTOR
from services.casework.domain.model import PAUSED_STAGES, STOPPED_STAGES, CaseState
from shared.contracts.base import Event
from shared.contracts.casework_events import CaseEscalated, DeadlineBreached, DeadlineWarned
from shared.contracts.vocab import Role

# Who is the next level up (the approval hierarchy of a Dinas Sosial).
LADDER: tuple[Role, ...] = (
    Role.SUB_COORDINATOR,
    Role.HEAD_OF_DIVISION,
    Role.SECRETARY,
    Role.HEAD_OF_OFFICE,
)


def next_level_up(role: str | None) -> Role:
    """The role one level above `role`; staff below the ladder go to the sub-coordinator."""
    try:
        index = LADDER.index(Role(role)) if role else -1
    except ValueError:
        index = -1
    return LADDER[min(index + 1, len(LADDER) - 1)]


def deadline_events(state: CaseState, now: datetime, due: Deadline | None) -> list[Event]:
    """Warning, breach and escalation of the running clock, each once per clock.

    Nothing while the clock is stopped or paused, or for a service without a deadline.
    """
    clock = state.clock
    if due is None or clock is None or due.due_at is None:
        return []
    if clock.stopped_at is not None:
        # Answered after the deadline, before a sweep saw it run out: the breach is still
        # a fact (no escalation: there is nothing left to escalate).
        if not clock.breached and clock.stopped_at > due.due_at:
            return [
                DeadlineBreached(
                    case_id=state.case_id,
                    by=SYSTEM_ACTOR,
                    reason="Diselesaikan setelah batas waktu layanan.",
                    due_at=due.due_at,
                    clock=clock.number,
                )
            ]
        return []
    if state.stage in STOPPED_STAGES or state.stage in PAUSED_STAGES:
        return []
    events: list[Event] = []
    if not clock.warned and due.warn_at is not None and now >= due.warn_at:
        events.append(
            DeadlineWarned(
                case_id=state.case_id,
                by=SYSTEM_ACTOR,
                reason="Batas waktu layanan hampir habis.",
                due_at=due.due_at,
                clock=clock.number,
            )
        )
    if now >= due.due_at:
        if not clock.breached:
            events.append(
                DeadlineBreached(
                    case_id=state.case_id,
                    by=SYSTEM_ACTOR,
                    reason="Batas waktu layanan terlampaui.",
                    due_at=due.due_at,
                    clock=clock.number,
                )
            )
        if not clock.escalated_to:
            from_role = Role(state.assignee_role) if state.assignee_role else None
            events.append(
                CaseEscalated(
                    case_id=state.case_id,
                    by=SYSTEM_ACTOR,
                    reason="Batas waktu terlampaui; diteruskan ke atasan.",
                    to_role=next_level_up(state.assignee_role),
                    from_role=from_role,
                    clock=clock.number,
                )
            )
    return events
