"""Use case: staff enter a request (walk-in desk, letter, telephone...) and it becomes a case.

Order matters: every check that needs no database comes first (size, role, schema,
office, the published standard). A refused request is kept as received, with the
refusal's code, in a transaction of its own, so a rejected or unreadable request is never
lost. An accepted one is written with the raw message in one transaction that
de-duplicates by channel id, takes a ticket number, appends `ComplaintRegistered` (with its
outbox row) and marks the inbound message accepted: by the group commit
(`group_commit.py`) together with the requests arriving at the same time, or alone
(`register_valid_request.py`) for a walk-in tied to a visit.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import asyncpg

from services.intake.adapters import repository as repo
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.domain.commands import RegisterRequest
from services.intake.domain.registration import (
    ValidRequest,
    parse_request,
    reporter_flags,
    resolve_office,
    validate_request,
)
from services.intake.service_layer.register_valid_request import (
    Keep,
    Registered,
    register_valid_request,
)
from shared.auth import StaffIdentity
from shared.catalogue import Catalogue
from shared.contracts.base import EventMetadata
from shared.contracts.intake_events import IdCardDeposited
from shared.contracts.streams import visit_stream
from shared.contracts.vocab import Channel, Role
from shared.eventstore.store import EventStore
from shared.logging import bind_context, get_logger
from shared.refusal import Refused

if TYPE_CHECKING:
    from services.intake.service_layer.group_commit import RegistrationWriter

log = get_logger(__name__)

REGISTER_ROLES = frozenset(
    {Role.FRONT_OFFICE, Role.RECEPTIONIST, Role.OFFICER, Role.COMPLAINT_OFFICER}
)
SOURCE_STAFF_API = "staff_api"
MAX_BODY_BYTES = 1024 * 1024
_CHANNELS = frozenset(c.value for c in Channel)


@dataclass(frozen=True)
class Inbound:
    """A request exactly as it reached the HTTP endpoint."""

    body: bytes
    received_at: datetime
    correlation_id: UUID
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    truncated: bool = False  # the body was longer than MAX_BODY_BYTES; only that much kept


async def register_request(
    pool: asyncpg.Pool,
    store: EventStore,
    catalogue: Catalogue,
    staff: StaffIdentity,
    inbound: Inbound,
    writer: RegistrationWriter | None = None,
) -> Registered:
    """`writer` (group commit) writes the request with others that arrive at the same
    time; without it, or for a walk-in tied to a visit, it is written on its own.

    A refusal is raised as `Refused` with the inbound message's id in its details (the
    answer names the message kept with the same code); the details kept on the message
    itself are the refusal's own."""
    inbound_id = uuid4()
    # What the message claims, filled in as far as it could be read: kept on the row
    # whether it is accepted or rejected.
    claims: dict[str, Any] = {}

    def message() -> dict[str, Any]:
        return {
            "inbound_id": inbound_id,
            "received_at": inbound.received_at,
            "source": SOURCE_STAFF_API,
            "content_type": inbound.content_type,
            "headers": inbound.headers,
            "body": inbound.body,
            "body_truncated": inbound.truncated,
            "entered_by": staff.actor,
            "entered_by_office": staff.office,
            "correlation_id": inbound.correlation_id,
            **claims,
        }

    async def keep(conn: asyncpg.Connection, **decision: Any) -> None:
        await repo.record_inbound(conn, **message(), **decision)

    try:
        cmd, valid = _validate(catalogue, staff, inbound, claims)
        if writer is not None and cmd.visit_id is None:
            result = await writer.register(
                valid,
                cmd,
                inbound_id=inbound_id,
                actor=staff.actor,
                correlation_id=inbound.correlation_id,
                inbound=message(),
            )
        else:
            result = await _register_alone(
                pool, store, valid, cmd, staff, inbound, inbound_id, claims, keep
            )
    except Refused as refusal:
        async with pool.acquire() as conn:
            await keep(
                conn,
                status="rejected",
                reason=refusal.code,
                message=refusal.message,
                details=refusal.details,
            )
        log.info("request_rejected", inbound_id=str(inbound_id), reason=refusal.code)
        raise Refused(
            refusal.code,
            refusal.message,
            status=refusal.status,
            details={**refusal.details, "inbound_id": str(inbound_id)},
        ) from None
    except Exception:
        # Our fault, not the citizen's: the message is still kept, undecided, for staff.
        with contextlib.suppress(Exception):
            async with pool.acquire() as conn:
                await keep(conn, status="received", reason="internal_error")
        raise
    bind_context(case_id=str(result.case_id), correlation_id=str(inbound.correlation_id))
    log.info(
        "request_registered",
        inbound_id=str(inbound_id),
        case_id=str(result.case_id),
        ticket_number=result.ticket_number,
        duplicate=result.duplicate,
    )
    return result


