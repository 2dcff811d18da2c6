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
from typing import TYPE_CHECKING, Any
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

if TYPE_CHECKING:
    from services.intake.service_layer.group_commit import RegistrationWriter

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
    writer: RegistrationWriter | None = None,
) -> Registered:
    """`writer` (group commit) writes the request with others that arrive at the same
    time; without it, or for a walk-in tied to a visit, it is written on its own."""
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
    keep: Callable[..., Awaitable[None]],
) -> Registered:
    # Accepted: the raw message, the case and its event commit together.
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

    if cmd.external_id is not None:
        key = (valid.channel.value, cmd.external_id)
        existing = (await repo.find_by_external_ids(conn, [key])).get(key)
        if existing is not None:
            refuse_if_other_office(existing, valid, cmd)
            bind_context(case_id=str(existing.case_id), correlation_id=str(correlation_id))
            await decided(**resent_decision(existing.case_id))
            return Registered(inbound_id, existing.case_id, existing.ticket_number, True)

    new = NewCase.prepare(valid, cmd, handle)
    bind_context(case_id=str(new.case_id), correlation_id=str(correlation_id))
    # The citizen, a likely duplicate and the ticket number in one round trip.
    known = await repo.identify_and_number(conn, new.to_identify())
    written = new.identified(known, known.duplicate)
    await store.append(
        conn,
        written.stream_id,
        0,
        written.events(extra_events),
        written.meta(actor=actor, correlation_id=correlation_id),
    )
    await decided(status="accepted", case_id=new.case_id)
    await repo.add_registration(conn, **written.registration_row(inbound_id))
    if written.duplicate is not None:
        await repo.add_duplicate(conn, **written.duplicate_row())
    if message_ref:
        await repo.add_thread_ref(conn, message_ref, new.case_id)
    return Registered(inbound_id, new.case_id, written.ticket_number, False)


def refuse_if_other_office(existing: repo.Registration, valid: ValidRequest, cmd: Any) -> None:
    """A channel id is one office's: another office sending it is refused, not merged."""
    if existing.office != valid.office.id:
        raise RequestRefused(
            "external_id_taken",
            f"{valid.channel.value} id {cmd.external_id!r} belongs to a case of another office.",
            {"field": "external_id"},
        )


def resent_decision(case_id: UUID) -> dict[str, Any]:
    """What is recorded on an inbound message that repeats one already registered."""
    return {
        "status": "accepted",
        "reason": "duplicate",
        "message": "Sent before: the case registered then is returned.",
        "case_id": case_id,
    }


@dataclass(frozen=True)
class NewCase:
    """A request about to become a case: what is known before the database is asked."""

    valid: ValidRequest
    cmd: RegisterRequest
    case_id: UUID
    identifiers: list[tuple[str, str]]
    nik: str | None
    phone: str | None
    prefix: str
    year: int

    @classmethod
    def prepare(cls, valid: ValidRequest, cmd: RegisterRequest, handle: str | None) -> NewCase:
        anonymous = cmd.anonymous
        return cls(
            valid=valid,
            cmd=cmd,
            case_id=uuid4(),
            identifiers=[] if anonymous else identifiers(valid.applicant, valid.channel, handle),
            nik=None if anonymous else valid.applicant.nik,
            phone=None if anonymous else normalise_phone(valid.applicant.phone),
            prefix=ticket_prefix(valid.office),
            year=office_local_date(valid.received_at, valid.office.region_code).year,
        )

    def to_identify(self) -> repo.ToIdentify:
        return repo.ToIdentify(
            identifiers=self.identifiers,
            new_id=uuid4(),
            office=self.valid.office.id,
            service=self.valid.service.id,
            nik=self.nik,
            phone=self.phone,
            since=self.valid.received_at - DUPLICATE_WINDOW,
            prefix=self.prefix,
            year=self.year,
        )

    def identified(self, known: repo.Identified, duplicate: repo.OpenCase | None) -> Identified:
        return Identified(self, known.citizen_id, duplicate, known.ticket)

    def looks_like(self, citizen_id: UUID | None, earlier: Identified) -> str | None:
        """Why an earlier, still unwritten case of the same batch is likely this same
        request (the rule of `intake.identify`, for cases it cannot see yet), or None."""
        them = earlier.new
        if them.valid.office.id != self.valid.office.id:
            return None
        same_service = them.valid.service.id == self.valid.service.id
        if self.nik is not None and them.nik == self.nik and same_service:
            return "same_nik_and_service"
        if self.phone is not None and them.phone == self.phone:
            return "same_phone"
        if citizen_id is not None and earlier.citizen_id == citizen_id and same_service:
            return "same_citizen_and_service"
        return None


@dataclass(frozen=True)
class Identified:
    """A new case with its citizen, ticket and likely duplicate: ready to be written."""

    new: NewCase
    citizen_id: UUID | None
    duplicate: repo.OpenCase | None
    ticket: int

    @property
    def ticket_number(self) -> str:
        return format_ticket(self.new.prefix, self.new.year, self.ticket)

    @property
    def stream_id(self) -> str:
        return f"complaint-{self.new.case_id}"

    def events(self, extra: tuple[Event, ...] = ()) -> list[Event]:
        new = self.new
        events: list[Event] = [
            register(
                new.valid,
                new.cmd,
                case_id=new.case_id,
                ticket_number=self.ticket_number,
                citizen_id=self.citizen_id,
            ),
            *extra,
        ]
        if self.duplicate is not None:
            events.append(
                DuplicateSuspected(
                    case_id=new.case_id,
                    duplicate_of=self.duplicate.case_id,
                    reason=self.duplicate.reason,
                    window_days=DUPLICATE_WINDOW.days,
                )
            )
        return events

    def meta(self, *, actor: str, correlation_id: UUID) -> EventMetadata:
        return EventMetadata(
            case_id=self.new.case_id,
            office=self.new.valid.office.id,
            correlation_id=correlation_id,
            actor=actor,
            channel=self.new.valid.channel,
        )

    def registration_row(self, inbound_id: UUID) -> dict[str, Any]:
        new, valid = self.new, self.new.valid
        return {
            "case_id": new.case_id,
            "ticket_number": self.ticket_number,
            "office": valid.office.id,
            "service": valid.service.id,
            "variant": valid.variant,
            "channel": valid.channel.value,
            "external_id": new.cmd.external_id,
            "inbound_id": inbound_id,
            "received_at": valid.received_at,
            "citizen_id": self.citizen_id,
            "nik": new.nik,
            "phone": new.phone,
        }

    def duplicate_row(self) -> dict[str, Any]:
        assert self.duplicate is not None
        return {
            "case_id": self.new.case_id,
            "duplicate_of": self.duplicate.case_id,
            "office": self.new.valid.office.id,
            "reason": self.duplicate.reason,
        }
