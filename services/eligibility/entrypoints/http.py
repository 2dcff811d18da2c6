"""Eligibility's HTTP API: a case's latest check (staff), registry upserts (admin)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from services.eligibility.adapters.registry import upsert_members
from services.eligibility.domain.registry import RegistryMember
from services.eligibility.views import latest_check
from shared.auth import Staff, authorize
from shared.contracts.vocab import Role
from shared.http import ApiError, correlation_id
from shared.logging import bind_context
from shared.runtime import get_runtime

router = APIRouter()

# Whoever works on a case may see whether the person is listed; analysts read reports,
# not case files.
CASE_READ_ROLES = tuple(r for r in Role if r is not Role.ANALYST)


class UpsertMembers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    members: list[RegistryMember] = Field(min_length=1, max_length=1000)


@router.get(
    "/v1/cases/{case_id}/eligibility",
    tags=["eligibility"],
    summary="The latest registry and domicile check of a case",
)
async def get_case_eligibility(case_id: UUID, request: Request, staff: Staff) -> dict[str, Any]:
    bind_context(case_id=str(case_id), correlation_id=str(correlation_id(request)))
    authorize(staff, roles=CASE_READ_ROLES)
    async with get_runtime(request).pool.acquire() as conn:
        check = await latest_check(conn, case_id)
    if check is None:
        raise ApiError(
            404,
            "eligibility_not_found",
            f"No eligibility check for case {case_id} (yet: it runs when the case is registered).",
        )
    authorize(staff, office=check["office"])
    return check


@router.post(
    "/v1/registry/members",
    tags=["registry"],
    summary="Insert or replace registry members by NIK (administrators)",
)
async def post_registry_members(
    body: UpsertMembers, request: Request, staff: Staff
) -> dict[str, int]:
    authorize(staff, roles=[Role.ADMIN])
    async with get_runtime(request).pool.acquire() as conn, conn.transaction():
        n = await upsert_members(conn, body.members)
    return {"upserted": n}
