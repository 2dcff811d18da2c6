"""Staff HTTP API of casework: read case files, and the commands of the case lifecycle.

Thin: find the case (404 / 409 case_not_ready), check office and role (403), run the
domain decision through one use case (`commands.run`), and map a refusal by its kind:
409 conflict (e.g. illegal_transition, with stage/action/allowed_from in details), 422
invalid, 403 forbidden. Every read of a case file is recorded in casework.access_log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

import asyncpg
from fastapi import APIRouter, Query, Request, status
from pydantic import BaseModel, Field

from services.casework import views
from services.casework.domain import decisions
from services.casework.domain.commands import (
    AnswerCase,
    AnswerReferral,
    AssignCase,
    CloseReferral,
    ForwardCase,
    MakeReferral,
    PauseCase,
    RecordAssessment,
    RecordConsultation,
    RecordCounselling,
    ResolveCase,
    Transition,
)
from services.casework.domain.deadlines import Span
from services.casework.domain.decisions import CaseworkRefused
from services.casework.domain.model import CaseState, CaseStatus, Stage, fold
from services.casework.domain.timeline import CONFIDENTIAL_FIELDS, REDACTED, TimelineEntry
from services.casework.service_layer import commands, planning
from services.casework.service_layer.access import record_access
from services.casework.service_layer.commands import CaseRef, StaffActor
from shared.auth import Staff, StaffIdentity, authorize
from shared.contracts.base import Event, EventEnvelope
from shared.contracts.vocab import Role
from shared.eventstore.store import ConcurrencyError
from shared.http import ApiError, correlation_id
from shared.logging import bind_context, get_logger
from shared.runtime import get_runtime

log = get_logger(__name__)
router = APIRouter(prefix="/v1/cases", tags=["cases"])

# Analysts read reports, not case files; admins run the system.
CASE_READERS = frozenset(Role) - {Role.ANALYST, Role.ADMIN}
ASSIGNERS = frozenset(
    {Role.HEAD_OF_OFFICE, Role.HEAD_OF_DIVISION, Role.FRONT_OFFICE, Role.SUB_COORDINATOR}
)
ASSESSORS = frozenset({Role.SOCIAL_WORKER})
REFERRERS = frozenset({Role.SOCIAL_WORKER, Role.OFFICER, Role.FRONT_OFFICE, Role.BACK_OFFICE})
RESOLVERS = frozenset(
    {
        Role.FRONT_OFFICE,
        Role.OFFICER,
        Role.SOCIAL_WORKER,
        Role.HEAD_OF_DIVISION,
        Role.HEAD_OF_OFFICE,
    }
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
    stage: Stage = "registered"
    queue_role: str | None = Field(default=None, description="Whose turn it is (a role).")
    due_at: datetime | None = None
    clock_paused: bool = False
    merged_into: UUID | None = None
    forwarded_to: str | None = None
    id_card_held: bool = Field(default=False, description="An ID card waits at reception.")
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


# Who may see who reported a confidential complaint (LAPOR! "rahasia"): the complaint
# officer, an administrator, and the staff the case was assigned to.
IDENTITY_READERS = frozenset({Role.COMPLAINT_OFFICER, Role.ADMIN})


def _may_see_reporter(staff: StaffIdentity, state: CaseState) -> bool:
    return (
        not state.confidential
        or staff.has_any(IDENTITY_READERS)
        or staff.staff_id in state.care_team
    )


def _may_read_notes(staff: StaffIdentity, state: CaseState) -> bool:
    return staff.has_any(NOTE_READERS) and staff.staff_id in state.care_team


async def _timeline_items(
    conn: asyncpg.Connection,
    staff: StaffIdentity,
    state: CaseState,
    entries: Sequence[TimelineEntry],
) -> list[TimelineItem]:
    confidential = [e.event_id for e in entries if e.event_type in CONFIDENTIAL_FIELDS]
    notes = (
        await views.confidential_notes(conn, confidential)
        if confidential and _may_read_notes(staff, state)
        else {}
    )
    items = []
    for e in entries:
        details = dict(e.data)
        if e.event_type in CONFIDENTIAL_FIELDS:
            details[CONFIDENTIAL_FIELDS[e.event_type]] = notes.get(e.event_id, REDACTED)
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
    due = planning.deadline_for(state)
    return {
        "queue_role": planning.queue_role(state),
        "due_at": due.due_at if due else None,
        "clock_paused": bool(state.clock and state.clock.paused),
        "merged_into": state.merged_into,
        "forwarded_to": state.forwarded_to,
        "id_card_held": state.id_card_held,
        "case_id": state.case_id,
        "office": state.office,
        "service": state.service,
        "variant": state.variant,
        "channel": state.channel,
        "ticket_number": state.ticket_number,
        "status": state.status,
        "stage": state.stage,
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
        rows = await views.list_cases(
            conn,
            staff.office,
            status=status_,
            limit=limit,
            confidential_names=staff.has_any(IDENTITY_READERS),
        )
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
    if not _may_see_reporter(staff, state):
        row = {**row, "applicant_name": None}
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
    if not _may_see_reporter(staff, state):
        name = None
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


_REFUSAL_STATUS = {"forbidden": 403, "conflict": 409, "invalid": 422}


def _refused(exc: CaseworkRefused) -> ApiError:
    return ApiError(_REFUSAL_STATUS[exc.kind], exc.code, exc.message, details=exc.details)


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
    referral_id = uuid4()  # the same id on a retry: one referral, however often we decide
    accepted, envelopes = await _run(
        request,
        staff,
        case_id,
        REFERRERS,
        lambda a: (
            lambda s: decisions.refer(
                s, body, referral_id=referral_id, by=a.actor, known_agencies=known_agencies(s)
            )
        ),
    )
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


# ---- the lifecycle ---------------------------------------------------------------------

# Anyone who works cases (not the receptionist, analyst or admin).
CASE_WORKERS = frozenset(Role) - {Role.ANALYST, Role.ADMIN, Role.RECEPTIONIST}
TAKERS = frozenset({Role.FRONT_OFFICE, Role.COMPLAINT_OFFICER, Role.RECEPTIONIST})
SUPERVISORS = frozenset(
    {
        Role.HEAD_OF_OFFICE,
        Role.SECRETARY,
        Role.HEAD_OF_DIVISION,
        Role.SUB_COORDINATOR,
        Role.FRONT_OFFICE,
        Role.COMPLAINT_OFFICER,
    }
)

Decide = Callable[[CaseState], Sequence[Event]]


async def _run(
    request: Request,
    staff: StaffIdentity,
    case_id: UUID,
    roles: frozenset[Role],
    decide: Callable[[StaffActor], Decide],
) -> tuple[CommandAccepted, list[EventEnvelope]]:
    case, actor = await _command_case(request, staff, case_id, roles)
    rt = get_runtime(request)
    envelopes = await _execute(commands.run(rt.pool, rt.store, case, actor, decide(actor)))
    return await _accepted(request, case_id, envelopes), envelopes


@router.post("/{case_id}/take-up", response_model=CommandAccepted)
async def take_up(
    case_id: UUID, body: Transition, request: Request, staff: Staff
) -> CommandAccepted:
    """registered -> front_office (CaseFileOpened)."""
    accepted, _ = await _run(
        request, staff, case_id, TAKERS, lambda a: lambda s: decisions.take_up(s, body, by=a.actor)
    )
    return accepted


@router.post("/{case_id}/back-office", response_model=CommandAccepted)
async def hand_to_back_office(
    case_id: UUID, body: Transition, request: Request, staff: Staff
) -> CommandAccepted:
    """front_office -> back_office (CaseTransferred); refused if not eligible."""
    accepted, _ = await _run(
        request,
        staff,
        case_id,
        frozenset({Role.FRONT_OFFICE}),
        lambda a: lambda s: decisions.hand_to_back_office(s, body, by=a.actor),
    )
    return accepted


@router.post("/{case_id}/disposition", response_model=CommandAccepted)
async def disposition(
    case_id: UUID, body: AssignCase, request: Request, staff: Staff
) -> CommandAccepted:
    """The head of office assigns the complaint to an official (disposisi)."""
    accepted, _ = await _run(
        request,
        staff,
        case_id,
        frozenset({Role.HEAD_OF_OFFICE}),
        lambda a: lambda s: decisions.assign(s, body, by=a.actor, kind="disposition"),
    )
    return accepted


@router.post("/{case_id}/handover", response_model=CommandAccepted)
async def handover(
    case_id: UUID, body: AssignCase, request: Request, staff: Staff
) -> CommandAccepted:
    """Reception takes a walk-in visitor to the appointed official (hand-over)."""
    accepted, _ = await _run(
        request,
        staff,
        case_id,
        frozenset({Role.RECEPTIONIST, Role.FRONT_OFFICE}),
        lambda a: lambda s: decisions.assign(s, body, by=a.actor, kind="handover"),
    )
    return accepted


@router.post("/{case_id}/start", response_model=CommandAccepted)
async def start_work(
    case_id: UUID, body: Transition, request: Request, staff: Staff
) -> CommandAccepted:
    """assigned -> in_progress, by the case's owner (CaseWorkStarted)."""
    accepted, _ = await _run(
        request,
        staff,
        case_id,
        CASE_WORKERS,
        lambda a: lambda s: decisions.start_work(s, body, staff_id=a.staff_id, by=a.actor),
    )
    return accepted


