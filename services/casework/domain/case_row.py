"""The case row: what the case list, the work queues and the deadline watch show of a
case's folded state, with what its standard says (due time, whose turn).

Written once: the live projection and the rebuild store it (`casework.cases`, one column
per field, in this order), and a case or an office "as of" a past moment is shown from it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from services.casework.domain.model import CaseState, CaseStatus, Stage, made
from services.casework.domain.standards import CaseStandards


@dataclass(frozen=True)
class CaseRow:
    case_id: UUID
    office: str | None
    service: str | None
    variant: str | None
    channel: str | None
    ticket_number: str | None
    status: CaseStatus | None
    assigned_to: str | None
    assignee_role: str | None
    outcome: str | None
    opened_at: datetime | None
    resolved_at: datetime | None
    last_position: int
    applicant_name: str | None
    stage: Stage
    stage_changed_at: datetime | None
    queue_role: str | None
    clock_number: int | None
    clock_started_at: datetime | None
    budget_seconds: float | None
    due_at: datetime | None
    warn_at: datetime | None
    clock_paused: bool
    clock_stopped_at: datetime | None
    warned: bool
    breached: bool
    # The official whose queue also holds the case since its clock was escalated (the
    # case stays in `queue_role`'s queue): `CaseStandards.escalated_to`.
    escalated_to: str | None
    open_referrals: int
    next_reminder_at: datetime | None
    next_step_due_at: datetime | None
    id_card_held: bool
    merged_into: UUID | None
    forwarded_to: str | None

    @classmethod
    def of(
        cls, state: CaseState, standards: CaseStandards, applicant_name: str | None = None
    ) -> CaseRow:
        clock = state.clock
        due = standards.deadline_for(state)
        return made(  # as `cls(...)`, without the frozen `__init__`'s cost
            cls,
            case_id=state.case_id,
            office=state.office,
            service=state.service,
            variant=state.variant,
            channel=state.channel,
            ticket_number=state.ticket_number,
            status=state.status,
            assigned_to=state.assigned_to,
            assignee_role=state.assignee_role,
            outcome=state.outcome,
            opened_at=state.opened_at,
            resolved_at=state.resolved_at,
            last_position=state.last_position,
            applicant_name=applicant_name,
            stage=state.stage,
            stage_changed_at=state.stage_changed_at,
            queue_role=standards.queue_role(state),
            clock_number=clock.number if clock else None,
            clock_started_at=clock.started_at if clock else None,
            budget_seconds=due.budget if due else None,
            due_at=due.due_at if due else None,
            warn_at=due.warn_at if due else None,
            clock_paused=bool(clock and clock.paused),
            clock_stopped_at=clock.stopped_at if clock else None,
            warned=bool(clock and clock.warned),
            breached=bool(clock and clock.breached),
            escalated_to=standards.escalated_to(state),
            open_referrals=len(state.open_referrals),
            next_reminder_at=standards.next_reminder_at(state),
            next_step_due_at=standards.next_step_due_at(state),
            id_card_held=state.id_card_held,
            merged_into=state.merged_into,
            forwarded_to=state.forwarded_to,
        )

    def values(self) -> tuple[Any, ...]:
        """The column values, in `COLUMNS` order."""
        return tuple(getattr(self, name) for name in COLUMNS)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(CaseRow))
