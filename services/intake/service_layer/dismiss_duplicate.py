"""Use case: staff dismiss a likely-duplicate link (`DuplicateDismissed`): the two cases
are different requests and both go on.

Lock, fold, decide, append (`decide_and_append`): two officers deciding at once get one
success and one `already_decided` refusal, never two facts.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from services.intake.adapters.unit_of_work import IntakeWork
from services.intake.domain import duplicates
from shared.auth import StaffIdentity
from shared.contracts.base import EventMetadata
from shared.unit_of_work import decide_and_append


async def dismiss_duplicate(
    new_uow: Callable[[], IntakeWork],
    staff: StaffIdentity,
    case_id: UUID,
    *,
    reason: str,
    correlation_id: UUID,
) -> dict[str, str]:
    appended = await decide_and_append(
        new_uow,
        lambda uow: uow.duplicates,
        case_id,
        lambda link: duplicates.dismiss(
            link, staff_office=staff.office, actor=staff.actor, reason=reason
        ),
        EventMetadata(
            case_id=case_id,
            office=staff.office,
            correlation_id=correlation_id,
            actor=staff.actor,
        ),
    )
    duplicate_of = appended[0].data["duplicate_of"]
    return {"case_id": str(case_id), "duplicate_of": str(duplicate_of), "status": "dismissed"}
