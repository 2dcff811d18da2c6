"""The registry over HTTP: extract uploads, snapshots and their rejected rows, upserts
(administrators); a person's listing and its history (front and back office)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from services.eligibility import views
from services.eligibility.adapters.registry_copy import from_pool
from services.eligibility.domain.nik import nik_problem
from services.eligibility.domain.registry import RegistryMember
from services.eligibility.entrypoints.dependencies import CatalogueDep, Lookup, NewUnitOfWork
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
from shared.audit import audited
from shared.auth import Staff, StaffIdentity, StaffRoles, authorize
from shared.catalogue import Catalogue, Office, UnknownEntry
from shared.contracts.vocab import Role
from shared.http import correlation_id
from shared.localtime import local_today
from shared.logging import bind_context, get_logger
from shared.pagination import CURSOR_QUERY, limit_query, page_of, read_cursor
from shared.refusal import Refused
from shared.runtime import get_runtime

router = APIRouter(tags=["registry"])
log = get_logger(__name__)

# Who may read the registry itself (a person's history, snapshots): the back office checks
# listings; the registry administrators load extracts.
REGISTRY_ROLES = (Role.REGISTRY_ADMIN, Role.ADMIN, Role.BACK_OFFICE)
# The front office asks whether a citizen is listed (seed 000), the back office too (003).
LOOKUP_ROLES = (Role.REGISTRY_ADMIN, Role.ADMIN, Role.BACK_OFFICE, Role.FRONT_OFFICE)
# Loads extracts and corrects members: for the regions of the administrator's office only.
REGISTRY_ADMINS = (Role.REGISTRY_ADMIN,)
UPLOAD_MAX_BYTES = 8 << 30
# Path parameters are PostgreSQL integers: anything larger is no snapshot.
SnapshotId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Purpose = Annotated[
    str | None,
    Query(
        min_length=3,
        max_length=200,
        description="Why the person is looked up outside a case (recorded with the lookup).",
    ),
]
CaseRef = Annotated[
    UUID | None, Query(description="The case the lookup is for (recorded with the lookup).")
]


class UpsertMembers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    members: list[RegistryMember] = Field(min_length=1, max_length=1000)


@router.post(
    "/v1/registry/members",
    summary="Insert or replace registry members by NIK (administrators)",
    description="An amendment of the current snapshot. Each member keeps the `source` and "
    "`snapshot_date` of the extract it was taken from, and a verification of the person "
    "reports them. 422 `snapshot_date_in_future` (after today at the office) or "
    "`snapshot_out_of_order` (older than the current snapshot), nothing written.",
    response_model=Upserted,
    dependencies=[Depends(StaffRoles(*REGISTRY_ADMINS))],  # before the body (shared.door)
)
async def post_registry_members(
    body: UpsertMembers, staff: Staff, new_uow: NewUnitOfWork, catalogue: CatalogueDep
) -> dict[str, int]:
    office = _office(catalogue, staff)
    upserted = await upsert_members(
        new_uow,
        body.members,
        staff_id=staff.staff_id,
        today=local_today(office.region_code),
        covers=office.covers_region,
    )
    return {"upserted": upserted}


def _office(catalogue: Catalogue, staff: StaffIdentity) -> Office:
    try:
        return catalogue.office(staff.office)
    except UnknownEntry:
        raise Refused.forbidden(
            "unknown_office", f"The token's office {staff.office!r} is not in the catalogue."
        ) from None


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
    catalogue: CatalogueDep,
    max_rejected: Annotated[float, Query(ge=0, le=1)] = 0.05,
) -> dict[str, Any]:
    # Decided before a byte of the extract is read: who, for which regions.
    authorize(staff, roles=REGISTRY_ADMINS)
    office = _office(catalogue, staff)
    bind_context(correlation_id=str(correlation_id(request)))
    with tempfile.TemporaryDirectory(prefix="registry-upload-") as tmp:
        path = FilePath(tmp) / f"upload-{source}-{snapshot_date}.csv"
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
                office=office.id,
                regions=office.registry_region_codes,
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
    dependencies=[audited("read_registry_rejects", subject="snapshot_id", kind="snapshot")],
)
async def get_snapshot_rejects(
    snapshot_id: SnapshotId,
    request: Request,
    staff: Staff,
    after_line: Annotated[
        int,
        Query(ge=0, le=2**62, deprecated=True, description="Deprecated: use `cursor`."),
    ] = 0,
    limit: Annotated[int, limit_query(most=10_000)] = 1000,
    cursor: Annotated[str | None, CURSOR_QUERY] = None,
) -> dict[str, Any]:
    authorize(staff, roles=REGISTRY_ADMINS)
    pool = get_runtime(request).pool
    # The raw lines are personal data: the rows of the office's own imports only (a
    # national load from the command line has no office, and no HTTP reader).
    exists, office = await views.snapshot_office(pool, snapshot_id)
    if not exists or office != staff.office:
        raise Refused.not_found("snapshot_not_found", f"No snapshot {snapshot_id} of yours.")
    after = read_cursor(cursor, line_no=int)
    rows = await views.snapshot_rejects(
        pool,
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


async def _why(
    request: Request, staff: StaffIdentity, purpose: str | None, case_id: UUID | None
) -> str:
    """A lookup is made for a case of the caller's office, or with a stated purpose."""
    if case_id is not None:
        check = await views.latest_check(get_runtime(request).pool, case_id)
        if check is None or check["office"] != staff.office:
            raise Refused.not_found("case_not_found", f"No case {case_id} of your office.")
        return f"case:{case_id}"
    if purpose is None or not purpose.strip():
        raise Refused.invalid(
            "purpose_required",
            "A registry lookup is made for a case (case_id) or with a stated purpose.",
            {"fields": ["case_id", "purpose"]},
        )
    return purpose.strip()


