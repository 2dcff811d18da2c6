"""The completeness decision on a case's checklist: when something is missing the
citizen is to be told what to bring (`DocumentsMissingNoted`), once per distinct list."""

from __future__ import annotations

from uuid import UUID

from services.documents.domain import checklist as model
from services.documents.domain.facts import ChecklistOnFile
from services.documents.service_layer.common import NewUnitOfWork, command_meta, run
from services.documents.service_layer.record_document import RECEIVE_ROLES
from shared.auth import StaffIdentity, authorize
from shared.contracts.base import Event
from shared.logging import get_logger

log = get_logger(__name__)


async def decide_checklist(
    new_uow: NewUnitOfWork, case_id: UUID, staff: StaffIdentity, correlation_id: UUID
) -> model.Checklist:
    """The checklist as decided on (after the note, if one was made)."""
    after: list[model.Checklist] = []

    def decide(on_file: ChecklistOnFile) -> list[Event]:
        authorize(staff, roles=RECEIVE_ROLES, office=on_file.case.office)
        events = model.note_missing(on_file.checklist, noted_by=staff.actor)
        after[:] = [model.fold(on_file.checklist, events)]
        return events

    appended = await run(
        new_uow, lambda uow: uow.checklists, case_id, decide, command_meta(staff, correlation_id)
    )
    if appended:
        log.info("documents_missing_noted", missing=after[0].missing)
    return after[0]
