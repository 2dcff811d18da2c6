"""Use cases of the checklist: open it when a case is registered, take in the DTKS result,
record the documents staff check (with an optional scan), and decide completeness."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from services.documents.domain import checklist as model
from services.documents.domain.commands import ReceiveDocument
from services.documents.domain.errors import DomainError
from services.documents.domain.files import CheckedFile
from services.documents.service_layer import projections
from services.documents.service_layer.context import Context
from shared.auth import StaffIdentity, authorize
from shared.catalogue import Catalogue, ServiceStandard
from shared.contracts.base import EventEnvelope, EventMetadata
from shared.contracts.documents_events import CompletionPromise
from shared.contracts.events import ComplaintRegistered, DtksNotFound, DtksVerified
from shared.contracts.vocab import Channel, Role
from shared.eventstore.store import read_stream
from shared.logging import get_logger

log = get_logger(__name__)

RECEIVE_ROLES = (Role.FRONT_OFFICE, Role.OFFICER, Role.BACK_OFFICE)


def case_not_found(case_id: UUID) -> DomainError:
    return DomainError(
        "case_not_found",
        f"No case {case_id} is known here (yet: a case just registered may take a moment).",
    )


def promise_for(service: ServiceStandard, channel: Channel | None) -> CompletionPromise:
    """The completion time the standard publishes for requests through `channel`."""
    duration = service.completion_time_for(channel) if channel else service.completion_time
    return CompletionPromise(
        value=duration.value,
        unit=duration.unit,
        label=duration.label,
        standard_version=service.version,
    )


async def open_checklist(
    conn: asyncpg.Connection, envelope: EventEnvelope, catalogue: Catalogue
) -> None:
    """ComplaintRegistered: the checklist of the case's variant, nothing received yet."""
    event = envelope.payload()
    assert isinstance(event, ComplaintRegistered)
    service = catalogue.office(event.office).service(event.service)
    variant_id = event.variant
    if variant_id is None and len(service.variants) == 1:
        variant_id = next(iter(service.variants))  # the only kind of request there is
    required = (
        model.requirements_for(service.variant(variant_id).required_documents)
        if variant_id is not None
        else ()
    )
    await projections.insert_checklist(
        conn,
        case_id=event.case_id,
        office=event.office,
        service=event.service,
        variant=variant_id,
        channel=event.channel.value,
        ticket_number=event.ticket_number,
        requires_dtks=service.requires_dtks,
        required=required,
        declared=event.documents_declared,
        registered_at=event.received_at,
        promise=promise_for(service, event.channel),
    )


async def record_dtks_result(conn: asyncpg.Connection, envelope: EventEnvelope) -> None:
    """DtksVerified / DtksNotFound: whether a letter requiring DTKS may be drafted."""
    event = envelope.payload()
    if isinstance(event, DtksVerified):
        status, reason, programmes, source = "verified", None, event.programmes, event.source
    elif isinstance(event, DtksNotFound):
        status, reason, programmes, source = "not_found", event.reason, (), None
    else:  # pragma: no cover - the handler table routes only these two here
        raise TypeError(envelope.event_type)
    await projections.record_dtks(
        conn,
        case_id=event.case_id,
        status=status,
        reason=reason,
        programmes=programmes,
        source=source,
        global_position=envelope.global_position,
    )


async def lock_checklist_row(conn: asyncpg.Connection, case_id: UUID) -> Any:
    """The case's checklist row, locked: commands on one case go one at a time."""
    row = await conn.fetchrow(
        "SELECT * FROM documents.checklists WHERE case_id = $1 FOR UPDATE", case_id
    )
    if row is None:
        raise case_not_found(case_id)
    return row


async def load_checklist(conn: asyncpg.Connection, row: Any) -> model.Checklist:
    definition = model.Checklist(
        case_id=row["case_id"],
        variant=row["variant"],
        required=tuple(model.Requirement.from_dict(r) for r in row["required"]),
        requested_at=row["registered_at"],
        promise=CompletionPromise.model_validate(row["promise"]) if row["promise"] else None,
    )
    stream = await read_stream(conn, model.stream_id(row["case_id"]))
    return model.fold(definition, (e.payload() for e in stream))


def case_metadata(row: Any, staff: StaffIdentity, correlation_id: UUID) -> EventMetadata:
    return EventMetadata(
        case_id=row["case_id"],
        office=row["office"],
        correlation_id=correlation_id,
        actor=staff.actor,
        channel=Channel(row["channel"]) if row["channel"] else None,
    )


async def receive_document(
    ctx: Context,
    cmd: ReceiveDocument,
    staff: StaffIdentity,
    correlation_id: UUID,
    *,
    file: CheckedFile | None = None,
) -> bool:
    """Record one checked document, and its scan if one came; False when nothing was new.

    The scan's bytes are inserted in the transaction that appends the event naming them:
    a refusal or a failure leaves neither behind.
    """
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await lock_checklist_row(conn, cmd.case_id)
        authorize(staff, roles=RECEIVE_ROLES, office=row["office"])
        checklist = await load_checklist(conn, row)
        scan = (
            model.ScannedFile(uuid4(), file.sha256, file.content_type, file.size)
            if file is not None
            else None
        )
        now = datetime.now(UTC)
        events = model.receive_document(
            checklist,
            document_type=cmd.document_type,
            form=cmd.form,
            checked_by=staff.actor,
            file=scan,
            now=now,
        )
        if not events:
            return False
        if file is not None and scan is not None:
            await projections.insert_file(
                conn,
                file_id=scan.file_id,
                case_id=cmd.case_id,
                document_type=cmd.document_type,
                form=cmd.form,
                file=file,
                uploaded_by=staff.actor,
            )
        envelopes = await ctx.store.append(
            conn,
            model.stream_id(cmd.case_id),
            checklist.version,
            events,
            case_metadata(row, staff, correlation_id),
            occurred_at=now,
        )
        after = model.fold(checklist, events)
        await projections.update_checklist(conn, after, envelopes)
    log.info(
        "document_received",
        document_type=cmd.document_type,
        with_file=file is not None,
        requirements_completed=len(events) > 1,
    )
    return True


async def check_document_first(ctx: Context, cmd: ReceiveDocument, staff: StaffIdentity) -> None:
    """Refuse an unknown document type or a wrong form before an upload is read."""
    async with ctx.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT * FROM documents.checklists WHERE case_id = $1", cmd.case_id
        )
        if row is None:
            raise case_not_found(cmd.case_id)
        authorize(staff, roles=RECEIVE_ROLES, office=row["office"])
        checklist = await load_checklist(conn, row)
    model.check_document(checklist, document_type=cmd.document_type, form=cmd.form)


async def note_missing(
    ctx: Context, case_id: UUID, staff: StaffIdentity, correlation_id: UUID
) -> model.Checklist:
    """The completeness decision; when something is missing the citizen is to be told
    (DocumentsMissingNoted), once per distinct list."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await lock_checklist_row(conn, case_id)
        authorize(staff, roles=RECEIVE_ROLES, office=row["office"])
        checklist = await load_checklist(conn, row)
        events = model.note_missing(checklist, noted_by=staff.actor)
        if not events:
            return checklist
        envelopes = await ctx.store.append(
            conn,
            model.stream_id(case_id),
            checklist.version,
            events,
            case_metadata(row, staff, correlation_id),
        )
        after = model.fold(checklist, events)
        await projections.update_checklist(conn, after, envelopes)
    log.info("documents_missing_noted", missing=after.missing)
    return after
