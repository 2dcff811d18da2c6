"""Use case: close a referral."""

from __future__ import annotations

from uuid import UUID

from services.casework.domain import referrals
from services.casework.domain.commands import CloseReferral
from services.casework.service_layer.case_command import Actor, CaseRef, decide_on_case
from services.casework.service_layer.unit_of_work import NewUnitOfWork
from shared.contracts.base import EventEnvelope


async def close_referral(
    new_uow: NewUnitOfWork, case: CaseRef, referral_id: UUID, cmd: CloseReferral, actor: Actor
) -> list[EventEnvelope]:
    """The referral is finished; its follow-up reminders stop (ReferralClosed)."""
    return await decide_on_case(
        new_uow,
        case,
        actor,
        lambda state: referrals.close_referral(state, referral_id, cmd, by=actor.actor),
    )
