"""Intake's HTTP API: staff register requests, see what was refused, read the catalogue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from services.intake.domain.commands import RegisterRequest
from services.intake.entrypoints.schemas import (
    CatalogueSummary,
    InboundList,
    InboundMessage,
    OfficeStandards,
    Registered,
)
from services.intake.service_layer.register_request import (
    MAX_BODY_BYTES,
    Inbound,
    register_request,
)
from services.intake.views import (
    catalogue_summary,
    inbound_message,
    inbound_messages,
    office_standards,
    record_read,
)
from shared.audit import audited
from shared.auth import Staff, StaffIdentity, authorize
from shared.catalogue import Catalogue, UnknownEntry
from shared.contracts.vocab import Role
from shared.http import correlation_id, error_body
from shared.pagination import CURSOR_QUERY, limit_query, page_of, read_cursor
from shared.refusal import Refused
from shared.reporter import hidden_because
from shared.runtime import get_catalogue, get_runtime

router = APIRouter()
CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]
# Headers worth keeping with an inbound message (never the Authorization header).
_KEPT_HEADERS = ("content-type", "content-length", "user-agent", "x-correlation-id", "origin")
INBOUND_READ_ROLES = (Role.FRONT_OFFICE, Role.COMPLAINT_OFFICER, Role.ADMIN)


async def _read_body(request: Request) -> tuple[bytes, bool]:
    """The body, cut at MAX_BODY_BYTES (+ whether it was cut): never buffer unbounded."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return b"".join(chunks)[:MAX_BODY_BYTES], True
    return b"".join(chunks), False


@router.post(
    "/v1/requests",
    tags=["requests"],
    status_code=201,
    response_model=Registered,
    summary="Register a request or complaint entered by staff",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/RegisterRequest"}}
            },
        }
    },
    responses={
        200: {"description": "Sent before with the same channel and external_id: that case."},
        201: {"description": "Registered: a new case."},
        400: {"description": "malformed_json"},
        403: {"description": "wrong_role, wrong_office"},
        409: {"description": "external_id_taken"},
        413: {"description": "payload_too_large"},
        422: {
            "description": "invalid_request, unknown_office, unknown_service, unknown_variant, "
            "unknown_channel, channel_not_offered, nik_invalid, kk_number_invalid, "
            "kks_number_invalid, applicant_missing, received_at_in_future"
        },
    },
)
async def post_request(request: Request, staff: Staff) -> JSONResponse:
    # The hot path (benchmarked): the runtime's catalogue read directly, as a sync
    # dependency would cost a trip through the thread pool on every request.
    runtime = get_runtime(request)
    received_at = datetime.now(UTC)
    body, truncated = await _read_body(request)
    correlation = correlation_id(request)
    inbound = Inbound(
        body=body,
        truncated=truncated,
        content_type=request.headers.get("content-type"),
        headers={h: request.headers[h] for h in _KEPT_HEADERS if h in request.headers},
        received_at=received_at,
        correlation_id=correlation,
    )
    try:
        result = await register_request(
            runtime.pool,
            runtime.store,
            runtime.catalogue,
            staff,
            inbound,
            writer=request.app.state.registrations,
        )
    except Refused as refused:
        if "inbound_id" not in refused.details:
            raise
        # The one thing `shared.http` cannot add: the header naming the message kept.
        return JSONResponse(
            error_body(refused.code, refused.message, refused.details),
            status_code=refused.status,
            headers={"X-Inbound-ID": refused.details["inbound_id"]},
        )
    return JSONResponse(
        {
            "case_id": str(result.case_id),
            "ticket_number": result.ticket_number,
            "status": "registered",
            "duplicate": result.duplicate,
            "inbound_id": str(result.inbound_id),
            # The citizen's check code, for the receipt: shown this once, kept only hashed.
            "check_code": result.check_code,
        },
        status_code=200 if result.duplicate else 201,
        headers={"X-Inbound-ID": str(result.inbound_id)},
    )


@router.get(
    "/v1/inbound/{inbound_id}",
    tags=["inbound"],
    summary="One inbound message as received",
    response_model=InboundMessage,
    response_model_exclude_unset=True,  # a hidden body is absent, not null
    dependencies=[audited("read_inbound", subject="inbound_id", kind="inbound")],
)
async def get_inbound(inbound_id: UUID, request: Request, staff: Staff) -> dict[str, Any]:
    authorize(staff, roles=INBOUND_READ_ROLES)
    runtime = get_runtime(request)
    async with runtime.pool.acquire() as conn:
        found = await inbound_message(conn, inbound_id)
        if found is None:
            raise Refused.not_found("inbound_not_found", f"No inbound message {inbound_id}.")
        office, message = found
        if office is None:
            # No office could be read from it: only an administrator may look.
            authorize(staff, roles=[Role.ADMIN])
        else:
            authorize(staff, office=office)
        hidden = _identity_hidden(staff, message)
        if hidden:
            for key in ("headers", "body_base64", "body_text"):
                message.pop(key, None)
            message["body_hidden"] = hidden
        else:
            await record_read(conn, inbound_id, staff.actor)
    return message


def _identity_hidden(staff: StaffIdentity, message: dict[str, Any]) -> str | None:
    """Why this reader may not see the raw message (it holds the reporter's identity):
    the one rule of `shared.reporter`."""
    return hidden_because(
        staff,
        confidential=bool(message.get("confidential")),
        anonymous=bool(message.get("anonymous")),
    )


@router.get(
    "/v1/inbound",
    tags=["inbound"],
    summary="Inbound messages of my office, newest first, a page at a time",
    response_model=InboundList,
    dependencies=[audited("list_inbound")],
)
async def list_inbound(
    request: Request,
    staff: Staff,
    status: Literal["received", "accepted", "rejected"] | None = None,
    before: datetime | None = None,
    limit: Annotated[int, limit_query()] = 50,
    cursor: Annotated[str | None, CURSOR_QUERY] = None,
) -> dict[str, Any]:
    authorize(staff, roles=INBOUND_READ_ROLES)
    after = read_cursor(cursor, received_at=datetime.fromisoformat, id=UUID)
    runtime = get_runtime(request)
    async with runtime.pool.acquire() as conn:
        items = await inbound_messages(
            conn,
            office=staff.office,
            include_without_office=Role.ADMIN in staff.roles,
            status=status,
            before=before,
            limit=limit + 1,
            after=(after["received_at"], after["id"]) if after else None,
        )
    page, next_cursor = page_of(
        items, limit, lambda m: {"received_at": m["received_at"], "id": m["id"]}
    )
    return {"items": page, "next_cursor": next_cursor}


@router.get(
    "/v1/catalogue",
    tags=["catalogue"],
    summary="Every office's services, in brief",
    response_model=CatalogueSummary,
)
async def read_catalogue(catalogue: CatalogueDep) -> dict[str, Any]:
    return catalogue_summary(catalogue)


@router.get(
    "/v1/catalogue/{office}",
    tags=["catalogue"],
    summary="One office's standards",
    response_model=OfficeStandards,
)
async def get_office(office: str, catalogue: CatalogueDep) -> dict[str, Any]:
    try:
        return office_standards(catalogue.office(office))
    except UnknownEntry:
        raise Refused.not_found("unknown_office", f"There is no office {office!r}.") from None


def register_schemas(components: dict[str, Any]) -> None:
    """Put RegisterRequest (read from the raw body, so FastAPI can't see it) in the docs."""
    schema = RegisterRequest.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in schema.pop("$defs", {}).items():
        components.setdefault(name, sub)
    components["RegisterRequest"] = schema
