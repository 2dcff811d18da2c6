"""Staff HTTP API of casework for the office as a whole: work queues, deadlines counting
down, overdue cases, ID cards held at reception, the satisfaction survey and the IKM.

Every list is the caller's own office only; read from the projections (rebuildable).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import uuid4

from fastapi import APIRouter, Header, Query, Request, status

from services.casework import views
from services.casework.domain import ikm
from services.casework.domain.commands import AnswerSurvey
from services.casework.domain.deadlines import office_seconds_between
from services.casework.domain.standards import CaseStandards
from services.casework.entrypoints.deps import get_casework
from services.casework.entrypoints.schemas import (
    GuestBook,
    IdCard,
    IdCards,
    IkmView,
    Queue,
    QueueItem,
    SurveyAccepted,
    Visit,
)
from services.casework.service_layer import answer_survey as survey_use_case
from services.casework.service_layer.case_command import CaseRef
from shared.auth import Staff, authorize, verify_token
from shared.contracts.case_roles import CASE_READERS, IKM_READERS, RECEPTION_READERS
from shared.contracts.vocab import Role
from shared.http import correlation_id
from shared.pagination import CURSOR_QUERY, limit_query, page_sorted, sort_key_time
from shared.settings import get_settings

router = APIRouter(prefix="/v1/work", tags=["work"])
surveys = APIRouter(prefix="/v1/surveys", tags=["survey"])


def _remaining(row: dict[str, Any], now: datetime, standards: CaseStandards) -> float | None:
    due = row.get("due_at")
    calendar = standards.calendar_for(row["office"])
    if due is None or calendar is None:
        return None
    if now >= due:
        return -office_seconds_between(due, now, calendar)
    return office_seconds_between(now, due, calendar)


def _due(item: QueueItem) -> list[str]:
    """A work list's order: the soonest deadline first (none: last), then the oldest."""
    return [sort_key_time(item.due_at), sort_key_time(item.opened_at), str(item.case_id)]


def _items(rows: list[dict[str, Any]], now: datetime, standards: CaseStandards) -> list[QueueItem]:
    return [QueueItem(**r, remaining_office_seconds=_remaining(r, now, standards)) for r in rows]


AtQuery = Annotated[
    datetime | None,
    Query(
        description="As of this moment (ISO 8601; UTC without a zone): folded from the "
        "events recorded up to then. Default: now, from the live projection."
    ),
]


