"""Use case: start work."""

from __future__ import annotations

from services.casework.domain import lifecycle
from services.casework.domain.commands import Transition
from services.casework.service_layer.case_command import Actor, CaseRef, decide_on_case
from services.casework.service_layer.unit_of_work import NewUnitOfWork
from shared.contracts.base import EventEnvelope


async def start_work(
    new_uow: NewUnitOfWork, case: CaseRef, cmd: Transition, actor: Actor
) -> list[EventEnvelope]:
    """assigned -> in_progress, by the case's owner (CaseWorkStarted)."""
    return await decide_on_case(
        new_uow,
        case,
        actor,
        lambda state: lifecycle.start_work(state, cmd, staff_id=actor.staff_id, by=actor.actor),
    )
