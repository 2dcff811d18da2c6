"""Use case: the delivery worker sends one due message and records what became of it.

In one transaction of the worker's own (never the consumer's; the worker owns it and
commits it when this returns, like a consumer its own):

1. claim the oldest due `pending` message (`FOR UPDATE SKIP LOCKED`: workers never take
   the same one; a case's messages go in its order, the receipt first, and its other
   messages wait for the receipt to be kept, at most `policy.receipt_wait_seconds`:
   `domain.outgoing.case_order`, `held_for_receipt`);
2. no sender for its office and channel: park it, `channel_not_configured` (staff see it;
   a restart with the channel's credentials makes it due again);
3. send it, the row still locked. The sender reports accepted, refused, or transient;
4. accepted: `sent`, and `NotificationDelivered` (with the provider's message id and how)
   on the case's notification stream through `decide_and_append`; any status the provider
   reported for that id before we recorded it is applied now.
   Transient: due again after an exponential back-off with jitter (at least the
   provider's `Retry-After`), until the last attempt. Refused, or the last attempt
   failed: `failed` with the provider's reason and `NotificationFailed`; staff see it.

A crash after the provider accepted and before the commit leaves the message pending: it
is sent again, with the same idempotency key (see the README, per provider).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol, cast
from uuid import UUID

from services.notifications.adapters.due_dates import DueDates
from services.notifications.adapters.senders import SenderRegistry
from services.notifications.adapters.unit_of_work import NotificationsUnitOfWork, Transaction
from services.notifications.domain.contacts import mask
from services.notifications.domain.notifications import (
    Notice,
    record_delivered,
    record_failed,
)
from services.notifications.domain.outgoing import (
    Delivered,
    Failed,
    OutgoingMessage,
    RetryPolicy,
    SendResult,
    TryAgain,
    after_attempt,
)
from services.notifications.service_layer.fill_due_date import fill_due_date
from services.notifications.service_layer.notify_citizen import ACTOR
from services.notifications.service_layer.when_delivery_status_reported import apply_status
from shared.contracts.base import EventMetadata
from shared.contracts.events import DeliveryHow
from shared.logging import bind_context, get_logger
from shared.unit_of_work import decide_and_append

log = get_logger(__name__)

NOT_CONFIGURED = "channel_not_configured"


def notice_of(message: OutgoingMessage) -> Notice:
    return Notice(
        message.notification_id,
        message.case_id,
        message.channel,
        message.template,
        mask(message.address),
    )


def meta_for(message: OutgoingMessage) -> EventMetadata:
    return EventMetadata(case_id=message.case_id, office=message.office, actor=ACTOR)


async def deliver_next(
    transaction: Transaction,
    senders: SenderRegistry,
    policy: RetryPolicy,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    jitter: Callable[[], float] = random.random,
    due_dates: DueDates | None = None,
) -> bool:
    """Deliver one due message; False when none was due."""
    async with transaction() as uow:
        message = await uow.messages.claim_due(receipt_wait=policy.receipt_wait_seconds)
        if message is None:
            return False
        bind_context(case_id=str(message.case_id), notification_id=str(message.notification_id))
        ready = await fill_due_date(
            uow, message, due_dates, last_attempt=message.attempts + 1 >= policy.max_attempts
        )
        if isinstance(ready, str):  # casework has no due date for it yet: later
            waiting = SendResult(ok=False, error=ready, transient=True)
            await record_outcome(
                uow,
                message,
                after_attempt(
                    waiting,
                    attempts=message.attempts + 1,
                    policy=policy,
                    now=clock(),
                    jitter=jitter(),
                    default_how=message.channel.value,
                ),
            )
            return True
        message = ready
        sender = senders.sender_for(message.office, message.channel)
        if sender is None:
            await uow.messages.park(message.notification_id, NOT_CONFIGURED)
            log.warning("channel_not_configured", office=message.office, channel=message.channel)
            return True
        try:
            result = await sender.send(message)
        except Exception as exc:  # a sender's bug or an unforeseen error: try again later
            result = SendResult(ok=False, error=f"sender error: {exc!r}", transient=True)
        outcome = after_attempt(
            result,
            attempts=message.attempts + 1,
            policy=policy,
            now=clock(),
            jitter=jitter(),
            default_how=message.channel.value,
        )
        await record_outcome(uow, message, outcome)
    return True


class OutcomeQueue(Protocol):
    """Where a message's outcome is kept: citizens' messages, or staff notices' e-mails."""

    async def reschedule(
        self, notification_id: UUID, *, attempts: int, at: datetime, reason: str
    ) -> None: ...

    async def mark_sent(
        self,
        notification_id: UUID,
        *,
        attempts: int,
        provider_message_id: str | None,
        how: str,
        by: str | None = None,
    ) -> None: ...

    async def mark_failed(self, notification_id: UUID, error: str, *, attempts: int) -> None: ...


async def record_outcome(
    uow: NotificationsUnitOfWork,
    message: OutgoingMessage,
    outcome: Delivered | TryAgain | Failed,
    *,
    queue: OutcomeQueue | None = None,
) -> None:
    """Keep the outcome in its queue (default: citizens' messages) and record it as an
    event on the case's notification stream."""
    queue = queue or uow.messages
    notice = notice_of(message)
    match outcome:
        case Delivered(provider_message_id=provider_id, how=how, attempts=attempts):
            await queue.mark_sent(
                message.notification_id,
                attempts=attempts,
                provider_message_id=provider_id,
                how=how,
            )
            await decide_and_append(
                lambda: uow,
                lambda u: u.notifications,
                message.case_id,
                lambda state: record_delivered(
                    state,
                    notice,
                    how=cast(DeliveryHow, how),
                    provider_message_id=provider_id,
                    attempts=attempts,
                ),
                meta_for(message),
                attempts=1,
            )
            log.info("notification_delivered", how=how, attempts=attempts)
            if provider_id:
                for status in await uow.statuses.unapplied(message.channel, provider_id):
                    await apply_status(uow, status)
        case TryAgain(at=at, reason=reason, attempts=attempts):
            await queue.reschedule(message.notification_id, attempts=attempts, at=at, reason=reason)
            log.warning("notification_retry_scheduled", attempts=attempts, error=reason, at=str(at))
        case Failed(reason=reason, code=code, attempts=attempts):
            await queue.mark_failed(message.notification_id, reason, attempts=attempts)
            await decide_and_append(
                lambda: uow,
                lambda u: u.notifications,
                message.case_id,
                lambda state: record_failed(
                    state, notice, reason=reason, code=code, attempts=attempts
                ),
                meta_for(message),
                attempts=1,
            )
            log.warning("notification_failed", code=code, attempts=attempts, error=reason)