def _moment(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(UTC)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _running(r: dict[str, Any]) -> bool:
    return r["clock_stopped_at"] is None and r["due_at"] is not None


def _by_due(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(rows, key=lambda r: (r["due_at"] or far, r["opened_at"], str(r["case_id"])))


@router.get("/queue", response_model=Queue)
async def work_queue(
    request: Request,
    staff: Staff,
    role: Annotated[Role | None, Query(description="Default: every role of the caller.")] = None,
    mine: bool = False,
    at: AtQuery = None,
    limit: Annotated[int, limit_query(most=1000)] = 1000,
    cursor: Annotated[str | None, CURSOR_QUERY] = None,
) -> Queue:
    """The cases waiting for a role's next step, soonest deadline first. A case whose
    deadline was breached stays in the queue of the role that must act on it (`breached`)
    and is in the queue of the official it was escalated to as well (`escalated_to`).
    `mine=true`: only cases assigned to the caller."""
    authorize(staff, roles=CASE_READERS)
    casework = get_casework(request)
    roles = [role.value] if role else sorted(r.value for r in staff.roles)
    now = _moment(at)
    assignee = staff.staff_id if mine else None
    async with casework.pool.acquire() as conn:
        if at is None:
            rows = await views.queue(conn, staff.office, roles, assignee=assignee)
        else:
            rows = _by_due(
                [
                    r
                    for r in await views.office_as_of(conn, staff.office, now, casework.standards)
                    if views.in_queue(r, roles) and assignee in (None, r["assigned_to"])
                ]
            )
    cases, next_cursor = page_sorted(_items(rows, now, casework.standards), limit, cursor, _due)
    return Queue(office=staff.office, role=role, as_of=now, cases=cases, next_cursor=next_cursor)


@router.get("/deadlines", response_model=Queue)
async def deadlines(
    request: Request,
    staff: Staff,
    at: AtQuery = None,
    limit: Annotated[int, limit_query(most=1000)] = 1000,
    cursor: Annotated[str | None, CURSOR_QUERY] = None,
) -> Queue:
    """Every running clock of the office, the soonest deadline first, with time left."""
    authorize(staff, roles=CASE_READERS)
    casework = get_casework(request)
    now = _moment(at)
    async with casework.pool.acquire() as conn:
        if at is None:
            rows = await views.running_clocks(conn, staff.office)
        else:
            rows = _by_due(
                [
                    r
                    for r in await views.office_as_of(conn, staff.office, now, casework.standards)
                    if _running(r)
                ]
            )
    cases, next_cursor = page_sorted(_items(rows, now, casework.standards), limit, cursor, _due)
    return Queue(office=staff.office, role=None, as_of=now, cases=cases, next_cursor=next_cursor)


@router.get("/overdue", response_model=Queue)
async def overdue(
    request: Request,
    staff: Staff,
    at: AtQuery = None,
    limit: Annotated[int, limit_query(most=1000)] = 1000,
    cursor: Annotated[str | None, CURSOR_QUERY] = None,
) -> Queue:
    """Open cases whose deadline had passed (at `at`), the longest overdue first."""
    authorize(staff, roles=CASE_READERS)
    casework = get_casework(request)
    now = _moment(at)
    async with casework.pool.acquire() as conn:
        if at is None:
            rows = await views.overdue(conn, staff.office, now)
        else:
            rows = _by_due(
                [
                    r
                    for r in await views.office_as_of(conn, staff.office, now, casework.standards)
                    if _running(r) and r["due_at"] <= now
                ]
            )
    cases, next_cursor = page_sorted(_items(rows, now, casework.standards), limit, cursor, _due)
    return Queue(office=staff.office, role=None, as_of=now, cases=cases, next_cursor=next_cursor)


@router.get("/id-cards", response_model=IdCards)
async def id_cards(
    request: Request,
    staff: Staff,
    include_returned: bool = False,
    limit: Annotated[int, limit_query(most=1000)] = 1000,
    cursor: Annotated[str | None, CURSOR_QUERY] = None,
) -> IdCards:
    """Identity cards left at reception and not yet handed back (Kupang)."""
    authorize(staff, roles=RECEPTION_READERS)
    casework = get_casework(request)
    async with casework.pool.acquire() as conn:
        rows = await views.id_cards(conn, staff.office, include_returned=include_returned)
    cards, next_cursor = page_sorted(
        [IdCard(**r) for r in rows],
        limit,
        cursor,
        lambda c: [sort_key_time(c.deposited_at), str(c.visit_id)],
    )
    return IdCards(office=staff.office, cards=cards, next_cursor=next_cursor)


@router.get("/ikm", response_model=IkmView)
async def ikm_index(
    request: Request,
    staff: Staff,
    service: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> IkmView:
    """The office's IKM (PermenPANRB 14/2017) over the survey answers in the period."""
    authorize(staff, roles=IKM_READERS)
    casework = get_casework(request)
    async with casework.pool.acquire() as conn:
        sheets = await views.survey_sheets(
            conn, staff.office, service=service, since=since, until=until
        )
    result = ikm.ikm(sheets)
    if result is None:
        return IkmView(office=staff.office, service=service, respondents=0)
    return IkmView(
        office=staff.office,
        service=service,
        respondents=result.respondents,
        element_averages=result.element_averages,
        ikm=result.ikm,
        index=result.index,
        grade=result.grade,
        label=result.label,
    )


@surveys.post("", response_model=SurveyAccepted, status_code=status.HTTP_201_CREATED)
async def answer_survey(
    body: AnswerSurvey,
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
) -> SurveyAccepted:
    """A citizen's satisfaction survey about their finished case, by ticket number and the
    signed link's token (`survey_link`; the portal's form passes it on): without a valid
    link 403 `survey_link_required` / `survey_link_invalid`. A member of staff entering a
    paper form needs no link, but staff who handled the case cannot answer it: a staff
    token is checked against everyone who acted on the case."""
    respondent = "citizen"
    if authorization and authorization.lower().startswith("bearer "):
        respondent = verify_token(authorization.split(" ", 1)[1]).actor
    casework = get_casework(request)
    async with casework.pool.acquire() as conn:
        row = await views.find_by_ticket(conn, body.ticket_number)
    case = CaseRef(row["case_id"], row["office"], row["channel"]) if row else None
    survey_id = uuid4()
    await survey_use_case.answer_survey(
        casework.new_uow,
        case,
        body,
        respondent=respondent,
        correlation_id=correlation_id(request),
        survey_id=survey_id,
        survey_secret=get_settings().slrt_survey_link_secret,
        now=datetime.now(UTC),
    )
    assert case is not None  # answer_survey refuses an unknown ticket
    return SurveyAccepted(case_id=case.case_id, survey_id=survey_id)


@router.get("/visits", response_model=GuestBook)
async def guest_book(
    request: Request,
    staff: Staff,
    day: Annotated[date, Query(alias="date")],
    limit: Annotated[int, limit_query(most=1000)] = 1000,
    cursor: Annotated[str | None, CURSOR_QUERY] = None,
) -> GuestBook:
    """The guest book of a day (buku tamu), with each visitor's card and case."""
    authorize(staff, roles=RECEPTION_READERS)
    casework = get_casework(request)
    async with casework.pool.acquire() as conn:
        rows = await views.visits(conn, staff.office, day)
    visits, next_cursor = page_sorted(
        [Visit(**r) for r in rows], limit, cursor, lambda v: [v.queue_number, str(v.visit_id)]
    )
    return GuestBook(office=staff.office, date=day, visits=visits, next_cursor=next_cursor)
