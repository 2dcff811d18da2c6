"""Use case: record counselling (LK3 step 6)."""

from __future__ import annotations

from services.casework.domain import social_work
from services.casework.domain.commands import RecordCounselling
from services.casework.domain.standards import CaseStandards
from services.casework.service_layer.case_command import Actor, CaseRef, decide_on_case
from services.casework.service_layer.unit_of_work import NewUnitOfWork
from shared.contracts.base import EventEnvelope


async def record_counselling(
    new_uow: NewUnitOfWork,
    standards: CaseStandards,
    case: CaseRef,
    cmd: RecordCounselling,
    actor: Actor,
) -> list[EventEnvelope]:
    """One counselling session by the case's psychologist (confidential notes), at most as
    many as the service's standard plans (`sessions_max`)."""
    return await decide_on_case(
        new_uow,
        case,
        actor,
        lambda state: social_work.record_counselling(
            state,
            cmd,
            staff_id=actor.staff_id,
            by=actor.actor,
            max_sessions=standards.sessions_max(state),
        ),
    )
