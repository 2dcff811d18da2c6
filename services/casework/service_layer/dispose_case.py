"""Use case: the head's disposition (disposisi) of a case."""

from __future__ import annotations

from services.casework.domain import lifecycle
from services.casework.domain.commands import AssignCase
from services.casework.domain.standards import CaseStandards
from services.casework.service_layer.case_command import Actor, CaseRef, decide_on_case
from services.casework.service_layer.unit_of_work import NewUnitOfWork
from shared.contracts.base import EventEnvelope


async def dispose_case(
    new_uow: NewUnitOfWork,
    standards: CaseStandards,
    case: CaseRef,
    cmd: AssignCase,
    actor: Actor,
) -> list[EventEnvelope]:
    """The head of office's disposition: the case given to an official with a written
    instruction (CaseAssigned, kind disposition), in a role the service's standard lets a
    disposition go to (422 `disposition_role_not_allowed` otherwise). This is the one
    disposition: documents follows it to know who drafts the written answer."""
    return await decide_on_case(
        new_uow,
        case,
        actor,
        lambda state: lifecycle.dispose(
            state, cmd, by=actor.actor, rule=standards.disposition_rule(state)
        ),
    )
