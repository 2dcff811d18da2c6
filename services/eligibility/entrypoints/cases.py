"""Eligibility on a case (staff): its latest check, and a recheck with a NIK the channel
did not carry."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from services.eligibility import views
from services.eligibility.entrypoints.dependencies import CatalogueDep, NewUnitOfWork
from services.eligibility.entrypoints.schemas import EligibilityCheck
from services.eligibility.service_layer.recheck_case import recheck_case
from shared.audit import audited
from shared.auth import Staff, StaffIdentity, authorize
from shared.contracts import case_roles
from shared.contracts.vocab import NO_CASE_ROLES, Role
from shared.http import correlation_id
from shared.logging import bind_context
from shared.refusal import Refused
from shared.reporter import case_reporting, mask_identity
from shared.runtime import get_runtime

router = APIRouter(tags=["eligibility"])

# Whoever works on a case may see whether the person is listed; analysts read reports,
# not case files.
CASE_READ_ROLES = tuple(r for r in Role if r is not Role.ANALYST and r not in NO_CASE_ROLES)
RECHECK_ROLES = case_roles.RECHECKERS


class Recheck(BaseModel):
    """The identity a channel did not carry, as staff learned it (e.g. read off the KTP)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    nik: str = Field(pattern=r"^\d{16}$", examples=["1377014101900001"])
    kk_number: str | None = Field(default=None, pattern=r"^\d{16}$")


@router.get(
    "/v1/cases/{case_id}/eligibility",
    summary="The latest registry and domicile check of a case",
    response_model=EligibilityCheck,
    dependencies=[audited("read_eligibility", subject="case_id", kind="case")],
)
async def get_case_eligibility(case_id: UUID, request: Request, staff: Staff) -> dict[str, Any]:
    bind_context(case_id=str(case_id), correlation_id=str(correlation_id(request)))
    authorize(staff, roles=CASE_READ_ROLES)
    check = await views.latest_check(get_runtime(request).pool, case_id)
    if check is None:
        raise Refused.not_found(
            "eligibility_not_found",
            f"No eligibility check for case {case_id} (yet: it runs when the case is registered).",
        )
    authorize(staff, office=check["office"])
    return await _as_seen_by(staff, request, case_id, check)


async def _as_seen_by(
    staff: StaffIdentity, request: Request, case_id: UUID, check: dict[str, Any]
) -> dict[str, Any]:
    """The registry's answer names the person (NIK, KK, name): masked for a reader who may
    not see a confidential reporter (`shared.reporter`)."""
    reporting = await case_reporting(get_runtime(request).pool, case_id)
    if reporting.visible_to(staff):
        return check
    return {**mask_identity(check), "identity_hidden": True}


@router.post(
    "/v1/cases/{case_id}/eligibility/recheck",
    summary="Check the registry and domicile again with a NIK the channel did not carry",
    response_model=EligibilityCheck,
    dependencies=[audited("recheck_eligibility", subject="case_id", kind="case")],
)
async def post_recheck(
    case_id: UUID,
    body: Recheck,
    request: Request,
    staff: Staff,
    new_uow: NewUnitOfWork,
    catalogue: CatalogueDep,
) -> dict[str, Any]:
    bind_context(case_id=str(case_id), correlation_id=str(correlation_id(request)))
    authorize(staff, roles=RECHECK_ROLES)
    await recheck_case(
        new_uow,
        catalogue,
        case_id,
        nik=body.nik,
        kk_number=body.kk_number,
        staff_office=staff.office,
        actor=staff.actor,
    )
    check = await views.latest_check(get_runtime(request).pool, case_id)
    assert check is not None  # the recheck recorded one
    return await _as_seen_by(staff, request, case_id, check)
