"""Use case: record assessment."""

from __future__ import annotations

from services.casework.domain import social_work
from services.casework.domain.commands import RecordAssessment
from services.casework.service_layer.case_command import Actor, CaseRef, decide_on_case
from services.casework.service_layer.unit_of_work import NewUnitOfWork
from shared.contracts.base import EventEnvelope


async def record_assessment(
    new_uow: NewUnitOfWork, case: CaseRef, cmd: RecordAssessment, actor: Actor
) -> list[EventEnvelope]:
    """LK3 step 4: the assigned social worker records the initial assessment (confidential)."""
    return await decide_on_case(
        new_uow,
        case,
        actor,
        lambda state: social_work.record_assessment(
            state, cmd, staff_id=actor.staff_id, by=actor.actor
        ),
    )
