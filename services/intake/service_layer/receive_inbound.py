"""Use case: a channel delivered messages (a webhook, an SMTP session, a form, what desk
staff typed in); keep them and publish them, before the channel gets its 2xx / 250.

In one transaction: the raw delivery in `intake.inbound_messages` (status `queued`, with
what the adapter read), its attachments with checksums, and `InboundReceived` on the
message's stream (outbox -> topic `slrt.intake.inbound`). Intake's own consumer then
decides what each message is (`when_inbound_received_route.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID, uuid4

from services.intake.adapters import attachments as attachment_rows
from services.intake.adapters import repository as repo
from services.intake.adapters.channels.base import Delivery, Received
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from shared.contracts.base import EventMetadata
from shared.contracts.intake_events import InboundReceived
from shared.contracts.streams import inbound_stream
from shared.logging import get_logger

log = get_logger(__name__)
ADAPTER_ACTOR = "intake:adapter"


async def receive_inbound(
    new_uow: Callable[[], IntakeUnitOfWork], delivery: Delivery, items: list[Received]
) -> list[UUID]:
    """Keep each item with the raw delivery and publish it; return their inbound ids."""
    ids: list[UUID] = []
    async with new_uow() as uow:
        conn = uow.conn
        for item in items:
            inbound_id = uuid4()
            ids.append(inbound_id)
            payload = item.payload
            parsed = payload.model_dump(mode="json")
            sealer = await repo.record_inbound(
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
            # Files whose bytes came with the delivery (e-mail parts, a scanned letter, a
            # website form's files) are kept now; media references (WhatsApp) are kept
            # pending, and intake's media worker fetches them after this commit.
            with_bytes = payload.attachments[: len(item.attachments)]
            for position, (att, ref) in enumerate(zip(item.attachments, with_bytes, strict=True)):
                await repo.add_attachment(
                    conn,
                    attachment_id=uuid4(),
                    inbound_id=inbound_id,
                    file_name=ref.file_name,
                    content_type=ref.content_type,
                    content=att.content,
                    sha256=att.sha256,
                    sealer=sealer,
                    position=position,
                )
            for position, ref in enumerate(
                payload.attachments[len(item.attachments) :], start=len(item.attachments)
            ):
                await attachment_rows.add_pending(
                    conn,
                    attachment_id=uuid4(),
                    inbound_id=inbound_id,
                    file_name=ref.file_name,
                    content_type=ref.content_type,
                    media_id=ref.id,
                    declared_sha256=ref.sha256,
                    position=position,
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
            await uow.events.append(inbound_stream(inbound_id), 0, [event], meta)
        await uow.commit()
    log.info("inbound_received", source=delivery.source, items=len(ids))
    return ids
