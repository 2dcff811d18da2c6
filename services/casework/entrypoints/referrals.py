"""Referrals over HTTP: refer a case, the receiver's answer, closing the referral."""

from __future__ import annotations

from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Request, status

from services.casework.domain.commands import AnswerReferral, CloseReferral, MakeReferral
from services.casework.entrypoints.deps import accepted, command_case, get_casework
from services.casework.entrypoints.schemas import CommandAccepted
from services.casework.service_layer.answer_referral import answer_referral
from services.casework.service_layer.close_referral import close_referral
from services.casework.service_layer.refer_case import refer_case
from shared.auth import Staff, StaffRoles
from shared.contracts import case_roles

router = APIRouter(prefix="/v1/cases", tags=["cases"])


@router.post(
    "/{case_id}/referrals",
    response_model=CommandAccepted,
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(StaffRoles(*case_roles.REFERRERS))],
)
async def make_referral(
    case_id: UUID, body: MakeReferral, request: Request, staff: Staff
) -> CommandAccepted:
    """Refer the case to another agency or programme (ReferralMade with a new referral id)."""
    case, actor = await command_case(request, staff, case_id, case_roles.REFERRERS)
    casework = get_casework(request)
    referral_id = uuid4()  # the same id on a retry: one referral, however often we decide
    envelopes = await refer_case(
        casework.new_uow, casework.standards, case, body, actor, referral_id=referral_id
    )
    answer = await accepted(request, case_id, envelopes)
    answer.referral_id = referral_id
    return answer


@router.post(
    "/{case_id}/referrals/{referral_id}/answer",
    response_model=CommandAccepted,
    dependencies=[Depends(StaffRoles(*case_roles.REFERRERS))],
)
async def answer(
    case_id: UUID, referral_id: UUID, body: AnswerReferral, request: Request, staff: Staff
) -> CommandAccepted:
    """The receiver accepted or refused the referral (ReferralAccepted / ReferralRefused)."""
    case, actor = await command_case(request, staff, case_id, case_roles.REFERRERS)
    envelopes = await answer_referral(get_casework(request).new_uow, case, referral_id, body, actor)
    return await accepted(request, case_id, envelopes)


@router.post(
    "/{case_id}/referrals/{referral_id}/close",
    response_model=CommandAccepted,
    dependencies=[Depends(StaffRoles(*case_roles.REFERRERS))],
)
async def close(
    case_id: UUID, referral_id: UUID, body: CloseReferral, request: Request, staff: Staff
) -> CommandAccepted:
    """The referral is finished; its follow-up reminders stop (ReferralClosed)."""
    case, actor = await command_case(request, staff, case_id, case_roles.REFERRERS)
    envelopes = await close_referral(get_casework(request).new_uow, case, referral_id, body, actor)
    return await accepted(request, case_id, envelopes)
