"""Use case: answer case."""

from __future__ import annotations

from services.casework.domain import lifecycle
from services.casework.domain.commands import AnswerCase
from services.casework.service_layer.case_command import Actor, CaseRef, decide_on_case
from services.casework.service_layer.unit_of_work import NewUnitOfWork
from shared.contracts.base import EventEnvelope


async def answer_case(
    new_uow: NewUnitOfWork, case: CaseRef, cmd: AnswerCase, actor: Actor
) -> list[EventEnvelope]:
    """The citizen got the answer (CaseAnswered); the clock stops."""
    return await decide_on_case(
        new_uow,
        case,
        actor,
        lambda state: lifecycle.answer(state, cmd, by=actor.actor),
    )
