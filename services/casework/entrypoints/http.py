"""Staff HTTP API of casework: read case files, and the commands of the case lifecycle.

Thin: find the case (404 / 409 case_not_ready), check office and role (403), call a use
case, map a domain refusal to 409 (or 403 for not_assignee). Every read of a case file
is recorded in casework.access_log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel, Field

from services.casework import views
from services.casework.domain.commands import (
    AssignCase,
    MakeReferral,
    RecordAssessment,
    ResolveCase,
)
from services.casework.domain.decisions import CaseworkRefused
from services.casework.domain.model import CaseState, CaseStatus, fold
from services.casework.domain.timeline import REDACTED, TimelineEntry
from services.casework.service_layer import commands
from services.casework.service_layer.access import record_access
from services.casework.service_layer.commands import CaseRef, StaffActor
from shared.auth import Staff, StaffIdentity, authorize
from shared.contracts.base import EventEnvelope
from shared.contracts.vocab import Role
from shared.eventstore.store import ConcurrencyError
from shared.http import ApiError, correlation_id
from shared.logging import bind_context, get_logger
from shared.runtime import get_runtime

log = get_logger(__name__)
router = APIRouter(prefix="/v1/cases", tags=["cases"])

# Analysts read reports, not case files; admins run the system.
CASE_READERS = frozenset(Role) - {Role.ANALYST, Role.ADMIN}
ASSIGNERS = frozenset({Role.HEAD_OF_OFFICE, Role.KABID, Role.FRONT_OFFICE, Role.SUB_COORDINATOR})
ASSESSORS = frozenset({Role.SOCIAL_WORKER})
REFERRERS = frozenset({Role.SOCIAL_WORKER, Role.OFFICER, Role.FRONT_OFFICE, Role.BACK_OFFICE})
RESOLVERS = frozenset(
    {Role.FRONT_OFFICE, Role.OFFICER, Role.SOCIAL_WORKER, Role.KABID, Role.HEAD_OF_OFFICE}
)
# Counselling notes: the social workers / psychologists the case was assigned to.
NOTE_READERS = frozenset({Role.SOCIAL_WORKER, Role.PSYCHOLOGIST})


# ---- response shapes -------------------------------------------------------------------


class TimelineItem(BaseModel):
    position: int
    event_id: UUID
    event_type: str
    actor: str
    time: datetime = Field(description="When the event was recorded in the store.")
    occurred_at: datetime
    summary: str = Field(description="One line in Bahasa Indonesia, without personal data.")
    details: dict[str, Any]


class CaseSummary(BaseModel):
    case_id: UUID
    office: str
    service: str
    variant: str | None
    channel: str
    ticket_number: str
    status: CaseStatus
    assigned_to: str | None
    assignee_role: str | None
    outcome: str | None
    opened_at: datetime
    resolved_at: datetime | None
    last_position: int
    applicant_name: str | None


class CaseFile(CaseSummary):
    timeline: list[TimelineItem]


class CaseAsOf(CaseFile):
    as_of: datetime


class CaseList(BaseModel):
    office: str
    cases: list[CaseSummary]


class RecordedEvent(BaseModel):
    event_id: UUID
    event_type: str
    stream_version: int
    global_position: int | None


class CommandAccepted(BaseModel):
    case_id: UUID
    status: CaseStatus | None
    events: list[RecordedEvent]
    referral_id: UUID | None = None


# ---- helpers ---------------------------------------------------------------------------


async def _case_row(conn: asyncpg.Connection, case_id: UUID) -> dict[str, Any]:
    row = await views.find_case(conn, case_id)
    if row is not None:
        return row
    if await views.has_facts(conn, case_id):
        raise ApiError(
            409,
            "case_not_ready",
            "Events of this case arrived, but its registration has not yet; try again shortly.",
        )
    raise ApiError(404, "case_not_found", f"No case {case_id}.")


def _may_read_notes(staff: StaffIdentity, state: CaseState) -> bool:
    return staff.has_any(NOTE_READERS) and staff.staff_id in state.care_team


async def _timeline_items(
    conn: asyncpg.Connection,
    staff: StaffIdentity,
    state: CaseState,
    entries: Sequence[TimelineEntry],
) -> list[TimelineItem]:
    confidential = [e.event_id for e in entries if e.event_type == "AssessmentRecorded"]
    notes = (
        await views.confidential_notes(conn, confidential)
        if confidential and _may_read_notes(staff, state)
        else {}
    )
    items = []
    for e in entries:
        details = dict(e.data)
        if e.event_type == "AssessmentRecorded":
            details["summary"] = notes.get(e.event_id, REDACTED)
        items.append(
            TimelineItem(
                position=e.position,
                event_id=e.event_id,
                event_type=e.event_type,
                actor=e.actor,
                time=e.recorded_at,
                occurred_at=e.occurred_at,
                summary=e.summary,
                details=details,
            )
        )
    return items


def _state_fields(state: CaseState) -> dict[str, Any]:
    return {
        "case_id": state.case_id,
        "office": state.office,
        "service": state.service,
        "variant": state.variant,
        "channel": state.channel,
        "ticket_number": state.ticket_number,
        "status": state.status,
        "assigned_to": state.assigned_to,
        "assignee_role": state.assignee_role,
        "outcome": state.outcome,
        "opened_at": state.opened_at,
        "resolved_at": state.resolved_at,
        "last_position": state.last_position,
    }


def _bind(request: Request, case_id: UUID) -> UUID:
    correlation = correlation_id(request)
    bind_context(case_id=str(case_id), correlation_id=str(correlation))
    return correlation


# ---- reads -----------------------------------------------------------------------------


@router.get("", response_model=CaseList)
async def list_cases(
    request: Request,
    staff: Staff,
    status_: Annotated[CaseStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> CaseList:
    """The cases of the caller's own office, newest first, optionally by status."""
    authorize(staff, roles=CASE_READERS)
    async with get_runtime(request).pool.acquire() as conn:
        rows = await views.list_cases(conn, staff.office, status=status_, limit=limit)
    return CaseList(office=staff.office, cases=[CaseSummary.model_validate(r) for r in rows])


