"""Use cases of the checklist: open it when a case is registered, take in the DTKS result,
and record the documents staff check."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from services.documents.domain import checklist as model
from services.documents.domain.commands import ReceiveDocument
from services.documents.domain.errors import DomainError
from services.documents.service_layer import projections
from services.documents.service_layer.context import Context
from shared.auth import StaffIdentity, authorize
from shared.catalogue import Catalogue
from shared.contracts.base import EventEnvelope, EventMetadata
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
    ctx: Context, cmd: ReceiveDocument, staff: StaffIdentity, correlation_id: UUID
) -> bool:
    """Record one checked document; False when it had been recorded already."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await lock_checklist_row(conn, cmd.case_id)
        authorize(staff, roles=RECEIVE_ROLES, office=row["office"])
        checklist = await load_checklist(conn, row)
        events = model.receive_document(
            checklist, document_type=cmd.document_type, form=cmd.form, checked_by=staff.actor
        )
        if not events:
            return False
        envelopes = await ctx.store.append(
            conn,
            model.stream_id(cmd.case_id),
            checklist.version,
            events,
            case_metadata(row, staff, correlation_id),
        )
        after = model.fold(checklist, events)
        await projections.update_checklist(conn, after, envelopes)
    log.info(
        "document_received",
        document_type=cmd.document_type,
        requirements_completed=len(events) > 1,
    )
    return True
