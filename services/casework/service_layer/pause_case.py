"""Use case: pause case."""

from __future__ import annotations

from services.casework.domain import lifecycle
from services.casework.domain.commands import PauseCase
from services.casework.service_layer.case_command import Actor, CaseRef, decide_on_case
from services.casework.service_layer.unit_of_work import NewUnitOfWork
from shared.contracts.base import EventEnvelope


async def pause_case(
    new_uow: NewUnitOfWork, case: CaseRef, cmd: PauseCase, actor: Actor
) -> list[EventEnvelope]:
    """Wait for the citizen or another agency; the deadline clock stops (CasePaused)."""
    return await decide_on_case(
        new_uow,
        case,
        actor,
        lambda state: lifecycle.pause(state, cmd, by=actor.actor),
    )
