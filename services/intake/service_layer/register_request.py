"""Use case: staff enter a request (walk-in desk, letter, telephone...) and it becomes a case.

Order matters: the body is stored as received *before* anything can refuse it, in its own
transaction, so a rejected or unreadable request is never lost. Then: role, schema,
office, the published standard, and finally one transaction that de-duplicates by channel
id, takes a ticket number, appends `ComplaintRegistered` (with its outbox row) and marks
the inbound message accepted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from services.intake.adapters import repository as repo
from services.intake.domain.commands import RegisterRequest
from services.intake.domain.registration import (
    RequestRefused,
    ValidRequest,
    identifiers,
    normalise_phone,
    parse_request,
    register,
    resolve_office,
    validate_request,
)
from services.intake.domain.tickets import format_ticket, office_local_date, ticket_prefix
from shared.auth import StaffIdentity
from shared.catalogue import Catalogue
from shared.contracts.base import Event, EventMetadata
from shared.contracts.intake_events import DuplicateSuspected, IdCardDeposited
from shared.contracts.vocab import Channel, Role
from shared.eventstore.store import EventStore, stream_version
from shared.logging import bind_context, get_logger

log = get_logger(__name__)

REGISTER_ROLES = frozenset(
    {Role.FRONT_OFFICE, Role.RECEPTIONIST, Role.OFFICER, Role.COMPLAINT_OFFICER}
)
SOURCE_STAFF_API = "staff_api"
MAX_BODY_BYTES = 1024 * 1024
_CHANNELS = frozenset(c.value for c in Channel)
# How far back an open case with the same NIK and service (or phone) counts as a likely
# duplicate of a new one. Staff confirm or dismiss each link.
DUPLICATE_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Inbound:
    """A request exactly as it reached the HTTP endpoint."""

    body: bytes
    received_at: datetime
    correlation_id: UUID
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    truncated: bool = False  # the body was longer than MAX_BODY_BYTES; only that much kept


@dataclass(frozen=True)
class Registered:
    inbound_id: UUID
    case_id: UUID
    ticket_number: str
    duplicate: bool  # a redelivery: the case registered the first time


class Rejected(Exception):
    """The request was refused; the inbound message is kept with the same code."""

    def __init__(self, inbound_id: UUID, refusal: RequestRefused) -> None:
        super().__init__(refusal.message)
        self.inbound_id = inbound_id
        self.code = refusal.code
        self.message = refusal.message
        self.details = refusal.details


async def register_request(
    pool: asyncpg.Pool,
    store: EventStore,
    catalogue: Catalogue,
    staff: StaffIdentity,
    inbound: Inbound,
) -> Registered:
    inbound_id = uuid4()
    # What the message claims, filled in as far as it could be read: kept on the row
    # whether it is accepted or rejected.
    claims: dict[str, Any] = {}

    async def keep(conn: asyncpg.Connection, **decision: Any) -> None:
        await repo.record_inbound(
            conn,
            inbound_id=inbound_id,
            received_at=inbound.received_at,
            source=SOURCE_STAFF_API,
            content_type=inbound.content_type,
            headers=inbound.headers,
            body=inbound.body,
            body_truncated=inbound.truncated,
            entered_by=staff.actor,
            entered_by_office=staff.office,
            correlation_id=inbound.correlation_id,
            **claims,
            **decision,
        )

    try:
        cmd, valid = _validate(catalogue, staff, inbound, claims)
        # Accepted: the raw message, the case and its event commit together (one commit
        # per request keeps intake close to the database's own commit rate).
        async with pool.acquire() as conn, conn.transaction():
            result = await register_valid(
                conn,
                store,
                valid,
                cmd,
                inbound_id=inbound_id,
                actor=staff.actor,
                correlation_id=inbound.correlation_id,
                claims=claims,
                keep=keep,
            )
            if cmd.visit_id is not None and not result.duplicate:
                card = await repo.link_visit(conn, cmd.visit_id, result.case_id, valid.office.id)
                if card is not None:
                    # The card left at reception now belongs to the case: say so, or the
                    # case never knows it holds the visitor's card until it is returned.
                    stream = f"visit-{cmd.visit_id}"
                    await store.append(
                        conn,
                        stream,
                        await stream_version(conn, stream),
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
    except RequestRefused as refusal:
        async with pool.acquire() as conn:
            await keep(
                conn,
                status="rejected",
                reason=refusal.code,
                message=refusal.message,
                details=refusal.details,
            )
        log.info("request_rejected", inbound_id=str(inbound_id), reason=refusal.code)
        raise Rejected(inbound_id, refusal) from None
    except Exception:
        # Our fault, not the citizen's: the message is still kept, undecided, for staff.
        with contextlib.suppress(Exception):
            async with pool.acquire() as conn:
                await keep(conn, status="received", reason="internal_error")
        raise
    log.info(
        "request_registered",
        inbound_id=str(inbound_id),
        case_id=str(result.case_id),
        ticket_number=result.ticket_number,
        duplicate=result.duplicate,
    )
    return result


def _validate(
    catalogue: Catalogue,
    staff: StaffIdentity,
    inbound: Inbound,
    claims: dict[str, Any],
) -> tuple[RegisterRequest, ValidRequest]:
    """Every check that needs no database, in the order the refusal codes are documented."""
    if inbound.truncated:
        raise RequestRefused(
            "payload_too_large",
            f"The body is larger than {MAX_BODY_BYTES} bytes.",
            {"max_bytes": MAX_BODY_BYTES},
        )
    if not staff.has_any(REGISTER_ROLES):
        wanted = sorted(r.value for r in REGISTER_ROLES)
        raise RequestRefused(
            "wrong_role",
            "This command needs one of the roles: " + ", ".join(wanted),
            {"required_roles": wanted, "roles": sorted(r.value for r in staff.roles)},
        )
    cmd = parse_request(inbound.body)
    claims["external_id"] = cmd.external_id
    claims["channel"] = cmd.channel if cmd.channel in _CHANNELS else None
    office = resolve_office(cmd, catalogue)
    claims["office"] = office.id
    if staff.office != office.id:
        raise RequestRefused(
            "wrong_office",
            f"Staff of office {staff.office!r} cannot register a request for {office.id!r}.",
            {"staff_office": staff.office, "office": office.id},
        )
    return cmd, validate_request(cmd, office, now=inbound.received_at)


async def register_valid(
    conn: asyncpg.Connection,
    store: EventStore,
    valid: ValidRequest,
    cmd: RegisterRequest,
    *,
    inbound_id: UUID,
    actor: str,
    correlation_id: UUID,
    claims: dict[str, Any],
    handle: str | None = None,
    message_ref: str | None = None,
    extra_events: tuple[Event, ...] = (),
    keep: Callable[..., Awaitable[None]] | None = None,
) -> Registered:
    """In the caller's transaction: de-duplicate by channel id, recognise the citizen,
    take a ticket, append `ComplaintRegistered` (and `DuplicateSuspected` when an open case
    looks the same), and mark the inbound message accepted.

    `keep` writes the inbound row with its decision (the staff API keeps the raw message
    in this same transaction); without it the row exists already and is updated."""

    async def decided(**decision: Any) -> None:
        if keep is not None:
            await keep(conn, **decision)
        else:
            await repo.mark_inbound(conn, inbound_id, **claims, **decision)

    office = valid.office
    if cmd.external_id is not None:
        await repo.lock_external_id(conn, valid.channel.value, cmd.external_id)
        existing = await repo.find_by_external_id(conn, valid.channel.value, cmd.external_id)
        if existing is not None:
            if existing.office != office.id:
                raise RequestRefused(
                    "external_id_taken",
                    f"{valid.channel.value} id {cmd.external_id!r} belongs to a case of "
                    "another office.",
                    {"field": "external_id"},
                )
            bind_context(case_id=str(existing.case_id), correlation_id=str(correlation_id))
            await decided(
                status="accepted",
                reason="duplicate",
                message="Sent before: the case registered then is returned.",
                case_id=existing.case_id,
            )
            return Registered(inbound_id, existing.case_id, existing.ticket_number, True)

    case_id = uuid4()
    bind_context(case_id=str(case_id), correlation_id=str(correlation_id))
    found: list[tuple[str, str]] = []
    nik = phone = None
    if not cmd.anonymous:
        found = identifiers(valid.applicant, valid.channel, handle)
        nik = valid.applicant.nik
        phone = normalise_phone(valid.applicant.phone)
    prefix = ticket_prefix(office)
    year = office_local_date(valid.received_at, office.region_code).year
    # The citizen, a likely duplicate and the ticket number in one round trip.
    known = await repo.identify_and_number(
        conn,
        found,
        uuid4(),
        office=office.id,
        service=valid.service.id,
        nik=nik,
        phone=phone,
        since=valid.received_at - DUPLICATE_WINDOW,
        prefix=prefix,
        year=year,
    )
    citizen_id, duplicate = known.citizen_id, known.duplicate
    ticket_number = format_ticket(prefix, year, known.ticket)
    events: list[Event] = [
        register(valid, cmd, case_id=case_id, ticket_number=ticket_number, citizen_id=citizen_id),
        *extra_events,
    ]
    if duplicate is not None:
        events.append(
            DuplicateSuspected(
                case_id=case_id,
                duplicate_of=duplicate.case_id,
                reason=duplicate.reason,
                window_days=DUPLICATE_WINDOW.days,
            )
        )
    meta = EventMetadata(
        case_id=case_id,
        office=office.id,
        correlation_id=correlation_id,
        actor=actor,
        channel=valid.channel,
    )
    await store.append(conn, f"complaint-{case_id}", 0, events, meta)
    await decided(status="accepted", case_id=case_id)
    await repo.add_registration(
        conn,
        case_id=case_id,
        ticket_number=ticket_number,
        office=office.id,
        service=valid.service.id,
        variant=valid.variant,
        channel=valid.channel.value,
        external_id=cmd.external_id,
        inbound_id=inbound_id,
        received_at=valid.received_at,
        citizen_id=citizen_id,
        nik=nik,
        phone=phone,
    )
    if duplicate is not None:
        await repo.add_duplicate(
            conn,
            case_id=case_id,
            duplicate_of=duplicate.case_id,
            office=office.id,
            reason=duplicate.reason,
        )
    if message_ref:
        await repo.add_thread_ref(conn, message_ref, case_id)
    return Registered(inbound_id, case_id, ticket_number, False)
