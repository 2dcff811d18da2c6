"""The case lifecycle over HTTP: take up, to the back office, assign / dispose /
delegate / hand over, start, pause, resume, answer, resolve, close, reopen, forward. Each
endpoint declares the roles it takes (checked before a byte of the body is read:
`shared.door`), checks the caller's office against the case's, then runs its use case
(`service_layer/<name>.py`).
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Request

from services.casework.domain.commands import (
    AnswerCase,
    AssignCase,
    DelegateCase,
    ForwardCase,
    PauseCase,
    ResolveCase,
    Transition,
)
from services.casework.entrypoints.deps import accepted, command_case, get_casework
from services.casework.entrypoints.schemas import CommandAccepted
from services.casework.service_layer.answer_case import answer_case
from services.casework.service_layer.assign_case import assign_case
from services.casework.service_layer.close_case import close_case
from services.casework.service_layer.delegate_case import delegate_case
from services.casework.service_layer.dispose_case import dispose_case
from services.casework.service_layer.forward_case import forward_case
from services.casework.service_layer.hand_over_case import hand_over_case
from services.casework.service_layer.hand_to_back_office import hand_to_back_office
from services.casework.service_layer.pause_case import pause_case
from services.casework.service_layer.reopen_case import reopen_case
from services.casework.service_layer.resolve_case import resolve_case
from services.casework.service_layer.resume_case import resume_case
from services.casework.service_layer.start_work import start_work
from services.casework.service_layer.take_up_case import take_up_case
from shared.auth import Staff, StaffRoles
from shared.contracts import case_roles

router = APIRouter(prefix="/v1/cases", tags=["cases"])


@router.post(
    "/{case_id}/take-up",
    response_model=CommandAccepted,
    dependencies=[Depends(StaffRoles(*case_roles.TAKERS))],
)
async def take_up(
    case_id: UUID, body: Transition, request: Request, staff: Staff
) -> CommandAccepted:
    """registered -> front_office (CaseFileOpened)."""
    case, actor = await command_case(request, staff, case_id, case_roles.TAKERS)
    envelopes = await take_up_case(get_casework(request).new_uow, case, body, actor)
    return await accepted(request, case_id, envelopes)


@router.post(
    "/{case_id}/back-office",
    response_model=CommandAccepted,
    dependencies=[Depends(StaffRoles(*case_roles.BACK_OFFICE_SENDERS))],
)
async def to_back_office(
    case_id: UUID, body: Transition, request: Request, staff: Staff
) -> CommandAccepted:
    """front_office -> back_office (CaseTransferred); refused if not eligible."""
    case, actor = await command_case(request, staff, case_id, case_roles.BACK_OFFICE_SENDERS)
    envelopes = await hand_to_back_office(get_casework(request).new_uow, case, body, actor)
    return await accepted(request, case_id, envelopes)


@router.post(
    "/{case_id}/assign",
    response_model=CommandAccepted,
    dependencies=[Depends(StaffRoles(*case_roles.ASSIGNERS))],
)
async def assign(
    case_id: UUID, body: AssignCase, request: Request, staff: Staff
) -> CommandAccepted:
    """Give the case to a staff member (CaseAssigned)."""
    case, actor = await command_case(request, staff, case_id, case_roles.ASSIGNERS)
    envelopes = await assign_case(get_casework(request).new_uow, case, body, actor)
    return await accepted(request, case_id, envelopes)


@router.post(
    "/{case_id}/disposition",
    response_model=CommandAccepted,
    dependencies=[Depends(StaffRoles(*case_roles.DISPOSERS))],
)
async def disposition(
    case_id: UUID, body: AssignCase, request: Request, staff: Staff
) -> CommandAccepted:
    """The head of office gives the case to an official (disposisi), in a role the
    standard's `disposition` allows (422 `disposition_role_not_allowed`)."""
    case, actor = await command_case(request, staff, case_id, case_roles.DISPOSERS)
    casework = get_casework(request)
    envelopes = await dispose_case(casework.new_uow, casework.standards, case, body, actor)
    return await accepted(request, case_id, envelopes)


@router.post(
    "/{case_id}/delegate",
    response_model=CommandAccepted,
    dependencies=[Depends(StaffRoles(*case_roles.DELEGATORS))],
)
async def delegate(
    case_id: UUID, body: DelegateCase, request: Request, staff: Staff
) -> CommandAccepted:
    """The disposed official hands the case on to a lower role the standard allows
    (CaseDelegated); only the case's owner may."""
    case, actor = await command_case(request, staff, case_id, case_roles.DELEGATORS)
    casework = get_casework(request)
    envelopes = await delegate_case(casework.new_uow, casework.standards, case, body, actor)
    return await accepted(request, case_id, envelopes)


