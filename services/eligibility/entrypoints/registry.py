"""The registry over HTTP: extract uploads, snapshots and their rejected rows, upserts
(administrators); a person's listing and its history (front and back office)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from services.eligibility import views
from services.eligibility.adapters.registry_copy import from_pool
from services.eligibility.domain.nik import nik_problem
from services.eligibility.domain.registry import RegistryMember
from services.eligibility.entrypoints.dependencies import Lookup, NewUnitOfWork
from services.eligibility.entrypoints.schemas import (
    ImportReport,
    Listing,
    ListingHistory,
    RejectList,
    SnapshotList,
    Upserted,
)
from services.eligibility.service_layer.import_extract import import_extract
from services.eligibility.service_layer.upsert_members import upsert_members
from shared.auth import Staff, StaffIdentity, authorize
from shared.contracts.vocab import Role
from shared.http import correlation_id
from shared.logging import bind_context
from shared.pagination import CURSOR_QUERY, limit_query, page_of, read_cursor
from shared.refusal import Refused
from shared.runtime import get_runtime

router = APIRouter(tags=["registry"])

# Who may read the registry itself (a person's history, snapshots): the back office checks
# listings; administrators load extracts.
REGISTRY_ROLES = (Role.ADMIN, Role.BACK_OFFICE)
# The front office asks whether a citizen is listed (seed 000), the back office too (003).
LOOKUP_ROLES = (Role.ADMIN, Role.BACK_OFFICE, Role.FRONT_OFFICE)
UPLOAD_MAX_BYTES = 8 << 30


class UpsertMembers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    members: list[RegistryMember] = Field(min_length=1, max_length=1000)


@router.post(
    "/v1/registry/members",
    summary="Insert or replace registry members by NIK (administrators)",
    response_model=Upserted,
)
async def post_registry_members(
    body: UpsertMembers, staff: Staff, new_uow: NewUnitOfWork
) -> dict[str, int]:
    authorize(staff, roles=[Role.ADMIN])
    return {"upserted": await upsert_members(new_uow, body.members, staff_id=staff.staff_id)}


@router.post(
    "/v1/registry/imports",
    summary="Upload an extract (CSV body) as the new current snapshot (administrators)",
    response_model=ImportReport,
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
                    raise Refused("extract_too_large", "The extract exceeds 8 GiB.", status=413)
                f.write(chunk)
        pool = get_runtime(request).pool
        async with pool.acquire() as conn:
            report = await import_extract(
                conn,
                path,
                source=source,
                snapshot_date=snapshot_date,
                origin=f"upload by {staff.staff_id}",
                max_rejected=max_rejected,
                second_connection=from_pool(pool),
            )
    return report.as_dict()


@router.get(
    "/v1/registry/snapshots",
    summary="Loaded snapshots, newest first, a page at a time",
    response_model=SnapshotList,
)
async def get_snapshots(
    request: Request,
    staff: Staff,
    limit: Annotated[int, limit_query()] = 50,
    cursor: Annotated[str | None, CURSOR_QUERY] = None,
) -> dict[str, Any]:
    authorize(staff, roles=REGISTRY_ROLES)
    after = read_cursor(cursor, snapshot_id=int)
    rows = await views.snapshots(
        get_runtime(request).pool,
        limit=limit + 1,
        before_id=after["snapshot_id"] if after else None,
    )
    page, next_cursor = page_of(rows, limit, lambda s: {"snapshot_id": s["snapshot_id"]})
    return {"snapshots": page, "next_cursor": next_cursor}


@router.get(
    "/v1/registry/snapshots/{snapshot_id}/rejects",
    summary="Rows an import rejected, by line number, a page at a time (administrators)",
    response_model=RejectList,
)
async def get_snapshot_rejects(
    snapshot_id: int,
    request: Request,
    staff: Staff,
    after_line: Annotated[
        int,
        Query(ge=0, deprecated=True, description="Deprecated: use `cursor` (`next_cursor`)."),
    ] = 0,
    limit: Annotated[int, limit_query(most=10_000)] = 1000,
    cursor: Annotated[str | None, CURSOR_QUERY] = None,
) -> dict[str, Any]:
    authorize(staff, roles=[Role.ADMIN])
    after = read_cursor(cursor, line_no=int)
    rows = await views.snapshot_rejects(
        get_runtime(request).pool,
        snapshot_id,
        limit=limit + 1,
        after_line=after["line_no"] if after else after_line,
    )
    page, next_cursor = page_of(rows, limit, lambda r: {"line_no": r["line_no"]})
    return {"snapshot_id": snapshot_id, "rejects": page, "next_cursor": next_cursor}


def authorize_listing_read(staff: StaffIdentity, roles: Sequence[Role], nik: str) -> None:
    """Staff in one of `roles` asking about a NIK (422 if it is not one)."""
    authorize(staff, roles=roles)
    if problem := nik_problem(nik):
        raise Refused.invalid("nik_invalid", f"Not a NIK: {problem}")


@router.get(
    "/v1/registry/persons/{nik}",
    summary="Is this person listed? The current snapshot's listing (front and back office)",
    response_model=Listing,
)
async def get_listing(nik: str, staff: Staff, lookup: Lookup) -> dict[str, Any]:
    authorize_listing_read(staff, LOOKUP_ROLES, nik)
    member = await lookup.find(nik)
    if member is None:
        raise Refused.not_found(
            "not_listed", "The current registry snapshot does not list this NIK."
        )
    return member.model_dump(mode="json")


@router.get(
    "/v1/registry/persons/{nik}/history",
    summary="A person's listing in every snapshot, oldest first",
    response_model=ListingHistory,
)
async def get_listing_history(nik: str, request: Request, staff: Staff) -> dict[str, Any]:
    authorize_listing_read(staff, REGISTRY_ROLES, nik)
    return {"nik": nik, "history": await views.listing_history(get_runtime(request).pool, nik)}
