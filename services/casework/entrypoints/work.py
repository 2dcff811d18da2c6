"""Staff HTTP API of casework for the office as a whole: work queues, deadlines counting
down, overdue cases, ID cards held at reception, the satisfaction survey and the IKM.

Every list is the caller's own office only; read from the projections (rebuildable).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Header, Query, Request, status
from pydantic import BaseModel, Field

from services.casework import views
from services.casework.domain import ikm
from services.casework.domain.commands import AnswerSurvey
from services.casework.domain.deadlines import office_seconds_between
from services.casework.domain.decisions import CaseworkRefused
from services.casework.domain.model import CaseState
from services.casework.entrypoints.http import CASE_READERS, CaseSummary, _execute
from services.casework.service_layer import commands, planning
from services.casework.service_layer.commands import CaseRef, StaffActor
from shared.auth import Staff, authorize, verify_token
from shared.contracts.base import Event
from shared.contracts.casework_events import SurveyAnswered
from shared.contracts.vocab import Role
from shared.http import ApiError, correlation_id
from shared.runtime import get_runtime

router = APIRouter(prefix="/v1/work", tags=["work"])
surveys = APIRouter(prefix="/v1/surveys", tags=["survey"])


class QueueItem(CaseSummary):
    remaining_office_seconds: float | None = Field(
        default=None, description="Office time left now; negative when overdue."
    )
    breached: bool = False
    escalated_to: str | None = None


class Queue(BaseModel):
    office: str
    role: str | None
    as_of: datetime
    cases: list[QueueItem]


def _remaining(row: dict[str, Any], now: datetime) -> float | None:
    due = row.get("due_at")
    calendar = planning.calendar_for(row["office"])
    if due is None or calendar is None:
        return None
    if now >= due:
        return -office_seconds_between(due, now, calendar)
    return office_seconds_between(now, due, calendar)


def _items(rows: list[dict[str, Any]], now: datetime) -> list[QueueItem]:
    return [QueueItem(**r, remaining_office_seconds=_remaining(r, now)) for r in rows]


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
) -> Queue:
    """The cases waiting for a role's next step (escalated cases go to the level up),
    soonest deadline first. `mine=true`: only cases assigned to the caller."""
    authorize(staff, roles=CASE_READERS)
    roles = [role.value] if role else sorted(r.value for r in staff.roles)
    now = _moment(at)
    assignee = staff.staff_id if mine else None
    async with get_runtime(request).pool.acquire() as conn:
        if at is None:
            rows = await views.queue(conn, staff.office, roles, assignee=assignee)
        else:
            rows = _by_due(
                [
                    r
                    for r in await views.office_as_of(conn, staff.office, now)
                    if r["queue_role"] in roles and assignee in (None, r["assigned_to"])
                ]
            )
    return Queue(office=staff.office, role=role, as_of=now, cases=_items(rows, now))


@router.get("/deadlines", response_model=Queue)
async def deadlines(request: Request, staff: Staff, at: AtQuery = None) -> Queue:
    """Every running clock of the office, the soonest deadline first, with time left."""
    authorize(staff, roles=CASE_READERS)
    now = _moment(at)
    async with get_runtime(request).pool.acquire() as conn:
        if at is None:
            rows = await views.running_clocks(conn, staff.office)
        else:
            rows = _by_due(
                [r for r in await views.office_as_of(conn, staff.office, now) if _running(r)]
            )
    return Queue(office=staff.office, role=None, as_of=now, cases=_items(rows, now))


@router.get("/overdue", response_model=Queue)
async def overdue(request: Request, staff: Staff, at: AtQuery = None) -> Queue:
    """Open cases whose deadline had passed (at `at`), the longest overdue first."""
    authorize(staff, roles=CASE_READERS)
    now = _moment(at)
    async with get_runtime(request).pool.acquire() as conn:
        if at is None:
            rows = await views.overdue(conn, staff.office, now)
        else:
            rows = _by_due(
                [
                    r
                    for r in await views.office_as_of(conn, staff.office, now)
                    if _running(r) and r["due_at"] <= now
                ]
            )
    return Queue(office=staff.office, role=None, as_of=now, cases=_items(rows, now))


class IdCard(BaseModel):
    visit_id: UUID
    case_id: UUID | None
    card_kind: str
    held_by: str
    deposited_at: datetime
    returned_at: datetime | None
    returned_by: str | None


class IdCards(BaseModel):
    office: str
    cards: list[IdCard]


@router.get("/id-cards", response_model=IdCards)
async def id_cards(request: Request, staff: Staff, include_returned: bool = False) -> IdCards:
    """Identity cards left at reception and not yet handed back (Kupang)."""
    authorize(staff, roles=CASE_READERS | {Role.RECEPTIONIST})
    async with get_runtime(request).pool.acquire() as conn:
        rows = await views.id_cards(conn, staff.office, include_returned=include_returned)
    return IdCards(office=staff.office, cards=[IdCard(**r) for r in rows])


class IkmView(BaseModel):
    office: str
    service: str | None
    respondents: int
    elements: dict[str, str] = Field(default_factory=lambda: dict(ikm.ELEMENTS))
    element_averages: dict[str, float] = Field(default_factory=dict)
    ikm: float | None = None
    index: float | None = None
    grade: str | None = None
    label: str | None = None


@router.get("/ikm", response_model=IkmView)
async def ikm_index(
    request: Request,
    staff: Staff,
    service: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> IkmView:
    """The office's IKM (PermenPANRB 14/2017) over the survey answers in the period."""
    authorize(staff, roles=CASE_READERS | {Role.ANALYST})
    async with get_runtime(request).pool.acquire() as conn:
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


