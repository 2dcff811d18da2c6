"""Use case: a channel's provider reported the delivery status of messages the office sent
(WhatsApp's status webhook). Each becomes `ChannelDeliveryStatusReported` on the message's
status stream (`channel_status_stream`), once per status however often the provider
repeats it; notifications folds it onto the notification it sent.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from services.intake.adapters.channels.statuses import DeliveryStatus
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from shared.contracts.base import EventMetadata
from shared.contracts.intake_events import ChannelDeliveryStatusReported
from shared.contracts.streams import channel_status_stream
from shared.contracts.vocab import Channel

ACTOR = "intake:adapter"


async def record_delivery_statuses(
    new_uow: Callable[[], IntakeUnitOfWork],
    channel: Channel,
    office: str,
    statuses: list[DeliveryStatus],
    correlation_id: UUID,
) -> int:
    """Append what is new; how many were."""
    appended = 0
    async with new_uow() as uow:
        for status in statuses:
            stream = channel_status_stream(channel.value, status.provider_message_id)
            history = await uow.events.read_stream(stream)
            if any(e.data.get("status") == status.status for e in history):
                continue  # the provider repeats its webhooks
            event = ChannelDeliveryStatusReported(
                channel=channel,
                office=office,
                provider_message_id=status.provider_message_id,
                status=status.status,
                reported_at=status.reported_at,
                errors=status.errors,
            )
            meta = EventMetadata(office=office, actor=ACTOR, correlation_id=correlation_id)
            await uow.events.append(stream, await uow.events.version(stream), [event], meta)
            appended += 1
        await uow.commit()
    return appended