def _logged(staff: StaffIdentity, what: str, why: str, outcome: str) -> None:
    # Who, what, why and the outcome; never the NIK itself (no personal data in logs).
    log.info(
        "registry_lookup",
        staff_id=staff.staff_id,
        office=staff.office,
        what=what,
        purpose=why,
        outcome=outcome,
    )


# Another office's person answers exactly like a NIK that is not listed (404 not_listed),
# never 403: a 403 would tell the caller that this NIK is in the registry elsewhere, and
# being listed is itself personal data (it says the household is poor).
@router.get(
    "/v1/registry/persons/{nik}",
    summary="Is this person listed? The current snapshot's listing (front and back office)",
    response_model=Listing,
    dependencies=[audited("registry_lookup", subject="nik", kind="nik")],
)
async def get_listing(
    nik: str,
    request: Request,
    staff: Staff,
    lookup: Lookup,
    catalogue: CatalogueDep,
    purpose: Purpose = None,
    case_id: CaseRef = None,
) -> dict[str, Any]:
    authorize_listing_read(staff, LOOKUP_ROLES, nik)
    why = await _why(request, staff, purpose, case_id)
    office = _office(catalogue, staff)
    member = await lookup.find(nik)
    if member is None or not office.covers_region(member.region_code):
        _logged(staff, "listing", why, "not_listed")
        raise Refused.not_found(
            "not_listed", "The current registry snapshot does not list this NIK in your regions."
        )
    _logged(staff, "listing", why, "listed")
    return member.model_dump(mode="json")


@router.get(
    "/v1/registry/persons/{nik}/history",
    summary="A person's listing in every snapshot, oldest first",
    response_model=ListingHistory,
    dependencies=[audited("registry_history", subject="nik", kind="nik")],
)
async def get_listing_history(
    nik: str,
    request: Request,
    staff: Staff,
    catalogue: CatalogueDep,
    purpose: Purpose = None,
    case_id: CaseRef = None,
) -> dict[str, Any]:
    authorize_listing_read(staff, REGISTRY_ROLES, nik)
    why = await _why(request, staff, purpose, case_id)
    office = _office(catalogue, staff)
    history = await views.listing_history(get_runtime(request).pool, nik)
    # A listing in another office's regions reads as absent (as for an unknown NIK).
    scoped = [
        h if not h["present"] or office.covers_region(h["region_code"] or "") else _absent(h)
        for h in history
    ]
    _logged(staff, "history", why, "listed" if any(h["present"] for h in scoped) else "absent")
    return {"nik": nik, "history": scoped}


def _absent(entry: dict[str, Any]) -> dict[str, Any]:
    keep = ("snapshot_id", "source", "snapshot_date", "current")
    return {
        **{k: entry[k] for k in keep},
        "present": False,
        "status": None,
        "kk_number": None,
        "region_code": None,
        "decile": None,
        "programmes": [],
        "listing_source": None,
        "listing_snapshot_date": None,
    }
