"""Use case: reopen case."""

from __future__ import annotations

from services.casework.domain import lifecycle
from services.casework.domain.commands import Transition
from services.casework.service_layer.case_command import Actor, CaseRef, decide_on_case
from services.casework.service_layer.unit_of_work import NewUnitOfWork
from shared.contracts.base import EventEnvelope


async def reopen_case(
    new_uow: NewUnitOfWork, case: CaseRef, cmd: Transition, actor: Actor
) -> list[EventEnvelope]:
    """answered | resolved | closed -> in_progress with a new deadline clock (CaseReopened)."""
    return await decide_on_case(
        new_uow,
        case,
        actor,
        lambda state: lifecycle.reopen(state, cmd, by=actor.actor),
    )