@router.get("/{case_id}", response_model=CaseFile)
async def get_case(case_id: UUID, request: Request, staff: Staff) -> CaseFile:
    """The case file: the case row and its full timeline. The read is recorded."""
    correlation = _bind(request, case_id)
    pool = get_runtime(request).pool
    # One snapshot: the case row and the timeline it was folded from agree.
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        row = await _case_row(conn, case_id)
        authorize(staff, roles=CASE_READERS, office=row["office"])
        entries = await views.timeline(conn, case_id)
        state = fold(case_id, (e.fact for e in entries))
        items = await _timeline_items(conn, staff, state, entries)
        await record_access(
            conn,
            staff_id=staff.staff_id,
            office=staff.office,
            case_id=case_id,
            purpose="view",
            correlation_id=correlation,
        )
    log.info("case_file_read", staff_id=staff.staff_id)
    return CaseFile(**row, timeline=items)


@router.get("/{case_id}/as-of", response_model=CaseAsOf)
async def get_case_as_of(
    case_id: UUID,
    request: Request,
    staff: Staff,
    at: Annotated[datetime, Query(description="ISO 8601 time; without a zone, UTC.")],
) -> CaseAsOf:
    """The case as it stood at `at`: folded from the events recorded up to then."""
    correlation = _bind(request, case_id)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    async with get_runtime(request).pool.acquire() as conn, conn.transaction():
        row = await _case_row(conn, case_id)
        authorize(staff, roles=CASE_READERS, office=row["office"])
        state, entries, name = await views.case_as_of(conn, case_id, at)
        if not state.registered:
            raise ApiError(
                404, "case_not_found", f"Case {case_id} had not been registered at {at}."
            )
        items = await _timeline_items(conn, staff, state, entries)
        await record_access(
            conn,
            staff_id=staff.staff_id,
            office=staff.office,
            case_id=case_id,
            purpose="view_as_of",
            correlation_id=correlation,
        )
    return CaseAsOf(**_state_fields(state), applicant_name=name, timeline=items, as_of=at)