@router.post("/{case_id}/pause", response_model=CommandAccepted)
async def pause(case_id: UUID, body: PauseCase, request: Request, staff: Staff) -> CommandAccepted:
    """Wait for the citizen or another agency; the deadline clock stops (CasePaused)."""
    accepted, _ = await _run(
        request,
        staff,
        case_id,
        CASE_WORKERS,
        lambda a: lambda s: decisions.pause(s, body, by=a.actor),
    )
    return accepted


@router.post("/{case_id}/resume", response_model=CommandAccepted)
async def resume(
    case_id: UUID, body: Transition, request: Request, staff: Staff
) -> CommandAccepted:
    """The wait is over; back to the stage before the pause (CaseResumed)."""
    accepted, _ = await _run(
        request,
        staff,
        case_id,
        CASE_WORKERS,
        lambda a: lambda s: decisions.resume(s, body, by=a.actor),
    )
    return accepted


@router.post("/{case_id}/answer", response_model=CommandAccepted)
async def answer(
    case_id: UUID, body: AnswerCase, request: Request, staff: Staff
) -> CommandAccepted:
    """The citizen got the answer (CaseAnswered); the clock stops."""
    accepted, _ = await _run(
        request,
        staff,
        case_id,
        CASE_WORKERS,
        lambda a: lambda s: decisions.answer(s, body, by=a.actor),
    )
    return accepted


