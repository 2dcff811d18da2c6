"""The facts documents only records, taken from the other services (registrations, DTKS
answers, dispositions and delegations): each one's policy, in one place for the three
paths that run them: the consumer event by event, the consumer a run at a time (into
memory, `projections.Refolded`), and the rebuild."""

from __future__ import annotations

from services.documents.adapters.unit_of_work import DocumentsUnitOfWork
from services.documents.service_layer.when_case_disposed_record_drafter import (
    when_case_delegated_record_drafter,
    when_case_disposed_record_drafter,
)
from services.documents.service_layer.when_complaint_registered_open_checklist import (
    when_complaint_registered_open_checklist,
)
from services.documents.service_layer.when_dtks_checked_record_result import (
    when_dtks_not_found_record_result,
    when_dtks_verified_record_result,
)
from shared.catalogue import Catalogue
from shared.contracts.base import Event, EventEnvelope
from shared.contracts.casework_events import CaseDelegated
from shared.contracts.events import CaseAssigned, ComplaintRegistered, DtksNotFound, DtksVerified

TAKEN_IN: tuple[type[Event], ...] = (
    ComplaintRegistered,
    DtksVerified,
    DtksNotFound,
    CaseAssigned,
    CaseDelegated,
)


async def record_taken_in(
    uow: DocumentsUnitOfWork, envelope: EventEnvelope, catalogue: Catalogue
) -> bool:
    """Run the policy of a fact documents only records; False for any other event."""
    event = envelope.payload()
    match event:
        case ComplaintRegistered():
            await when_complaint_registered_open_checklist(uow, event, catalogue)
        case DtksVerified():
            await when_dtks_verified_record_result(uow, event, envelope)
        case DtksNotFound():
            await when_dtks_not_found_record_result(uow, event, envelope)
        case CaseAssigned():
            await when_case_disposed_record_drafter(uow, event, envelope)
        case CaseDelegated():
            await when_case_delegated_record_drafter(uow, event, envelope)
        case _:
            return False
    return True
