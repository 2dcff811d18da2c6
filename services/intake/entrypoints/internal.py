"""Intake's internal API (`/v1/internal/…`, the services' shared key, `shared.internal_api`):
the public portal verifies a ticket number and check code here before it asks casework
for the request's status. Never exposed by the portal itself."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from services.intake.service_layer.verify_check_code import verify_check_code
from shared.internal_api import require_internal_key
from shared.runtime import get_runtime

router = APIRouter(
    prefix="/v1/internal", tags=["internal"], dependencies=[Depends(require_internal_key)]
)


class CheckCodeQuestion(BaseModel):
    office: str = Field(max_length=64)
    ticket_number: str = Field(max_length=40)
    code: str = Field(max_length=40)


class CheckCodeAnswer(BaseModel):
    case_id: str
    ticket_number: str
    office: str


@router.post("/check-codes/verify", response_model=CheckCodeAnswer)
async def post_verify(body: CheckCodeQuestion, request: Request) -> CheckCodeAnswer:
    """200 with the case when the pair opens this office's request; otherwise 404
    `not_found`, the same for an unknown ticket, another office's and a wrong code."""
    async with get_runtime(request).pool.acquire() as conn:
        found = await verify_check_code(
            conn, office=body.office, ticket_number=body.ticket_number, code=body.code
        )
    return CheckCodeAnswer(
        case_id=str(found.case_id), ticket_number=found.ticket_number, office=found.office
    )