@router.post("/{case_id}/close", response_model=CommandAccepted)
async def close(case_id: UUID, body: Transition, request: Request, staff: Staff) -> CommandAccepted:
    """answered | resolved -> closed (CaseClosed)."""
    accepted, _ = await _run(
        request,
        staff,
        case_id,
        RESOLVERS | SUPERVISORS,
        lambda a: lambda s: decisions.close(s, body, by=a.actor),
    )
    return accepted


@router.post("/{case_id}/reopen", response_model=CommandAccepted)
async def reopen(
    case_id: UUID, body: Transition, request: Request, staff: Staff
) -> CommandAccepted:
    """answered | resolved | closed -> in_progress with a new clock (CaseReopened)."""
    accepted, _ = await _run(
        request,
        staff,
        case_id,
        SUPERVISORS,
        lambda a: lambda s: decisions.reopen(s, body, by=a.actor),
    )
    return accepted


@router.post("/{case_id}/forward", response_model=CommandAccepted)
async def forward(
    case_id: UUID, body: ForwardCase, request: Request, staff: Staff
) -> CommandAccepted:
    """Not our authority: forward the case to the body that has it (CaseForwarded)."""
    accepted, _ = await _run(
        request,
        staff,
        case_id,
        SUPERVISORS,
        lambda a: lambda s: decisions.forward(s, body, by=a.actor),
    )
    return accepted


