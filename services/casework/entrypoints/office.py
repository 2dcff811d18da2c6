"""The office's figures for its head and Kabid: requests by channel and service in a
period, what was resolved within the published time, what is open and overdue now
(`GET /v1/work/summary`). Read from the case rows (a projection, rebuildable); the SQL is
`views.office_summary`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.casework import views
from services.casework.entrypoints.deps import get_casework
from services.casework.entrypoints.schemas import OfficeSummary
from shared.auth import Staff, authorize
from shared.contracts.case_roles import IKM_READERS
from shared.refusal import Refused

router = APIRouter(prefix="/v1/work", tags=["work"])


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


@router.get("/summary", response_model=OfficeSummary)
async def office_summary(
    request: Request,
    staff: Staff,
    since: Annotated[datetime, Query(description="Start of the period (inclusive; ISO 8601).")],
    until: Annotated[
        datetime | None, Query(description="End of the period (exclusive); default now.")
    ] = None,
) -> OfficeSummary:
    """The caller's office: registered in [since, until) by channel and by service,
    resolved in the period and how many within the published time (SLA compliance), and
    open and overdue now."""
    authorize(staff, roles=IKM_READERS)
    now = datetime.now(UTC)
    start, end = _utc(since), _utc(until) if until else now
    if end <= start:
        raise Refused.invalid("invalid_period", "until must come after since.")
    async with get_casework(request).pool.acquire() as conn:
        figures = await views.office_summary(conn, staff.office, start, end, now)
    return OfficeSummary(office=staff.office, since=start, until=end, as_of=now, **figures)
