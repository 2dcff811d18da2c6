"""Draft the case's letter: the role of the chain's draft step drafts, once the
documents are complete and DTKS is verified where the service requires it; where the
chain starts with a disposition, the official casework's disposition (or a delegation
after it) names drafts, in the role it names.

Every refusal that does not depend on the text is checked before the text is composed.
The case's checklist row is locked: one draft per case at a time.
"""

from __future__ import annotations

from uuid import UUID, uuid4

from services.documents.domain import letter as model
from services.documents.domain.commands import DraftLetter
from services.documents.domain.content import LetterFacts, about, compose
from services.documents.domain.facts import CaseForDrafting, NewLetter
from services.documents.domain.identity import unchecked_basis
from services.documents.service_layer.common import (
    NewUnitOfWork,
    chain_plan,
    command_meta,
    run,
)
from shared.auth import StaffIdentity, authorize
from shared.catalogue import Catalogue
from shared.contracts.base import Event
from shared.localtime import local_date
from shared.logging import get_logger
from shared.refusal import Refused

log = get_logger(__name__)


def decide_draft(
    catalogue: Catalogue,
    cmd: DraftLetter,
    staff: StaffIdentity,
    letter_id: UUID,
    facts: CaseForDrafting,
) -> list[Event]:
    case = facts.case
    authorize(staff, office=case.office)
    office = catalogue.office(case.office)
    service = office.service(case.service)
    plan = chain_plan(catalogue, case)
    model.drafting_role(plan, staff.actor, staff.roles, facts.disposed)
    if case.variant is None:
        raise Refused.conflict("variant_not_set", "The case has no variant yet.")
    variant = service.variant(case.variant)
    product = model.choose_product(service, variant, cmd.product)
    dtks_status = facts.dtks.status if facts.dtks else None
    model.ensure_can_draft(  # documents, DTKS, disposition: before the text is composed
        checklist=facts.checklist,
        plan=plan,
        product=product,
        actor=staff.actor,
        roles=staff.roles,
        requires_dtks=service.requires_dtks,
        dtks_status=dtks_status,
        existing=facts.existing,
        disposed=facts.disposed,
    )
    registration = facts.registration
    letter_facts = LetterFacts(
        office=office,
        service=service,
        variant=variant,
        product=product,
        ticket_number=registration.ticket_number,
        applicant=registration.applicant,
        on_behalf_of=registration.on_behalf_of,
        programmes=facts.dtks.programmes if facts.dtks else (),
        dtks_listed=dtks_status == "verified",
        dtks_source=facts.dtks.source if facts.dtks else None,
        request_date=local_date(registration.received_at, office.region_code),
        request_summary=registration.description,
        recipient=cmd.recipient,
        text=cmd.text,
        # The registry's identity only where it verified the person (not a stale
        # answer after a NIK correction that was then not found).
        registry=facts.dtks.registry if facts.dtks and dtks_status == "verified" else None,
        unchecked=unchecked_basis(case.channel, {t for t, _form in facts.checklist.received}),
    )
    subject, body = compose(letter_facts)
    return model.draft(
        letter_id=letter_id,
        checklist=facts.checklist,
        plan=plan,
        product=product,
        subject=subject,
        body=body,
        actor=staff.actor,
        roles=staff.roles,
        requires_dtks=service.requires_dtks,
        dtks_status=dtks_status,
        existing=facts.existing,
        disposed=facts.disposed,
        requested_at=facts.checklist.requested_at,
        promise=facts.checklist.promise,
        about=about(letter_facts),
    )


async def draft_letter(
    new_uow: NewUnitOfWork,
    catalogue: Catalogue,
    cmd: DraftLetter,
    staff: StaffIdentity,
    correlation_id: UUID,
) -> UUID:
    """The new letter's id."""
    key = NewLetter(cmd.case_id, uuid4())
    appended = await run(
        new_uow,
        lambda uow: uow.new_letters,
        key,
        lambda facts: decide_draft(catalogue, cmd, staff, key.letter_id, facts),
        command_meta(staff, correlation_id),
    )
    log.info(
        "letter_drafted", letter_id=str(key.letter_id), letter_type=appended[0].data["letter_type"]
    )
    return key.letter_id
