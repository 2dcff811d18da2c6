"""Staff work on what intake holds: the triage queue, likely duplicates, the walk-in desk."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ConfigDict, Field

from services.intake.domain.commands import ApplicantIn, NoNul
from services.intake.entrypoints.deps import new_uow
from services.intake.entrypoints.schemas import (
    Classified,
    DuplicateDecided,
    DuplicateList,
    IdCardReturned,
    TriageQueue,
    VisitList,
    VisitorCalled,
    VisitSigned,
)
from services.intake.service_layer.call_visitor import call_visitor
from services.intake.service_layer.classify_triaged_message import classify_triaged_message
from services.intake.service_layer.confirm_duplicate import confirm_duplicate
from services.intake.service_layer.dismiss_duplicate import dismiss_duplicate
from services.intake.service_layer.return_id_card import return_id_card
from services.intake.service_layer.sign_guest_book import sign_guest_book
from services.intake.views import duplicates_view, id_cards_held, triage_queue, visits_of_day
from shared.audit import audited
from shared.auth import Staff, StaffRoles, authorize
from shared.catalogue import Catalogue
from shared.contracts import case_roles
from shared.contracts.vocab import Role
from shared.http import correlation_id
from shared.localtime import local_today
from shared.pagination import CURSOR_QUERY, limit_query, page_of, read_cursor
from shared.refusal import Refused
from shared.runtime import get_catalogue, get_runtime

router = APIRouter()
CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]

TRIAGE_ROLES = case_roles.TRIAGERS
DESK_ROLES = (Role.RECEPTIONIST, Role.FRONT_OFFICE)
_STRICT = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class ClassifyCommand(NoNul):
    """What staff decided a triaged message is."""

    model_config = _STRICT

    office: str = Field(min_length=1, max_length=64)
    service: str = Field(min_length=1, max_length=64)
    variant: str | None = Field(default=None, max_length=64)
    applicant: ApplicantIn | None = Field(
        default=None, description="Corrected identity (e.g. a NIK typo); default as received."
    )


class DuplicateDecision(NoNul):
    model_config = _STRICT

    reason: str = Field(default="", max_length=1000)


class GuestBookEntry(NoNul):
    """A visitor at the desk (buku tamu)."""

    model_config = _STRICT

    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=32)
    nik: str | None = Field(default=None, max_length=64)
    purpose: str = Field(min_length=1, max_length=500, examples=["Pengaduan bantuan PKH"])
    id_card_left: Literal["ktp", "sim", "other"] | None = Field(
        default=None, description="An identity card left at reception (Kupang), if any."
    )


@router.get(
    "/v1/triage",
    tags=["triage"],
    summary="Messages waiting for staff to classify, oldest first, a page at a time",
    response_model=TriageQueue,
)
async def get_triage(
    request: Request,
    staff: Staff,
    limit: Annotated[int, limit_query()] = 500,
    cursor: Annotated[str | None, CURSOR_QUERY] = None,
) -> dict[str, Any]:
    authorize(staff, roles=TRIAGE_ROLES)
    after = read_cursor(cursor, queued_at=datetime.fromisoformat, inbound_id=UUID)
    async with get_runtime(request).pool.acquire() as conn:
        items = await triage_queue(
            conn,
            office=staff.office,
            include_without_office=Role.ADMIN in staff.roles,
            limit=limit + 1,
            after=(after["queued_at"], after["inbound_id"]) if after else None,
        )
    page, next_cursor = page_of(
        items, limit, lambda t: {"queued_at": t["queued_at"], "inbound_id": t["inbound_id"]}
    )
    return {"items": page, "next_cursor": next_cursor}


@router.post(
    "/v1/triage/{inbound_id}/classify",
    tags=["triage"],
    status_code=201,
    summary="Say which office, service and variant a triaged message is: it becomes a case",
    response_model=Classified,
    dependencies=[Depends(StaffRoles(*TRIAGE_ROLES))],  # before the body (shared.door)
)
async def post_classify(
    inbound_id: UUID, body: ClassifyCommand, request: Request, staff: Staff, catalogue: CatalogueDep
) -> dict[str, Any]:
    result = await classify_triaged_message(
        new_uow(request),
        catalogue,
        staff,
        inbound_id,
        office=body.office,
        service=body.service,
        variant=body.variant,
        applicant=body.applicant,
        correlation_id=correlation_id(request),
    )
    return {
        "case_id": str(result.case_id),
        "ticket_number": result.ticket_number,
        "duplicate": result.duplicate,
    }


@router.get(
    "/v1/duplicates",
    tags=["duplicates"],
    summary="Likely duplicates of my office, oldest first, a page at a time",
    response_model=DuplicateList,
    dependencies=[audited("read_duplicates")],
)
async def get_duplicates(
    request: Request,
    staff: Staff,
    status: Literal["suspected", "confirmed", "dismissed"] = "suspected",
    limit: Annotated[int, limit_query()] = 500,
    cursor: Annotated[str | None, CURSOR_QUERY] = None,
) -> dict[str, Any]:
    authorize(staff, roles=TRIAGE_ROLES)
    after = read_cursor(
        cursor, suspected_at=datetime.fromisoformat, case_id=UUID, duplicate_of=UUID
    )
    async with get_runtime(request).pool.acquire() as conn:
        items = await duplicates_view(
            conn,
            office=staff.office,
            status=status,
            limit=limit + 1,
            after=(after["suspected_at"], after["case_id"], after["duplicate_of"])
            if after
            else None,
        )
    page, next_cursor = page_of(
        items,
        limit,
        lambda d: {k: d[k] for k in ("suspected_at", "case_id", "duplicate_of")},
    )
    return {"items": page, "next_cursor": next_cursor}


@router.post(
    "/v1/cases/{case_id}/duplicate/{decision}",
    tags=["duplicates"],
    summary="Confirm (casework merges the case) or dismiss a likely-duplicate link",
    response_model=DuplicateDecided,
    dependencies=[Depends(StaffRoles(*TRIAGE_ROLES))],
)
async def post_duplicate_decision(
    case_id: UUID,
    decision: Literal["confirm", "dismiss"],
    request: Request,
    staff: Staff,
    body: DuplicateDecision | None = None,
) -> dict[str, Any]:
    if decision == "confirm":
        return await confirm_duplicate(
            new_uow(request), staff, case_id, correlation_id=correlation_id(request)
        )
    return await dismiss_duplicate(
        new_uow(request),
        staff,
        case_id,
        reason=body.reason if body else "",
        correlation_id=correlation_id(request),
    )


@router.post(
    "/v1/desk/visits",
    tags=["desk"],
    status_code=201,
    summary="Walk-in: a queue number for today and a guest-book entry",
    response_model=VisitSigned,
    dependencies=[Depends(StaffRoles(*DESK_ROLES))],
)
async def post_visit(
    body: GuestBookEntry, request: Request, staff: Staff, catalogue: CatalogueDep
) -> dict[str, Any]:
    visit = await sign_guest_book(
        new_uow(request),
        catalogue,
        staff,
        name=body.name,
        phone=body.phone,
        nik=body.nik,
        purpose=body.purpose,
        id_card=body.id_card_left,
        correlation_id=correlation_id(request),
    )
    return {
        "visit_id": str(visit.visit_id),
        "queue_number": visit.queue_number,
        "visit_date": visit.visit_date.isoformat(),
        "id_card_held": body.id_card_left is not None,
    }


@router.get(
    "/v1/desk/visits",
    tags=["desk"],
    summary="The guest book of one day, by queue number, a page at a time",
    response_model=VisitList,
    dependencies=[audited("read_guest_book")],
)
async def get_visits(
    request: Request,
    staff: Staff,
    catalogue: CatalogueDep,
    day: Annotated[date | None, Query()] = None,
    limit: Annotated[int, limit_query(most=1000)] = 1000,
    cursor: Annotated[str | None, CURSOR_QUERY] = None,
) -> dict[str, Any]:
    authorize(staff, roles=DESK_ROLES)
    office = catalogue.offices.get(staff.office)
    if office is None:
        raise Refused.forbidden("wrong_office", "Your office is not in the catalogue.")
    after = read_cursor(cursor, queue_number=str)
    async with get_runtime(request).pool.acquire() as conn:
        items = await visits_of_day(
            conn,
            office.id,
            day or local_today(office.region_code),
            limit=limit + 1,
            after=after["queue_number"] if after else None,
        )
    page, next_cursor = page_of(items, limit, lambda v: {"queue_number": v["queue_number"]})
    return {"items": page, "next_cursor": next_cursor}


@router.get(
    "/v1/desk/id-cards",
    tags=["desk"],
    summary="ID cards held at reception, longest held first, a page at a time",
    response_model=VisitList,
    dependencies=[audited("read_id_cards")],
)
async def get_id_cards(
    request: Request,
    staff: Staff,
    limit: Annotated[int, limit_query(most=1000)] = 1000,
    cursor: Annotated[str | None, CURSOR_QUERY] = None,
) -> dict[str, Any]:
    authorize(staff, roles=DESK_ROLES)
    after = read_cursor(cursor, left_at=datetime.fromisoformat, visit_id=UUID)
    async with get_runtime(request).pool.acquire() as conn:
        items = await id_cards_held(
            conn,
            staff.office,
            limit=limit + 1,
            after=(after["left_at"], after["visit_id"]) if after else None,
        )
    page, next_cursor = page_of(
        items,
        limit,
        lambda v: {"left_at": v["id_card"]["left_at"], "visit_id": v["visit_id"]},
    )
    return {"items": page, "next_cursor": next_cursor}


@router.post(
    "/v1/desk/visits/{visit_id}/id-card/return",
    tags=["desk"],
    summary="The ID card left at reception was handed back",
    response_model=IdCardReturned,
)
async def post_id_card_return(visit_id: UUID, request: Request, staff: Staff) -> dict[str, Any]:
    authorize(staff, roles=DESK_ROLES)
    return await return_id_card(
        new_uow(request), staff, visit_id, correlation_id=correlation_id(request)
    )


@router.post(
    "/v1/desk/visits/{visit_id}/call",
    tags=["desk"],
    summary="Call a waiting visitor's queue number to the desk (once)",
    responses={409: {"description": "already_called"}, 404: {"description": "visit_not_found"}},
    response_model=VisitorCalled,
)
async def post_visit_call(visit_id: UUID, request: Request, staff: Staff) -> dict[str, Any]:
    authorize(staff, roles=DESK_ROLES)
    return await call_visitor(
        new_uow(request), staff, visit_id, correlation_id=correlation_id(request)
    )
