"""Use case: the ID card a visitor left at reception is handed back (`IdCardReturned`).

Lock, fold, decide, append (`decide_and_append`): a card is returned once; a second
return is refused (`already_returned`).
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from services.intake.adapters.unit_of_work import IntakeWork
from services.intake.domain import visits
from shared.auth import StaffIdentity
from shared.contracts.base import EventMetadata
from shared.unit_of_work import decide_and_append


async def return_id_card(
    new_uow: Callable[[], IntakeWork],
    staff: StaffIdentity,
    visit_id: UUID,
    *,
    correlation_id: UUID,
) -> dict[str, str]:
    appended = await decide_and_append(
        new_uow,
        lambda uow: uow.visits,
        visit_id,
        lambda visit: visits.return_id_card(
            visit_id, visit, staff_office=staff.office, actor=staff.actor
        ),
        EventMetadata(office=staff.office, correlation_id=correlation_id, actor=staff.actor),
    )
    assert appended
    return {"visit_id": str(visit_id), "id_card": "returned"}