class ClockView(BaseModel):
    case_id: UUID
    stage: Stage
    published_time: str | None = Field(description='As published, e.g. "8 hari kerja".')
    clock: int | None
    started_at: datetime | None
    due_at: datetime | None = Field(description="None: no deadline, or the clock is paused.")
    warn_at: datetime | None
    paused: bool
    stopped_at: datetime | None
    remaining_office_seconds: float | None = Field(
        description="Office time left now (negative: overdue by that much)."
    )
    warned: bool
    breached: bool
    escalated_to: list[str]


def _clock_view(state: CaseState, now: datetime) -> ClockView:
    plan = planning.plan_for(state)
    clock = state.clock
    due = planning.deadline_for(state)
    remaining = None
    if plan is not None and clock is not None and due is not None:
        end = clock.stopped_at or now
        spans = [Span(p.since, p.until) for p in clock.pauses]
        remaining = due.remaining(end, clock.started_at, plan.calendar, spans)
    return ClockView(
        case_id=state.case_id,
        stage=state.stage,
        published_time=plan.label if plan else None,
        clock=clock.number if clock else None,
        started_at=clock.started_at if clock else None,
        due_at=due.due_at if due else None,
        warn_at=due.warn_at if due else None,
        paused=bool(clock and clock.paused),
        stopped_at=clock.stopped_at if clock else None,
        remaining_office_seconds=remaining,
        warned=bool(clock and clock.warned),
        breached=bool(clock and clock.breached),
        escalated_to=list(clock.escalated_to) if clock else [],
    )


@router.get("/{case_id}/deadline", response_model=ClockView)
async def get_deadline(
    case_id: UUID,
    request: Request,
    staff: Staff,
    at: Annotated[
        datetime | None,
        Query(description="The clock as it stood then (ISO 8601; UTC without a zone)."),
    ] = None,
) -> ClockView:
    """The case's deadline clock: due time in office time, pauses, time left."""
    _bind(request, case_id)
    async with get_runtime(request).pool.acquire() as conn:
        row = await _case_row(conn, case_id)
        authorize(staff, roles=CASE_READERS, office=row["office"])
        if at is None:
            entries = await views.timeline(conn, case_id)
            state = fold(case_id, (e.fact for e in entries))
        else:
            at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
            state, _, _ = await views.case_as_of(conn, case_id, at)
            if not state.registered:
                raise ApiError(
                    404, "case_not_found", f"Case {case_id} had not been registered at {at}."
                )
    return _clock_view(state, at or datetime.now(UTC))


# ---- social work (LK3) -----------------------------------------------------------------


@router.post("/{case_id}/social-work/identity", response_model=CommandAccepted)
async def record_identity(
    case_id: UUID, body: Transition, request: Request, staff: Staff
) -> CommandAccepted:
    """Step 2: the client's identity recorded (ClientIdentityRecorded)."""
    accepted, _ = await _run(
        request,
        staff,
        case_id,
        frozenset({Role.FRONT_OFFICE, Role.SOCIAL_WORKER}),
        lambda a: lambda s: decisions.record_identity(s, body, by=a.actor),
    )
    return accepted


@router.post("/{case_id}/social-work/consultation", response_model=CommandAccepted)
async def record_consultation(
    case_id: UUID, body: RecordConsultation, request: Request, staff: Staff
) -> CommandAccepted:
    """Step 5: case consultation; names the psychologist (CaseConsulted)."""
    accepted, _ = await _run(
        request,
        staff,
        case_id,
        frozenset({Role.SOCIAL_WORKER}),
        lambda a: lambda s: decisions.record_consultation(s, body, staff_id=a.staff_id, by=a.actor),
    )
    return accepted


