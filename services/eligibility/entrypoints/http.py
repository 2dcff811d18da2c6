"""Eligibility's HTTP API: a case's latest check (staff); the registry (administrators):
extract uploads, snapshots and their rejected rows, upserts, a person's listing history."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from services.eligibility.adapters import registry
from services.eligibility.adapters.extract_import import (
    ExtractError,
    from_pool,
    import_extract,
    rejects,
)
from services.eligibility.adapters.registry import upsert_members
from services.eligibility.domain.nik import nik_problem
from services.eligibility.domain.registry import RegistryMember
from services.eligibility.service_layer.check_eligibility import RecheckRefused, recheck
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


class Recheck(BaseModel):
    """The identity a channel did not carry, as staff learned it (e.g. read off the KTP)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    nik: str = Field(pattern=r"^\d{16}$", examples=["1377014101900001"])
    kk_number: str | None = Field(default=None, pattern=r"^\d{16}$")


RECHECK_ROLES = (
    Role.FRONT_OFFICE,
    Role.BACK_OFFICE,
    Role.COMPLAINT_OFFICER,
    Role.SOCIAL_WORKER,
)


@router.post(
    "/v1/cases/{case_id}/eligibility/recheck",
    tags=["eligibility"],
    summary="Check the registry and domicile again with a NIK the channel did not carry",
)
async def post_recheck(
    case_id: UUID, body: Recheck, request: Request, staff: Staff
) -> dict[str, Any]:
    bind_context(case_id=str(case_id), correlation_id=str(correlation_id(request)))
    authorize(staff, roles=RECHECK_ROLES)
    runtime = get_runtime(request)
    catalogue = request.app.state.catalogue
    try:
        async with runtime.pool.acquire() as conn, conn.transaction():
            await recheck(
                conn,
                runtime.store,
                catalogue,
                case_id,
                nik=body.nik,
                kk_number=body.kk_number,
                staff_office=staff.office,
                actor=staff.actor,
            )
            check = await latest_check(conn, case_id)
    except RecheckRefused as exc:
        raise ApiError(exc.status, exc.code, exc.message) from None
    assert check is not None
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
        n = await upsert_members(conn, body.members, staff_id=staff.staff_id)
    return {"upserted": n}


# Who may read the registry itself (a person's history, snapshots): the back office checks
# listings; administrators load extracts.
REGISTRY_ROLES = (Role.ADMIN, Role.BACK_OFFICE)
# The front office asks whether a citizen is listed (seed 000), the back office too (003).
LOOKUP_ROLES = (Role.ADMIN, Role.BACK_OFFICE, Role.FRONT_OFFICE)
UPLOAD_MAX_BYTES = 8 << 30


@router.post(
    "/v1/registry/imports",
    tags=["registry"],
    summary="Upload an extract (CSV body) as the new current snapshot (administrators)",
    openapi_extra={
        "requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}
    },
)
async def post_registry_import(
    request: Request,
    staff: Staff,
    source: Annotated[Literal["DTKS", "DTSEN"], Query()],
    snapshot_date: Annotated[date, Query()],
    max_rejected: Annotated[float, Query(ge=0, le=1)] = 0.05,
) -> dict[str, Any]:
    authorize(staff, roles=[Role.ADMIN])
    bind_context(correlation_id=str(correlation_id(request)))
    with tempfile.TemporaryDirectory(prefix="registry-upload-") as tmp:
        path = Path(tmp) / f"upload-{source}-{snapshot_date}.csv"
        size = 0
        with path.open("wb") as f:  # streamed to disk: never the whole extract in memory
            async for chunk in request.stream():
                size += len(chunk)
                if size > UPLOAD_MAX_BYTES:
                    raise ApiError(413, "extract_too_large", "The extract exceeds 8 GiB.")
                f.write(chunk)
        pool = get_runtime(request).pool
        async with pool.acquire() as conn:
            try:
                report = await import_extract(
                    conn,
                    path,
                    source=source,
                    snapshot_date=snapshot_date,
                    origin=f"upload by {staff.staff_id}",
                    max_rejected=max_rejected,
                    second_connection=from_pool(pool),
                )
            except ExtractError as exc:
                raise ApiError(
                    422,
                    exc.code,
                    f"{exc} The registry is unchanged.",
                    details=exc.details or None,
                ) from None
    return report.as_dict()


@router.get("/v1/registry/snapshots", tags=["registry"], summary="Loaded snapshots, newest first")
async def get_snapshots(request: Request, staff: Staff) -> dict[str, Any]:
    authorize(staff, roles=REGISTRY_ROLES)
    async with get_runtime(request).pool.acquire() as conn:
        rows = await registry.snapshots(conn)
    return {"snapshots": [_jsonable(r) for r in rows]}


@router.get(
    "/v1/registry/snapshots/{snapshot_id}/rejects",
    tags=["registry"],
    summary="Rows an import rejected, with line number and reason (administrators)",
)
async def get_snapshot_rejects(
    snapshot_id: int,
    request: Request,
    staff: Staff,
    after_line: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> dict[str, Any]:
    authorize(staff, roles=[Role.ADMIN])
    async with get_runtime(request).pool.acquire() as conn:
        rows = await rejects(conn, snapshot_id, limit=limit, after_line=after_line)
    return {"snapshot_id": snapshot_id, "rejects": rows}


@router.get(
    "/v1/registry/persons/{nik}",
    tags=["registry"],
    summary="Is this person listed? The current snapshot's listing (front and back office)",
)
async def get_listing(nik: str, request: Request, staff: Staff) -> dict[str, Any]:
    authorize(staff, roles=LOOKUP_ROLES)
    if problem := nik_problem(nik):
        raise ApiError(422, "nik_invalid", f"Not a NIK: {problem}")
    member = await lookup(request).find(nik)
    if member is None:
        raise ApiError(404, "not_listed", "The current registry snapshot does not list this NIK.")
    return member.model_dump(mode="json")


def lookup(request: Request) -> registry.BatchedLookup:
    """The app's batched lookup over the runtime's pool (made on first use)."""
    state = request.app.state
    if getattr(state, "registry_lookup", None) is None:
        state.registry_lookup = registry.BatchedLookup(get_runtime(request).pool)
    found: registry.BatchedLookup = state.registry_lookup
    return found


@router.get(
    "/v1/registry/persons/{nik}/history",
    tags=["registry"],
    summary="A person's listing in every snapshot, oldest first",
)
async def get_listing_history(nik: str, request: Request, staff: Staff) -> dict[str, Any]:
    authorize(staff, roles=REGISTRY_ROLES)
    if problem := nik_problem(nik):
        raise ApiError(422, "nik_invalid", f"Not a NIK: {problem}")
    async with get_runtime(request).pool.acquire() as conn:
        history = await registry.listing_history(conn, nik)
    return {"nik": nik, "history": [h.model_dump(mode="json") for h in history]}


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}
