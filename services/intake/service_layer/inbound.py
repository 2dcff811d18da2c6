"""Use cases of the channel adapters: keep what arrived, publish it, decide it.

1. `receive` (adapter side, on the webhook's or SMTP session's request): in one
   transaction, keep the raw delivery in `intake.inbound_messages` (status `queued`), its
   attachments with checksums, and append `InboundReceived` (outbox -> Kafka topic
   `slrt.intake.inbound`). Only then does the channel get its 2xx / 250.
2. `decide` (intake's consumer of that topic, idempotent): a reply to a known case
   (`ReplyReceived`), a new case (`ComplaintRegistered`, through the same core as the staff
   API), or the triage queue (`TriageRequested`). Never a refusal for being unclear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from services.intake.adapters import repository as repo
from services.intake.adapters.channels.base import Received
from services.intake.domain.inbound import (
    Classified,
    InboundPayload,
    NeedsTriage,
    classify,
    reply_reference,
    triage_summary,
)
from services.intake.domain.registration import RequestRefused, validate_request
from services.intake.service_layer.register_request import register_valid
from shared.catalogue import Catalogue
from shared.contracts.base import EventEnvelope, EventMetadata
from shared.contracts.intake_events import InboundReceived, ReplyReceived, TriageRequested
from shared.contracts.vocab import Channel
from shared.eventstore.store import EventStore, stream_version
from shared.logging import bind_context, get_logger

log = get_logger(__name__)
ADAPTER_ACTOR = "intake:adapter"


@dataclass(frozen=True)
class Delivery:
    """One delivery from a channel, exactly as it arrived (one HTTP body, one e-mail)."""

    source: str  # e.g. whatsapp-cloud-api, smtp, sp4n-lapor, website-form
    body: bytes
    content_type: str | None
    headers: dict[str, str]
    correlation_id: UUID
    entered_by: str | None = None  # the staff member who typed it in, if any
    entered_by_office: str | None = None


async def receive(
    pool: asyncpg.Pool, store: EventStore, delivery: Delivery, items: list[Received]
) -> list[UUID]:
    """Keep each item with the raw delivery and publish it; return their inbound ids."""
    ids: list[UUID] = []
    async with pool.acquire() as conn, conn.transaction():
        for item in items:
            inbound_id = uuid4()
            ids.append(inbound_id)
            payload = item.payload
            parsed = payload.model_dump(mode="json")
            await repo.record_inbound(
                conn,
                inbound_id=inbound_id,
                received_at=item.received_at,
                source=delivery.source,
                content_type=delivery.content_type,
                headers=delivery.headers,
                body=delivery.body,
                body_truncated=False,
                entered_by=delivery.entered_by,
                entered_by_office=delivery.entered_by_office,
                correlation_id=delivery.correlation_id,
                status="queued",
                channel=item.channel.value,
                office=payload.office,
                external_id=item.external_id,
                parsed=parsed,
                anonymous=payload.anonymous,
                confidential=payload.confidential,
            )
            # Files whose bytes came with the delivery (e-mail parts, a scanned letter);
            # WhatsApp media are references, fetched later by their id.
            with_bytes = payload.attachments[: len(item.attachments)]
            for att, ref in zip(item.attachments, with_bytes, strict=True):
                await repo.add_attachment(
                    conn,
                    attachment_id=uuid4(),
                    inbound_id=inbound_id,
                    file_name=ref.file_name,
                    content_type=ref.content_type,
                    content=att.content,
                    sha256=att.sha256,
                )
            event = InboundReceived(
                inbound_id=inbound_id,
                channel=item.channel,
                external_id=item.external_id,
                received_at=item.received_at,
                payload=parsed,
            )
            meta = EventMetadata(
                office=payload.office,
                correlation_id=delivery.correlation_id,
                actor=delivery.entered_by or ADAPTER_ACTOR,
                channel=item.channel,
            )
            await store.append(conn, f"inbound-{inbound_id}", 0, [event], meta)
    log.info("inbound_received", source=delivery.source, items=len(ids))
    return ids


async def record_refused_delivery(
    pool: asyncpg.Pool, delivery: Delivery, *, channel: Channel, reason: str, message: str
) -> UUID:
    """A delivery refused before reading (forged signature, unreadable body): kept, logged,
    never registered."""
    inbound_id = uuid4()
    async with pool.acquire() as conn:
        await repo.record_inbound(
            conn,
            inbound_id=inbound_id,
            received_at=datetime.now(UTC),
            source=delivery.source,
            content_type=delivery.content_type,
            headers=delivery.headers,
            body=delivery.body[: 1024 * 1024],
            body_truncated=len(delivery.body) > 1024 * 1024,
            entered_by=delivery.entered_by,
            entered_by_office=delivery.entered_by_office,
            correlation_id=delivery.correlation_id,
            status="rejected",
            reason=reason,
            message=message,
            channel=channel.value,
        )
    log.warning(
        "inbound_refused", source=delivery.source, reason=reason, inbound_id=str(inbound_id)
    )
    return inbound_id


async def decide(
    conn: asyncpg.Connection,
    store: EventStore,
    catalogue: Catalogue,
    envelope: EventEnvelope,
) -> None:
    """Intake's consumer of `InboundReceived`, inside the consumer's transaction."""
    event = envelope.payload()
    assert isinstance(event, InboundReceived)
    payload = InboundPayload.model_validate(event.payload)
    bind_context(inbound_id=str(event.inbound_id), correlation_id=str(envelope.correlation_id))
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
            await _reply(conn, store, envelope, event, payload, found.case_id, found.office)
            return
    outcome = classify(payload, event.channel, catalogue, external_id=event.external_id)
    if isinstance(outcome, Classified):
        office = catalogue.office(outcome.command.office)
        try:
            valid = validate_request(outcome.command, office, now=datetime.now(UTC))
            async with conn.transaction():  # a savepoint: a refusal leaves nothing behind
                result = await register_valid(
                    conn,
                    store,
                    valid,
                    outcome.command,
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
        except RequestRefused as refusal:
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
    await _triage(conn, store, envelope, event, payload, outcome)


async def _reply(
    conn: asyncpg.Connection,
    store: EventStore,
    envelope: EventEnvelope,
    event: InboundReceived,
    payload: InboundPayload,
    case_id: UUID,
    office: str,
) -> None:
    stream = f"complaint-{case_id}"
    version = await stream_version(conn, stream)
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
    await store.append(conn, stream, version, [reply], meta)
    if payload.message_ref:
        await repo.add_thread_ref(conn, payload.message_ref, case_id)
    await repo.mark_inbound(
        conn, event.inbound_id, status="reply", reason="reply", case_id=case_id, office=office
    )
    log.info("inbound_threaded", case_id=str(case_id))


async def _triage(
    conn: asyncpg.Connection,
    store: EventStore,
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
    stream = f"inbound-{event.inbound_id}"
    await store.append(conn, stream, await stream_version(conn, stream), [triage], meta)
    await repo.queue_for_triage(
        conn,
        inbound_id=event.inbound_id,
        office=outcome.office,
        channel=event.channel.value,
        reason=outcome.reason,
        summary=summary,
    )
    await repo.mark_inbound(
        conn,
        event.inbound_id,
        status="triage",
        reason=outcome.reason,
        message="Waiting for staff to say which service this is.",
        office=outcome.office,
    )
    log.info("inbound_triage", reason=outcome.reason, office=outcome.office)


def summary_of(payload: dict[str, Any]) -> str:
    return triage_summary(InboundPayload.model_validate(payload))