@router.post(
    "/{case_id}/handover",
    response_model=CommandAccepted,
    dependencies=[Depends(StaffRoles(*case_roles.HANDOVER_GUIDES))],
)
async def handover(
    case_id: UUID, body: AssignCase, request: Request, staff: Staff
) -> CommandAccepted:
    """Reception takes a walk-in visitor to the appointed official (hand-over)."""
    case, actor = await command_case(request, staff, case_id, case_roles.HANDOVER_GUIDES)
    envelopes = await hand_over_case(get_casework(request).new_uow, case, body, actor)
    return await accepted(request, case_id, envelopes)


@router.post(
    "/{case_id}/start",
    response_model=CommandAccepted,
    dependencies=[Depends(StaffRoles(*case_roles.CASE_WORKERS))],
)
async def start(case_id: UUID, body: Transition, request: Request, staff: Staff) -> CommandAccepted:
    """assigned -> in_progress, by the case's owner (CaseWorkStarted)."""
    case, actor = await command_case(request, staff, case_id, case_roles.CASE_WORKERS)
    envelopes = await start_work(get_casework(request).new_uow, case, body, actor)
    return await accepted(request, case_id, envelopes)


@router.post(
    "/{case_id}/pause",
    response_model=CommandAccepted,
    dependencies=[Depends(StaffRoles(*case_roles.CASE_WORKERS))],
)
async def pause(case_id: UUID, body: PauseCase, request: Request, staff: Staff) -> CommandAccepted:
    """Wait for the citizen or another agency; the deadline clock stops (CasePaused)."""
    case, actor = await command_case(request, staff, case_id, case_roles.CASE_WORKERS)
    envelopes = await pause_case(get_casework(request).new_uow, case, body, actor)
    return await accepted(request, case_id, envelopes)


@router.post(
    "/{case_id}/resume",
    response_model=CommandAccepted,
    dependencies=[Depends(StaffRoles(*case_roles.CASE_WORKERS))],
)
async def resume(
    case_id: UUID, body: Transition, request: Request, staff: Staff
) -> CommandAccepted:
    """The wait is over; back to the stage before the pause (CaseResumed)."""
    case, actor = await command_case(request, staff, case_id, case_roles.CASE_WORKERS)
    envelopes = await resume_case(get_casework(request).new_uow, case, body, actor)
    return await accepted(request, case_id, envelopes)


@router.post(
    "/{case_id}/answer",
    response_model=CommandAccepted,
    dependencies=[Depends(StaffRoles(*case_roles.CASE_WORKERS))],
)
async def answer(
    case_id: UUID, body: AnswerCase, request: Request, staff: Staff
) -> CommandAccepted:
    """The citizen got the answer (CaseAnswered); the clock stops."""
    case, actor = await command_case(request, staff, case_id, case_roles.CASE_WORKERS)
    envelopes = await answer_case(get_casework(request).new_uow, case, body, actor)
    return await accepted(request, case_id, envelopes)


@router.post(
    "/{case_id}/resolve",
    response_model=CommandAccepted,
    dependencies=[Depends(StaffRoles(*case_roles.RESOLVERS))],
)
async def resolve(
    case_id: UUID, body: ResolveCase, request: Request, staff: Staff
) -> CommandAccepted:
    """Close the case with an outcome (CaseResolved); 409 already_resolved the second time."""
    case, actor = await command_case(request, staff, case_id, case_roles.RESOLVERS)
    envelopes = await resolve_case(get_casework(request).new_uow, case, body, actor)
    return await accepted(request, case_id, envelopes)


@router.post(
    "/{case_id}/close",
    response_model=CommandAccepted,
    dependencies=[Depends(StaffRoles(*case_roles.CLOSERS))],
)
async def close(case_id: UUID, body: Transition, request: Request, staff: Staff) -> CommandAccepted:
    """answered | resolved -> closed (CaseClosed)."""
    case, actor = await command_case(request, staff, case_id, case_roles.CLOSERS)
    envelopes = await close_case(get_casework(request).new_uow, case, body, actor)
    return await accepted(request, case_id, envelopes)


@router.post(
    "/{case_id}/reopen",
    response_model=CommandAccepted,
    dependencies=[Depends(StaffRoles(*case_roles.REOPENERS))],
)
async def reopen(
    case_id: UUID, body: Transition, request: Request, staff: Staff
) -> CommandAccepted:
    """answered | resolved | closed -> in_progress with a new clock (CaseReopened)."""
    case, actor = await command_case(request, staff, case_id, case_roles.REOPENERS)
    envelopes = await reopen_case(get_casework(request).new_uow, case, body, actor)
    return await accepted(request, case_id, envelopes)


@router.post(
    "/{case_id}/forward",
    response_model=CommandAccepted,
    dependencies=[Depends(StaffRoles(*case_roles.FORWARDERS))],
)
async def forward(
    case_id: UUID, body: ForwardCase, request: Request, staff: Staff
) -> CommandAccepted:
    """Not our authority: forward the case to the body that has it (CaseForwarded)."""
    case, actor = await command_case(request, staff, case_id, case_roles.FORWARDERS)
    envelopes = await forward_case(get_casework(request).new_uow, case, body, actor)
    return await accepted(request, case_id, envelopes)
