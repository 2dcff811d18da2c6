"""Use case: the disposed official delegates the case down the line."""

from __future__ import annotations

from services.casework.domain import lifecycle
from services.casework.domain.commands import DelegateCase
from services.casework.domain.standards import CaseStandards
from services.casework.service_layer.case_command import Actor, CaseRef, decide_on_case
from services.casework.service_layer.unit_of_work import NewUnitOfWork
from shared.contracts.base import EventEnvelope


async def delegate_case(
    new_uow: NewUnitOfWork,
    standards: CaseStandards,
    case: CaseRef,
    cmd: DelegateCase,
    actor: Actor,
) -> list[EventEnvelope]:
    """The official a case was disposed (or delegated) to hands it on to a role the
    standard allows for theirs (CaseDelegated): the delegate now owns the case and drafts
    its written answer. Only the current owner delegates (403 `not_assignee`)."""
    return await decide_on_case(
        new_uow,
        case,
        actor,
        lambda state: lifecycle.delegate(
            state,
            cmd,
            staff_id=actor.staff_id,
            by=actor.actor,
            rule=standards.disposition_rule(state),
        ),
    )
