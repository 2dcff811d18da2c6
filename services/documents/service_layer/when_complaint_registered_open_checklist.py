"""ComplaintRegistered: open the case's checklist from its catalogue variant (nothing
received yet), and snapshot the completion time the standard promises for its channel and
what the request itself gave (a phone number meets a `phone_number` requirement).

A checklist the request itself completes (Kupang's complaint by e-mail or WhatsApp with a
phone number) is complete from the start, with no `RequirementsCompleted`: like any
checklist complete with nothing received, it reads as complete (view, completeness
decision, drafting) and no document ever "completes" it.

Not a decision on a stream of ours: a projection of intake's fact, in the consumer's
transaction (a redelivery changes nothing). The rebuild runs this same step.
"""

from __future__ import annotations

from services.documents.adapters.unit_of_work import DocumentsUnitOfWork
from services.documents.domain import checklist as model
from services.documents.domain.facts import ChecklistOpened
from shared.catalogue import Catalogue, ServiceStandard
from shared.contracts.documents_events import CompletionPromise
from shared.contracts.events import ComplaintRegistered
from shared.contracts.vocab import Channel


def promise_for(service: ServiceStandard, channel: Channel | None) -> CompletionPromise:
    """The completion time the standard publishes for requests through `channel`."""
    duration = service.completion_time_for(channel) if channel else service.completion_time
    return CompletionPromise(
        value=duration.value,
        unit=duration.unit,
        label=duration.label,
        standard_version=service.version,
    )


def checklist_opened(event: ComplaintRegistered, catalogue: Catalogue) -> ChecklistOpened:
    service = catalogue.office(event.office).service(event.service)
    variant_id = event.variant
    if variant_id is None and len(service.variants) == 1:
        variant_id = next(iter(service.variants))  # the only kind of request there is
    required = (
        model.requirements_for(
            d for d in service.variant(variant_id).required_documents if d.applies_to(event.channel)
        )
        if variant_id is not None
        else ()
    )
    return ChecklistOpened(
        case_id=event.case_id,
        office=event.office,
        service=event.service,
        variant=variant_id,
        channel=event.channel.value,
        ticket_number=event.ticket_number,
        requires_dtks=service.requires_dtks,
        required=required,
        declared=tuple(event.documents_declared),
        given=model.given_by_request(event.applicant, required),
        registered_at=event.received_at,
        promise=promise_for(service, event.channel),
    )


async def when_complaint_registered_open_checklist(
    uow: DocumentsUnitOfWork, event: ComplaintRegistered, catalogue: Catalogue
) -> None:
    await uow.inbound.open_checklist(checklist_opened(event, catalogue))
