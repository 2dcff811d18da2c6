"""Assign who drafts a case's letter, where the approval chain starts with it (Kupang:
the head of office names the competent official; the catalogue calls the step
`disposition`). This is the documents service's drafting assignment
(`LetterDraftingAssigned`), not casework's disposisi of a case."""

from __future__ import annotations

from uuid import UUID

from services.documents.domain import letter as model
from services.documents.domain.commands import AssignDrafting
from services.documents.domain.facts import CaseForAssignment
from services.documents.service_layer.common import (
    NewUnitOfWork,
    chain_plan,
    command_meta,
    run,
)
from shared.auth import StaffIdentity, authorize
from shared.catalogue import Catalogue
from shared.contracts.base import Event
from shared.logging import get_logger

log = get_logger(__name__)


async def assign_drafting(
    new_uow: NewUnitOfWork,
    catalogue: Catalogue,
    cmd: AssignDrafting,
    staff: StaffIdentity,
    correlation_id: UUID,
) -> str:
    """The assignee."""

    def decide(facts: CaseForAssignment) -> list[Event]:
        authorize(staff, office=facts.case.office)
        return model.assign_drafting(
            chain_plan(catalogue, facts.case),
            case_id=cmd.case_id,
            assignee=cmd.assignee,
            actor=staff.actor,
            roles=staff.roles,
            note=cmd.note,
            drafted=facts.drafted,
        )

    await run(
        new_uow,
        lambda uow: uow.assignments,
        cmd.case_id,
        decide,
        command_meta(staff, correlation_id),
    )
    log.info("letter_drafting_assigned", assignee=cmd.assignee)
    return cmd.assignee
