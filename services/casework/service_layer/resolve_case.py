"""Use case: resolve case."""

from __future__ import annotations

from services.casework.domain import lifecycle
from services.casework.domain.commands import ResolveCase
from services.casework.service_layer.case_command import Actor, CaseRef, decide_on_case
from services.casework.service_layer.unit_of_work import NewUnitOfWork
from shared.contracts.base import EventEnvelope


async def resolve_case(
    new_uow: NewUnitOfWork, case: CaseRef, cmd: ResolveCase, actor: Actor
) -> list[EventEnvelope]:
    """Close the case with an outcome (CaseResolved); refused as `already_resolved` the
    second time."""
    return await decide_on_case(
        new_uow,
        case,
        actor,
        lambda state: lifecycle.resolve(state, cmd, by=actor.actor),
    )
