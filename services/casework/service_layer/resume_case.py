"""Use case: resume case."""

from __future__ import annotations

from services.casework.domain import lifecycle
from services.casework.domain.commands import Transition
from services.casework.service_layer.case_command import Actor, CaseRef, decide_on_case
from services.casework.service_layer.unit_of_work import NewUnitOfWork
from shared.contracts.base import EventEnvelope


async def resume_case(
    new_uow: NewUnitOfWork, case: CaseRef, cmd: Transition, actor: Actor
) -> list[EventEnvelope]:
    """The wait is over; back to the stage before the pause (CaseResumed)."""
    return await decide_on_case(
        new_uow,
        case,
        actor,
        lambda state: lifecycle.resume(state, cmd, by=actor.actor),
    )
