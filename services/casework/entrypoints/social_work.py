"""Social work (LK3, seed 004) over HTTP: the client's identity, the assessment, the case
consultation, counselling sessions, and the steps with their budgets."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Request

from services.casework import views
from services.casework.domain.commands import (
    RecordAssessment,
    RecordConsultation,
    RecordCounselling,
    Transition,
)
from services.casework.entrypoints.deps import accepted, bind_case, command_case, get_casework
from services.casework.entrypoints.schemas import CommandAccepted
from services.casework.service_layer.record_assessment import record_assessment
from services.casework.service_layer.record_client_identity import record_client_identity
from services.casework.service_layer.record_consultation import record_consultation
from services.casework.service_layer.record_counselling import record_counselling
from shared.auth import Staff, StaffRoles, authorize
from shared.contracts import case_roles

router = APIRouter(prefix="/v1/cases", tags=["cases"])


@router.post(
    "/{case_id}/social-work/identity",
    response_model=CommandAccepted,
    dependencies=[Depends(StaffRoles(*case_roles.IDENTITY_RECORDERS))],
)
async def identity(
    case_id: UUID, body: Transition, request: Request, staff: Staff
) -> CommandAccepted:
    """Step 2: the client's identity recorded (ClientIdentityRecorded)."""
    case, actor = await command_case(request, staff, case_id, case_roles.IDENTITY_RECORDERS)
    envelopes = await record_client_identity(get_casework(request).new_uow, case, body, actor)
    return await accepted(request, case_id, envelopes)


@router.post(
    "/{case_id}/assessment",
    response_model=CommandAccepted,
    dependencies=[Depends(StaffRoles(*case_roles.ASSESSORS))],
)
async def assessment(
    case_id: UUID, body: RecordAssessment, request: Request, staff: Staff
) -> CommandAccepted:
    """Step 4: the assigned social worker records the initial assessment (confidential)."""
    case, actor = await command_case(request, staff, case_id, case_roles.ASSESSORS)
    envelopes = await record_assessment(get_casework(request).new_uow, case, body, actor)
    return await accepted(request, case_id, envelopes)


@router.post(
    "/{case_id}/social-work/consultation",
    response_model=CommandAccepted,
    dependencies=[Depends(StaffRoles(*case_roles.CONSULTATION_HOLDERS))],
)
async def consultation(
    case_id: UUID, body: RecordConsultation, request: Request, staff: Staff
) -> CommandAccepted:
    """Step 5: case consultation; names the psychologist (CaseConsulted)."""
    case, actor = await command_case(request, staff, case_id, case_roles.CONSULTATION_HOLDERS)
    envelopes = await record_consultation(get_casework(request).new_uow, case, body, actor)
    return await accepted(request, case_id, envelopes)


@router.post(
    "/{case_id}/social-work/counselling",
    response_model=CommandAccepted,
    dependencies=[Depends(StaffRoles(*case_roles.COUNSELLORS))],
)
async def counselling(
    case_id: UUID, body: RecordCounselling, request: Request, staff: Staff
) -> CommandAccepted:
    """Step 6: one counselling session by the case's psychologist (confidential notes)."""
    case, actor = await command_case(request, staff, case_id, case_roles.COUNSELLORS)
    casework = get_casework(request)
    envelopes = await record_counselling(casework.new_uow, casework.standards, case, body, actor)
    return await accepted(request, case_id, envelopes)


@router.get("/{case_id}/social-work", response_model=views.SocialWorkView)
async def get_social_work(case_id: UUID, request: Request, staff: Staff) -> views.SocialWorkView:
    """The LK3 steps with their budgets from the standard: due, done, on time."""
    bind_case(request, case_id)
    casework = get_casework(request)
    async with casework.pool.acquire() as conn:
        row = await views.case_row(conn, case_id)
        authorize(staff, roles=case_roles.CASE_READERS, office=row["office"])
        state = await views.current_state(conn, case_id)
    return views.social_work_view(state, casework.standards)
