"""Use case: hand over case."""

from __future__ import annotations

from services.casework.domain import lifecycle
from services.casework.domain.commands import AssignCase
from services.casework.service_layer.case_command import Actor, CaseRef, decide_on_case
from services.casework.service_layer.unit_of_work import NewUnitOfWork
from shared.contracts.base import EventEnvelope


async def hand_over_case(
    new_uow: NewUnitOfWork, case: CaseRef, cmd: AssignCase, actor: Actor
) -> list[EventEnvelope]:
    """Reception takes a walk-in visitor to the appointed official (CaseAssigned, kind
    handover); walk-in cases only."""
    return await decide_on_case(
        new_uow,
        case,
        actor,
        lambda state: lifecycle.assign(state, cmd, by=actor.actor, kind="handover"),
    )
