"""What every casework router does around a use case: reach the service, bind the log
context, find the case and check the caller (404 / 409 case_not_ready / 403), and answer
with the events recorded."""

from __future__ import annotations

from uuid import UUID

from fastapi import Request

from services.casework import views
from services.casework.entrypoints.schemas import CommandAccepted, RecordedEvent
from services.casework.service_layer.case_command import Actor, CaseRef
from services.casework.service_layer.context import Casework
from shared.auth import StaffIdentity, authorize
from shared.contracts.base import EventEnvelope
from shared.contracts.vocab import Role
from shared.http import correlation_id
from shared.logging import bind_context
from shared.runtime import get_runtime


def get_casework(request: Request) -> Casework:
    """The casework context the bootstrap built on the runtime (a FastAPI dependency)."""
    casework = getattr(get_runtime(request), "casework", None)
    if not isinstance(casework, Casework):
        raise RuntimeError("the casework runtime was not built by services.casework.bootstrap")
    return casework


def bind_case(request: Request, case_id: UUID) -> UUID:
    correlation = correlation_id(request)
    bind_context(case_id=str(case_id), correlation_id=str(correlation))
    return correlation


async def command_case(
    request: Request, staff: StaffIdentity, case_id: UUID, roles: frozenset[Role]
) -> tuple[CaseRef, Actor]:
    """The case a command is about, and the caller as its actor, once allowed."""
    correlation = bind_case(request, case_id)
    async with get_casework(request).pool.acquire() as conn:
        row = await views.case_row(conn, case_id)
    authorize(staff, roles=roles, office=row["office"])
    return (
        CaseRef(case_id=case_id, office=row["office"], channel=row["channel"]),
        Actor.staff(staff.staff_id, correlation),
    )


async def accepted(
    request: Request, case_id: UUID, envelopes: list[EventEnvelope]
) -> CommandAccepted:
    async with get_casework(request).pool.acquire() as conn:
        row = await views.find_case(conn, case_id)
    return CommandAccepted(
        case_id=case_id,
        status=row["status"] if row else None,
        events=[
            RecordedEvent(
                event_id=e.event_id,
                event_type=e.event_type,
                stream_version=e.stream_version,
                global_position=e.global_position,
            )
            for e in envelopes
        ],
    )
