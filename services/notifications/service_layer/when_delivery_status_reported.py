"""Policy: when a provider reports what became of a message (intake's
`ChannelDeliveryStatusReported`, from WhatsApp's status webhook), fold it onto the
notification.

The report is kept whatever happens (`provider_statuses`). If the message is known by its
provider id: `sent`, `delivered`, `read` update the message and append
`NotificationStatusReported` (once per status); `failed` marks the message failed with the
provider's errors and appends `NotificationFailed` (`reported_failed`): staff see it on
their list. If it is not known yet (the webhook beat the worker's commit), the worker
applies the kept report when it records the provider's id.
"""

from __future__ import annotations

from typing import Literal, cast
from uuid import UUID

from services.notifications.adapters.provider_statuses import ProviderStatus
from services.notifications.adapters.unit_of_work import NotificationsUnitOfWork
from services.notifications.domain.notifications import record_failed, record_status
from services.notifications.service_layer.notify_citizen import ACTOR
from shared.contracts.base import EventMetadata
from shared.contracts.intake_events import ChannelDeliveryStatusReported
from shared.logging import get_logger
from shared.unit_of_work import decide_and_append

log = get_logger(__name__)


async def apply_status(uow: NotificationsUnitOfWork, status: ProviderStatus) -> bool:
    """Fold one kept report onto its message; False if the message is not known (yet)."""
    kept = await uow.messages.lock_by_provider_id(status.channel, status.provider_message_id)
    if kept is None:
        return False
    notice = kept.notice
    meta = EventMetadata(case_id=notice.case_id, office=kept.office, actor=ACTOR)
    if status.status == "failed":
        reason = "; ".join(status.errors) or "reported failed by the provider"
        await uow.messages.mark_failed(notice.notification_id, reason, attempts=kept.attempts)
        await decide_and_append(
            lambda: uow,
            lambda u: u.notifications,
            notice.case_id,
            lambda state: record_failed(
                state, notice, reason=reason, code="reported_failed", attempts=kept.attempts
            ),
            meta,
            attempts=1,
        )
    else:
        seen = cast(Literal["sent", "delivered", "read"], status.status)
        await uow.messages.set_provider_status(notice.notification_id, seen, status.reported_at)
        await decide_and_append(
            lambda: uow,
            lambda u: u.notifications,
            notice.case_id,
            lambda state: record_status(state, notice, seen, status.reported_at),
            meta,
            attempts=1,
        )
    await uow.statuses.applied(status)
    return True


async def when_delivery_status_reported(
    uow: NotificationsUnitOfWork, event: ChannelDeliveryStatusReported, event_id: UUID
) -> None:
    status = ProviderStatus(
        event.channel, event.provider_message_id, event.status, event.reported_at, event.errors
    )
    if not await uow.statuses.keep(status, event_id):
        return  # this status of this message was reported before
    if not await apply_status(uow, status):
        log.info("provider_status_kept_for_later", channel=event.channel, status=event.status)
