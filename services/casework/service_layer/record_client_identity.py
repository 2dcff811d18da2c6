"""Use case: record client identity."""

from __future__ import annotations

from services.casework.domain import social_work
from services.casework.domain.commands import Transition
from services.casework.service_layer.case_command import Actor, CaseRef, decide_on_case
from services.casework.service_layer.unit_of_work import NewUnitOfWork
from shared.contracts.base import EventEnvelope


async def record_client_identity(
    new_uow: NewUnitOfWork, case: CaseRef, cmd: Transition, actor: Actor
) -> list[EventEnvelope]:
    """LK3 step 2: the client's identity recorded (ClientIdentityRecorded)."""
    return await decide_on_case(
        new_uow,
        case,
        actor,
        lambda state: social_work.record_identity(state, cmd, by=actor.actor),
    )