@router.post("/{case_id}/social-work/counselling", response_model=CommandAccepted)
async def record_counselling(
    case_id: UUID, body: RecordCounselling, request: Request, staff: Staff
) -> CommandAccepted:
    """Step 6: one counselling session by the case's psychologist (confidential notes)."""

    def decide(a: StaffActor) -> Decide:
        def inner(s: CaseState) -> Sequence[Event]:
            standard = planning.standard_of(s)
            limit = max(
                (p.sessions_max or 0 for p in (standard.procedure if standard else ())),
                default=0,
            )
            return decisions.record_counselling(
                s, body, staff_id=a.staff_id, by=a.actor, max_sessions=limit or 4
            )

        return inner

    accepted, _ = await _run(request, staff, case_id, frozenset({Role.PSYCHOLOGIST}), decide)
    return accepted


class SocialWorkStep(BaseModel):
    order: int
    key: str
    description: str
    role: str
    budget: str | None
    due_at: datetime | None
    done_at: datetime | None
    on_time: bool | None
    sessions: int | None = None
    sessions_planned: str | None = None
    breached: bool = False


class SocialWorkView(BaseModel):
    case_id: UUID
    stage: Stage
    psychologist: str | None
    steps: list[SocialWorkStep]


@router.get("/{case_id}/social-work", response_model=SocialWorkView)
async def get_social_work(case_id: UUID, request: Request, staff: Staff) -> SocialWorkView:
    """The LK3 steps with their budgets from the standard: due, done, on time."""
    _bind(request, case_id)
    async with get_runtime(request).pool.acquire() as conn:
        row = await _case_row(conn, case_id)
        authorize(staff, roles=CASE_READERS, office=row["office"])
        entries = await views.timeline(conn, case_id)
    state = fold(case_id, (e.fact for e in entries))
    steps = planning.social_work_steps(state)
    if steps is None:
        raise ApiError(
            409, "not_social_work", "This case's service is not social work (LK3).", details={}
        )
    return SocialWorkView(
        case_id=case_id,
        stage=state.stage,
        psychologist=state.psychologist,
        steps=[SocialWorkStep(**vars(s), breached=s.key in state.steps_breached) for s in steps],
    )


# ---- referrals -------------------------------------------------------------------------


def known_agencies(state: CaseState) -> frozenset[str] | None:
    """The agencies and programmes the service's standard refers to (None: not listed)."""
    standard = planning.standard_of(state)
    if standard is None or not (standard.agencies or standard.programme_referrals):
        return None
    return frozenset(a.id for a in standard.agencies) | frozenset(
        p.programme for p in standard.programme_referrals
    )


@router.post("/{case_id}/referrals/{referral_id}/answer", response_model=CommandAccepted)
async def answer_referral(
    case_id: UUID, referral_id: UUID, body: AnswerReferral, request: Request, staff: Staff
) -> CommandAccepted:
    """The receiver accepted or refused the referral (ReferralAccepted / ReferralRefused)."""
    accepted, _ = await _run(
        request,
        staff,
        case_id,
        REFERRERS,
        lambda a: lambda s: decisions.answer_referral(s, referral_id, body, by=a.actor),
    )
    return accepted


@router.post("/{case_id}/referrals/{referral_id}/close", response_model=CommandAccepted)
async def close_referral(
    case_id: UUID, referral_id: UUID, body: CloseReferral, request: Request, staff: Staff
) -> CommandAccepted:
    """The referral is finished; its follow-up reminders stop (ReferralClosed)."""
    accepted, _ = await _run(
        request,
        staff,
        case_id,
        REFERRERS,
        lambda a: lambda s: decisions.close_referral(s, referral_id, body, by=a.actor),
    )
    return accepted
