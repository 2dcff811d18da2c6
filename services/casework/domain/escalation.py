"""The deadline clock's warning, breach and escalation to the next level up.

Decided from the folded case by the deadline check (`service_layer/check_deadlines.py`),
each once per clock, so repeated or concurrent checks add nothing. The level up is one of
the officials the office has (`office_ladder`, read from its catalogue): Mataram and
Pariaman have no sub-coordinator, so their staff's overdue cases go to the head of division.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.casework.domain.deadlines import Deadline
from services.casework.domain.lifecycle import SYSTEM_ACTOR
from services.casework.domain.model import PAUSED_STAGES, STOPPED_STAGES, CaseState
from shared.catalogue import Office
from shared.contracts.base import Event
from shared.contracts.casework_events import CaseEscalated, DeadlineBreached, DeadlineWarned
from shared.contracts.vocab import Role

# The approval hierarchy of a Dinas Sosial, lowest first. An office has some of these
# levels (`office_ladder`); every other role is staff, below the ladder.
LADDER: tuple[Role, ...] = (
    Role.SUB_COORDINATOR,
    Role.HEAD_OF_DIVISION,
    Role.SECRETARY,
    Role.HEAD_OF_OFFICE,
)


def office_roles(office: Office) -> frozenset[Role]:
    """The roles the office's catalogue says it has: its signatories, and whoever carries a
    step of one of its services' procedures or approval chains, gives a disposition, takes
    one or is delegated to."""
    roles = set(office.signatories)
    for standard in office.services.values():
        roles.update(step.role for step in standard.procedure)
        roles.update(step.role for step in standard.approval_chain)
        if standard.disposition is not None:
            roles.add(standard.disposition.by)
            for target in standard.disposition.to:
                roles.add(target.role)
                roles.update(target.delegate_to)
    return frozenset(roles)


def office_ladder(office: Office) -> tuple[Role, ...]:
    """The levels of `LADDER` the office has, lowest first (Mataram: head of division,
    secretary, head of office). An office that names none still has its head."""
    roles = office_roles(office)
    return tuple(r for r in LADDER if r in roles) or (Role.HEAD_OF_OFFICE,)


def _rank(role: str | None) -> int:
    """The role's level on `LADDER` (-1: staff, below it)."""
    try:
        return LADDER.index(Role(role)) if role else -1
    except ValueError:
        return -1


def next_level_up(role: str | None, ladder: Sequence[Role] = LADDER) -> Role:
    """The first official of `ladder` above `role`; staff go to its lowest official, and
    an official with no one above stays at the top (the head of office)."""
    rank = _rank(role)
    return next((r for r in ladder if _rank(r) > rank), ladder[-1])


def official_for(role: str, ladder: Sequence[Role]) -> Role:
    """The official of `ladder` who holds an escalation to `role`: that role where the
    office has it, else the first level above it the office has (an escalation recorded
    before ladders were read from the catalogue went to the sub-coordinator everywhere;
    in Mataram and Pariaman it reaches the head of division)."""
    rank = _rank(role)
    return next((r for r in ladder if _rank(r) >= rank), ladder[-1])


def deadline_events(
    state: CaseState,
    now: datetime,
    due: Deadline | None,
    *,
    ladder: Sequence[Role],
    working_role: str | None,
) -> list[Event]:
    """Warning, breach and escalation of the running clock, each once per clock.

    The escalation goes from `working_role` (whose queue holds the case: it stays there)
    to the next official up on the office's `ladder` (`office_ladder`).
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
            events.append(
                CaseEscalated(
                    case_id=state.case_id,
                    by=SYSTEM_ACTOR,
                    reason="Batas waktu terlampaui; dilaporkan ke atasan.",
                    to_role=next_level_up(working_role, ladder),
                    from_role=_role(working_role),
                    clock=clock.number,
                )
            )
    return events


def _role(value: str | None) -> Role | None:
    try:
        return Role(value) if value else None
    except ValueError:
        return None