class SurveyAccepted(BaseModel):
    case_id: UUID
    survey_id: UUID


@surveys.post("", response_model=SurveyAccepted, status_code=status.HTTP_201_CREATED)
async def answer_survey(
    body: AnswerSurvey,
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
) -> SurveyAccepted:
    """A citizen's satisfaction survey about their finished case, by ticket number (the
    survey form; no staff token needed). Staff who handled the case cannot answer it: a
    staff token is checked against everyone who acted on the case."""
    problems = ikm.score_problems(body.scores)
    if problems:
        raise ApiError(
            422,
            "invalid_scores",
            "Each of u1..u9 needs a score 1-4.",
            details={"problems": problems},
        )
    respondent = "citizen"
    if authorization and authorization.lower().startswith("bearer "):
        respondent = verify_token(authorization.split(" ", 1)[1]).actor
    rt = get_runtime(request)
    async with rt.pool.acquire() as conn:
        row = await views.find_by_ticket(conn, body.ticket_number)
    if row is None:
        raise ApiError(404, "ticket_not_found", f"No case with ticket {body.ticket_number}.")
    survey_id = uuid4()

    def decide(state: CaseState) -> list[Event]:
        if state.stage not in ("answered", "resolved", "closed"):
            raise CaseworkRefused(
                "case_not_finished",
                "The survey is about a finished case.",
                details={"stage": state.stage},
            )
        if state.surveyed:
            raise CaseworkRefused("already_surveyed", "This case's survey was answered.")
        if respondent in state.handled_by:
            raise CaseworkRefused(
                "handled_case",
                "Staff who handled the case cannot answer its satisfaction survey.",
                kind="forbidden",
            )
        return [
            SurveyAnswered(
                case_id=state.case_id,
                by=respondent,
                survey_id=survey_id,
                office=str(state.office),
                service=str(state.service),
                scores=dict(body.scores),
            )
        ]

    case = CaseRef(case_id=row["case_id"], office=row["office"], channel=row["channel"])
    actor = _Respondent(staff_id=respondent, correlation_id=correlation_id(request))
    await _execute(commands.run(rt.pool, rt.store, case, actor, decide))
    return SurveyAccepted(case_id=row["case_id"], survey_id=survey_id)


class _Respondent(StaffActor):
    @property
    def actor(self) -> str:
        return self.staff_id  # "citizen" or "staff:<id>"


class Visit(BaseModel):
    visit_id: UUID
    queue_number: str
    purpose: str
    checked_in_by: str
    signed_at: datetime
    case_id: UUID | None
    card_kind: str | None = Field(description="The card left at reception, if any.")
    deposited_at: datetime | None
    returned_at: datetime | None


class GuestBook(BaseModel):
    office: str
    date: date
    visits: list[Visit]


@router.get("/visits", response_model=GuestBook)
async def guest_book(
    request: Request, staff: Staff, day: Annotated[date, Query(alias="date")]
) -> GuestBook:
    """The guest book of a day (buku tamu), with each visitor's card and case."""
    authorize(staff, roles=CASE_READERS | {Role.RECEPTIONIST})
    async with get_runtime(request).pool.acquire() as conn:
        rows = await views.visits(conn, staff.office, day)
    return GuestBook(office=staff.office, date=day, visits=[Visit(**r) for r in rows])
