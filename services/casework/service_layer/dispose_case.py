"""Use case: dispose case."""

from __future__ import annotations

from services.casework.domain import lifecycle
from services.casework.domain.commands import AssignCase
from services.casework.service_layer.case_command import Actor, CaseRef, decide_on_case
from services.casework.service_layer.unit_of_work import NewUnitOfWork
from shared.contracts.base import EventEnvelope


async def dispose_case(
    new_uow: NewUnitOfWork, case: CaseRef, cmd: AssignCase, actor: Actor
) -> list[EventEnvelope]:
    """The head of office's disposition (disposisi): the case given to an official with a
    written instruction (CaseAssigned, kind disposition)."""
    return await decide_on_case(
        new_uow,
        case,
        actor,
        lambda state: lifecycle.assign(state, cmd, by=actor.actor, kind="disposition"),
    )
