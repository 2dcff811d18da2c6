"""Policy: when a channel message was received (`InboundReceived`), route it: a reply to
a case intake already has (`ReplyReceived`), a new case (`ComplaintRegistered`, through
`register_valid_request` like the staff API), or the staff triage queue
(`TriageRequested`); a "status <ticket>" command becomes `StatusRequested`
(`request_status`), answered by notifications through the same channel. A message is
never refused for being unclear.

What a message *is* is decided by the pure domain (`domain/inbound.py`: `reply_reference`,
`classify`); this module does the looking up and the writing, inside the consumer's
transaction (a joined unit of work), so a redelivery changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from services.intake.adapters import attachments as attachment_rows
from services.intake.adapters import repository as repo
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from services.intake.domain.inbound import (
    Classified,
    InboundPayload,
    NeedsTriage,
    classify,
    reply_reference,
    sender_address,
    status_command,
    triage_summary,
)
from services.intake.domain.registration import validate_request
from services.intake.service_layer.announce_case_attachments import announce_case_attachments
from services.intake.service_layer.receive_inbound import ADAPTER_ACTOR
from services.intake.service_layer.register_valid_request import (
    Registered,
    register_valid_request,
)
from services.intake.service_layer.request_status import request_status
from shared.catalogue import Catalogue
from shared.contracts.base import EventEnvelope, EventMetadata
from shared.contracts.intake_events import InboundReceived, ReplyReceived, TriageRequested
from shared.contracts.streams import complaint_stream, inbound_stream
from shared.logging import bind_context, get_logger
from shared.refusal import Refused

log = get_logger(__name__)


async def route_inbound_message(
    uow: IntakeUnitOfWork,
    catalogue: Catalogue,
    event: InboundReceived,
    envelope: EventEnvelope,
) -> None:
    """Route one message, in the (joined) unit of work of the consumer."""
    conn = uow.conn
    bind_context(inbound_id=str(event.inbound_id), correlation_id=str(envelope.correlation_id))
    if not await repo.inbound_kept(conn, event.inbound_id):
        # Only intake's own doors publish InboundReceived; an outside adapter that wrote
        # one here gets a reason it can act on, not a database error.
        raise Refused.invalid(
            "inbound_not_kept",
            "InboundReceived is internal to intake and names no message it kept: outside "
            "adapters publish an AdapterMessage to slrt.intake.adapters.",
        )
    payload = InboundPayload.model_validate(event.payload)
    asked = status_command(payload)
    reply_to = sender_address(payload, event.channel)
    if asked is not None and reply_to is not None:
        # "status <ticket>": answered through the same channel, never a case or a reply.
        await request_status(uow, envelope, event, payload, ticket=asked, reply_to=reply_to)
        return
    reply = reply_reference(payload)
    if reply is not None:
        found = None
        if reply.thread_refs:
            found = await repo.case_by_thread(conn, reply.thread_refs)
        if found is None and reply.ticket_number:
            found = await repo.case_by_ticket(conn, reply.ticket_number)
            if found is not None and payload.office not in (None, found.office):
                found = None  # a ticket of another office is not this office's case
        if found is not None:
            await _reply(uow, envelope, event, payload, found.case_id, found.office)
            return
    outcome = classify(payload, event.channel, catalogue, external_id=event.external_id)
    if isinstance(outcome, Classified):
        office = catalogue.office(outcome.command.office)
        # The case was received when its channel received the message (a letter's date of
        # receipt, the hour a suggestion box was opened, an adapter's `received_at`), not
        # when this consumer got to it: the standard's clock counts from then.
        command = outcome.command.model_copy(update={"received_at": event.received_at})
        try:
            valid = validate_request(command, office, now=datetime.now(UTC))
            async with conn.transaction():  # a savepoint: a refusal leaves nothing behind
                result = await register_valid_request(
                    uow,
                    valid,
                    command,
                    inbound_id=event.inbound_id,
                    actor=ADAPTER_ACTOR,
                    correlation_id=envelope.correlation_id,
                    claims={
                        "channel": event.channel.value,
                        "office": office.id,
                        "external_id": event.external_id,
                    },
                    handle=payload.sender.handle,
                    message_ref=payload.message_ref,
                )
                await _attachments_follow(uow, envelope, event, result.case_id, office.id, result)
        except Refused as refusal:
            # From a channel, a NIK with a typo or an unknown variant is staff's to fix.
            outcome = NeedsTriage(office.id, refusal.code)
        else:
            log.info(
                "inbound_registered",
                case_id=str(result.case_id),
                ticket_number=result.ticket_number,
                duplicate=result.duplicate,
            )
            return
    await _triage(uow, envelope, event, payload, outcome)


async def _reply(
    uow: IntakeUnitOfWork,
    envelope: EventEnvelope,
    event: InboundReceived,
    payload: InboundPayload,
    case_id: UUID,
    office: str,
) -> None:
    stream = complaint_stream(case_id)
    version = await uow.events.version(stream)
    reply = ReplyReceived(
        case_id=case_id,
        inbound_id=event.inbound_id,
        channel=event.channel,
        summary=triage_summary(payload),
        attachments=tuple(a.file_name for a in payload.attachments),
    )
    meta = EventMetadata(
        case_id=case_id,
        office=office,
        correlation_id=envelope.correlation_id,
        causation_id=envelope.event_id,
        actor=ADAPTER_ACTOR,
        channel=event.channel,
    )
    await uow.events.append(stream, version, [reply], meta)
    if payload.message_ref:
        await repo.add_thread_ref(uow.conn, payload.message_ref, case_id)
    await repo.mark_inbound(
        uow.conn, event.inbound_id, status="reply", reason="reply", case_id=case_id, office=office
    )
    await _attachments_follow(uow, envelope, event, case_id, office)
    log.info("inbound_threaded", case_id=str(case_id))


async def _attachments_follow(
    uow: IntakeUnitOfWork,
    envelope: EventEnvelope,
    event: InboundReceived,
    case_id: UUID,
    office: str,
    result: Registered | None = None,
) -> None:
    """The message's files become documents of its case (a redelivery's are the first
    delivery's: not announced twice)."""
    if result is not None and result.duplicate:
        await attachment_rows.set_aside_redelivered(uow.conn, event.inbound_id)
        return
    await announce_case_attachments(
        uow,
        inbound_id=event.inbound_id,
        case_id=case_id,
        office=office,
        correlation_id=envelope.correlation_id,
        causation_id=envelope.event_id,
        actor=ADAPTER_ACTOR,
    )


async def _triage(
    uow: IntakeUnitOfWork,
    envelope: EventEnvelope,
    event: InboundReceived,
    payload: InboundPayload,
    outcome: NeedsTriage,
) -> None:
    summary = triage_summary(payload)
    triage = TriageRequested(
        inbound_id=event.inbound_id,
        channel=event.channel,
        office=outcome.office,
        reason=outcome.reason,
        summary=summary,
    )
    meta = EventMetadata(
        office=outcome.office,
        correlation_id=envelope.correlation_id,
        causation_id=envelope.event_id,
        actor=ADAPTER_ACTOR,
        channel=event.channel,
    )
    stream = inbound_stream(event.inbound_id)
    await uow.events.append(stream, await uow.events.version(stream), [triage], meta)
    await repo.queue_for_triage(
        uow.conn,
        inbound_id=event.inbound_id,
        office=outcome.office,
        channel=event.channel.value,
        reason=outcome.reason,
        summary=summary,
    )
    await repo.mark_inbound(
        uow.conn,
        event.inbound_id,
        status="triage",
        reason=outcome.reason,
        message="Waiting for staff to say which service this is.",
        office=outcome.office,
    )
    log.info("inbound_triage", reason=outcome.reason, office=outcome.office)
