"""Use case: answer a referral."""

from __future__ import annotations

from uuid import UUID

from services.casework.domain import referrals
from services.casework.domain.commands import AnswerReferral
from services.casework.service_layer.case_command import Actor, CaseRef, decide_on_case
from services.casework.service_layer.unit_of_work import NewUnitOfWork
from shared.contracts.base import EventEnvelope


async def answer_referral(
    new_uow: NewUnitOfWork, case: CaseRef, referral_id: UUID, cmd: AnswerReferral, actor: Actor
) -> list[EventEnvelope]:
    """The receiver accepted or refused the referral (ReferralAccepted / ReferralRefused)."""
    return await decide_on_case(
        new_uow,
        case,
        actor,
        lambda state: referrals.answer_referral(state, referral_id, cmd, by=actor.actor),
    )
