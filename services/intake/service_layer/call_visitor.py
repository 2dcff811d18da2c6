"""Use case: reception calls a waiting visitor's queue number to the desk (`VisitCalled`).

Lock, fold, decide, append (`decide_and_append`): a number is called once; a second call
is refused (`already_called`). Which number is next (the oldest of the day not yet
called) is the caller's choice, read from `GET /v1/desk/visits`.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from services.intake.adapters.unit_of_work import IntakeWork
from services.intake.domain import visits
from shared.auth import StaffIdentity
from shared.contracts.base import EventMetadata
from shared.contracts.intake_events import VisitCalled
from shared.unit_of_work import decide_and_append


async def call_visitor(
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
        lambda visit: visits.call_visit(
            visit_id, visit, staff_office=staff.office, actor=staff.actor
        ),
        EventMetadata(office=staff.office, correlation_id=correlation_id, actor=staff.actor),
    )
    called = appended[0].payload()
    assert isinstance(called, VisitCalled)
    return {"visit_id": str(visit_id), "queue_number": called.queue_number, "status": "called"}
