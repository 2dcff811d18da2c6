"""Use case: hand to back office."""

from __future__ import annotations

from services.casework.domain import lifecycle
from services.casework.domain.commands import Transition
from services.casework.service_layer.case_command import Actor, CaseRef, decide_on_case
from services.casework.service_layer.unit_of_work import NewUnitOfWork
from shared.contracts.base import EventEnvelope


async def hand_to_back_office(
    new_uow: NewUnitOfWork, case: CaseRef, cmd: Transition, actor: Actor
) -> list[EventEnvelope]:
    """front_office -> back_office (CaseTransferred); refused if the citizen was not verified."""
    return await decide_on_case(
        new_uow,
        case,
        actor,
        lambda state: lifecycle.hand_to_back_office(state, cmd, by=actor.actor),
    )
