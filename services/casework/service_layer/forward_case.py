"""Use case: forward case."""

from __future__ import annotations

from services.casework.domain import lifecycle
from services.casework.domain.commands import ForwardCase
from services.casework.service_layer.case_command import Actor, CaseRef, decide_on_case
from services.casework.service_layer.unit_of_work import NewUnitOfWork
from shared.contracts.base import EventEnvelope


async def forward_case(
    new_uow: NewUnitOfWork, case: CaseRef, cmd: ForwardCase, actor: Actor
) -> list[EventEnvelope]:
    """Not our authority: forward the case to the body that has it (CaseForwarded)."""
    return await decide_on_case(
        new_uow,
        case,
        actor,
        lambda state: lifecycle.forward(state, cmd, by=actor.actor),
    )
