"""Use case: refer a case to another agency or programme (LK3 step 7, and any service)."""

from __future__ import annotations

from uuid import UUID

from services.casework.domain import referrals
from services.casework.domain.commands import MakeReferral
from services.casework.domain.standards import CaseStandards
from services.casework.service_layer.case_command import Actor, CaseRef, decide_on_case
from services.casework.service_layer.unit_of_work import NewUnitOfWork
from shared.contracts.base import EventEnvelope


async def refer_case(
    new_uow: NewUnitOfWork,
    standards: CaseStandards,
    case: CaseRef,
    cmd: MakeReferral,
    actor: Actor,
    *,
    referral_id: UUID,
) -> list[EventEnvelope]:
    """ReferralMade with `referral_id` (chosen by the caller: the same id on a retry, one
    referral however often we decide). Where the standard lists agencies or programmes,
    the agency must be one of them (422 unknown_agency); a programme named must be one of
    the standard's (422 unknown_programme), and the agency one that runs it (422
    agency_not_for_programme). Where it refers to programmes
    after its letter (Pariaman), a case resolved by its signed letter may still be
    referred; a closed case, or one resolved otherwise, is refused (409 already_resolved)."""
    return await decide_on_case(
        new_uow,
        case,
        actor,
        lambda state: referrals.refer(
            state,
            cmd,
            referral_id=referral_id,
            by=actor.actor,
            known_agencies=standards.known_agencies(state),
            programmes=standards.programme_agencies(state),
            after_letter=standards.goes_on_after_letter(state),
        ),
    )
