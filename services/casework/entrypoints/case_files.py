"""Reading case files: the office's case list, the case file with its timeline, a case as
of a past moment, and its deadline clock. Every read of a case file is recorded in
`casework.access_log`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request

from services.casework import views
from services.casework.adapters.access_log import record_access
from services.casework.domain.model import CaseStatus, fold
from services.casework.entrypoints.deps import bind_case, get_casework
from services.casework.entrypoints.schemas import CaseAsOf, CaseFile, CaseList, CaseSummary
from services.casework.service_layer.access import may_see_reporter
from shared.audit import audited
from shared.auth import Staff, authorize
from shared.contracts.case_roles import CASE_READERS
from shared.logging import get_logger
from shared.pagination import CURSOR_QUERY, decode_cursor, encode_cursor
from shared.refusal import Refused
from shared.reporter import IDENTITY_READERS

log = get_logger(__name__)
router = APIRouter(prefix="/v1/cases", tags=["cases"])


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


@router.get("", response_model=CaseList, dependencies=[audited("list_cases")])
async def list_cases(
    request: Request,
    staff: Staff,
    status_: Annotated[CaseStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, CURSOR_QUERY] = None,
) -> CaseList:
    """The cases of the caller's own office, newest first, optionally by status; a page
    at a time (`next_cursor` names the next one)."""
    authorize(staff, roles=CASE_READERS)
    position = decode_cursor(cursor, "opened_at", "case_id")
    try:
        after = (
            (datetime.fromisoformat(position["opened_at"]), UUID(position["case_id"]))
            if position
            else None
        )
    except (TypeError, ValueError) as exc:
        raise Refused.invalid("cursor_invalid", "This cursor is not one of this list.") from exc
    async with get_casework(request).pool.acquire() as conn:
        rows = await views.list_cases(
            conn,
            staff.office,
            status=status_,
            limit=limit + 1,
            confidential_names=staff.has_any(IDENTITY_READERS),
            after=after,
        )
    page, more = rows[:limit], len(rows) > limit
    last = page[-1] if more else None
    return CaseList(
        office=staff.office,
        cases=[CaseSummary.model_validate(r) for r in page],
        next_cursor=encode_cursor(
            {"opened_at": last["opened_at"].isoformat(), "case_id": str(last["case_id"])}
        )
        if last
        else None,
    )


@router.get(
    "/{case_id}",
    response_model=CaseFile,
    dependencies=[audited("read_case", subject="case_id", kind="case")],
)
async def get_case(case_id: UUID, request: Request, staff: Staff) -> CaseFile:
    """The case file: the case row and its full timeline. The read is recorded."""
    correlation = bind_case(request, case_id)
    pool = get_casework(request).pool
    # One snapshot: the case row and the timeline it was folded from agree.
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        row = await views.case_row(conn, case_id)
        authorize(staff, roles=CASE_READERS, office=row["office"])
        entries = await views.timeline(conn, case_id)
        state = fold(case_id, (e.fact for e in entries))
        items = await views.timeline_items(conn, staff, state, entries)
        await record_access(
            conn,
            staff_id=staff.staff_id,
            office=staff.office,
            case_id=case_id,
            purpose="view",
            correlation_id=correlation,
        )
    log.info("case_file_read", staff_id=staff.staff_id)
    if not may_see_reporter(staff, state):
        row = {**row, "applicant_name": None}
    return CaseFile(**row, timeline=items)


@router.get(
    "/{case_id}/as-of",
    response_model=CaseAsOf,
    dependencies=[audited("read_case_as_of", subject="case_id", kind="case")],
)
async def get_case_as_of(
    case_id: UUID,
    request: Request,
    staff: Staff,
    at: Annotated[datetime, Query(description="ISO 8601 time; without a zone, UTC.")],
) -> CaseAsOf:
    """The case as it stood at `at`: folded from the events recorded up to then."""
    correlation = bind_case(request, case_id)
    at = _utc(at)
    casework = get_casework(request)
    async with casework.pool.acquire() as conn, conn.transaction():
        row = await views.case_row(conn, case_id)
        authorize(staff, roles=CASE_READERS, office=row["office"])
        state, entries, name = await views.registered_as_of(conn, case_id, at)
        items = await views.timeline_items(conn, staff, state, entries)
        await record_access(
            conn,
            staff_id=staff.staff_id,
            office=staff.office,
            case_id=case_id,
            purpose="view_as_of",
            correlation_id=correlation,
        )
    if not may_see_reporter(staff, state):
        name = None
    then = casework.projection.row(state, name).as_dict()
    return CaseAsOf(**then, timeline=items, as_of=at)


@router.get("/{case_id}/deadline", response_model=views.ClockView)
async def get_deadline(
    case_id: UUID,
    request: Request,
    staff: Staff,
    at: Annotated[
        datetime | None,
        Query(description="The clock as it stood then (ISO 8601; UTC without a zone)."),
    ] = None,
) -> views.ClockView:
    """The case's deadline clock: due time in office time, pauses, time left."""
    bind_case(request, case_id)
    casework = get_casework(request)
    async with casework.pool.acquire() as conn:
        row = await views.case_row(conn, case_id)
        authorize(staff, roles=CASE_READERS, office=row["office"])
        if at is None:
            state = await views.current_state(conn, case_id)
        else:
            at = _utc(at)
            state, _, _ = await views.registered_as_of(conn, case_id, at)
    return views.clock_view(state, at or datetime.now(UTC), casework.standards)