async def _register_alone(
    pool: asyncpg.Pool,
    store: EventStore,
    valid: ValidRequest,
    cmd: RegisterRequest,
    staff: StaffIdentity,
    inbound: Inbound,
    inbound_id: UUID,
    claims: dict[str, Any],
    keep: Keep,
) -> Registered:
    # Accepted: the raw message, the case and its event commit together.
    async with IntakeUnitOfWork(pool, store) as uow:
        result = await register_valid_request(
            uow,
            valid,
            cmd,
            inbound_id=inbound_id,
            actor=staff.actor,
            correlation_id=inbound.correlation_id,
            claims=claims,
            keep=keep,
        )
        if cmd.visit_id is not None and not result.duplicate:
            card = await uow.visits.link_case(cmd.visit_id, result.case_id, valid.office.id)
            if card is not None:
                # The card left at reception now belongs to the case: say so, or the
                # case never knows it holds the visitor's card until it is returned.
                stream = visit_stream(cmd.visit_id)
                await uow.events.append(
                    stream,
                    await uow.events.version(stream),
                    [
                        IdCardDeposited(
                            visit_id=cmd.visit_id,
                            case_id=result.case_id,
                            office=valid.office.id,
                            card_kind=card["id_card_kind"],
                            held_by=card["id_card_held_by"] or staff.actor,
                        )
                    ],
                    EventMetadata(
                        case_id=result.case_id,
                        office=valid.office.id,
                        correlation_id=inbound.correlation_id,
                        actor=staff.actor,
                        channel=Channel.WALK_IN,
                    ),
                )
        await uow.commit()
    return result


def _validate(
    catalogue: Catalogue,
    staff: StaffIdentity,
    inbound: Inbound,
    claims: dict[str, Any],
) -> tuple[RegisterRequest, ValidRequest]:
    """Every check that needs no database, in the order the refusal codes are documented."""
    if inbound.truncated:
        raise Refused(
            "payload_too_large",
            f"The body is larger than {MAX_BODY_BYTES} bytes.",
            status=413,
            details={"max_bytes": MAX_BODY_BYTES},
        )
    if not staff.has_any(REGISTER_ROLES):
        wanted = sorted(r.value for r in REGISTER_ROLES)
        raise Refused.forbidden(
            "wrong_role",
            "This command needs one of the roles: " + ", ".join(wanted),
            {"required_roles": wanted, "roles": sorted(r.value for r in staff.roles)},
        )
    claims.update(reporter_flags(inbound.body))
    cmd = parse_request(inbound.body)
    # Kept on the raw message too: it holds the reporter's identity, and the flags decide
    # who may read it (`shared.reporter`).
    claims["anonymous"] = cmd.anonymous
    claims["confidential"] = cmd.confidential
    claims["external_id"] = cmd.external_id
    claims["channel"] = cmd.channel if cmd.channel in _CHANNELS else None
    office = resolve_office(cmd, catalogue)
    claims["office"] = office.id
    if staff.office != office.id:
        raise Refused.forbidden(
            "wrong_office",
            f"Staff of office {staff.office!r} cannot register a request for {office.id!r}.",
            {"staff_office": staff.office, "office": office.id},
        )
    return cmd, validate_request(cmd, office, now=inbound.received_at)