# ---- commands --------------------------------------------------------------------------


async def _command_case(
    request: Request, staff: StaffIdentity, case_id: UUID, roles: frozenset[Role]
) -> tuple[CaseRef, StaffActor]:
    correlation = _bind(request, case_id)
    async with get_runtime(request).pool.acquire() as conn:
        row = await _case_row(conn, case_id)
    authorize(staff, roles=roles, office=row["office"])
    return (
        CaseRef(case_id=case_id, office=row["office"], channel=row["channel"]),
        StaffActor(staff_id=staff.staff_id, correlation_id=correlation),
    )


async def _accepted(
    request: Request, case_id: UUID, envelopes: list[EventEnvelope]
) -> CommandAccepted:
    async with get_runtime(request).pool.acquire() as conn:
        row = await views.find_case(conn, case_id)
    return CommandAccepted(
        case_id=case_id,
        status=row["status"] if row else None,
        events=[
            RecordedEvent(
                event_id=e.event_id,
                event_type=e.event_type,
                stream_version=e.stream_version,
                global_position=e.global_position,
            )
            for e in envelopes
        ],
    )


def _refused(exc: CaseworkRefused) -> ApiError:
    return ApiError(403 if exc.kind == "forbidden" else 409, exc.code, exc.message)


def _moved(exc: ConcurrencyError) -> ApiError:
    return ApiError(
        409, "concurrent_update", f"The case changed while deciding; try again. ({exc})"
    )


async def _execute(
    command: Awaitable[list[EventEnvelope]],
) -> list[EventEnvelope]:
    """Run one case command; its refusals and write conflicts become 403/409 answers."""
    try:
        return await command
    except CaseworkRefused as exc:
        raise _refused(exc) from exc
    except ConcurrencyError as exc:
        raise _moved(exc) from exc


@router.post("/{case_id}/assign", response_model=CommandAccepted)
async def assign_case(
    case_id: UUID, body: AssignCase, request: Request, staff: Staff
) -> CommandAccepted:
    """Give the case to a staff member (CaseAssigned)."""
    case, actor = await _command_case(request, staff, case_id, ASSIGNERS)
    rt = get_runtime(request)
    envelopes = await _execute(commands.assign_case(rt.pool, rt.store, case, body, actor))
    return await _accepted(request, case_id, envelopes)


@router.post("/{case_id}/assessment", response_model=CommandAccepted)
async def record_assessment(
    case_id: UUID, body: RecordAssessment, request: Request, staff: Staff
) -> CommandAccepted:
    """The assigned social worker records the initial assessment (confidential)."""
    case, actor = await _command_case(request, staff, case_id, ASSESSORS)
    rt = get_runtime(request)
    envelopes = await _execute(commands.record_assessment(rt.pool, rt.store, case, body, actor))
    return await _accepted(request, case_id, envelopes)


@router.post(
    "/{case_id}/referrals", response_model=CommandAccepted, status_code=status.HTTP_201_CREATED
)
async def make_referral(
    case_id: UUID, body: MakeReferral, request: Request, staff: Staff
) -> CommandAccepted:
    """Refer the case to another agency or programme (ReferralMade with a new referral id)."""
    case, actor = await _command_case(request, staff, case_id, REFERRERS)
    rt = get_runtime(request)
    envelopes = await _execute(commands.make_referral(rt.pool, rt.store, case, body, actor))
    accepted = await _accepted(request, case_id, envelopes)
    accepted.referral_id = UUID(str(envelopes[0].data["referral_id"]))
    return accepted


@router.post("/{case_id}/resolve", response_model=CommandAccepted)
async def resolve_case(
    case_id: UUID, body: ResolveCase, request: Request, staff: Staff
) -> CommandAccepted:
    """Close the case with an outcome (CaseResolved); 409 already_resolved the second time."""
    case, actor = await _command_case(request, staff, case_id, RESOLVERS)
    rt = get_runtime(request)
    envelopes = await _execute(commands.resolve_case(rt.pool, rt.store, case, body, actor))
    return await _accepted(request, case_id, envelopes)
