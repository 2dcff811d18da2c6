"""Use case: the delivery worker e-mails one due staff notice and records what became of it.

A notice to a member of staff with an address (`notify_staff.py`) is kept with
`email_status = pending`. The worker, in a transaction of its own (never the
consumer's), claims the oldest due one (`FOR UPDATE SKIP LOCKED`), sends it through the
office's SMTP account (the same `ChannelSenders` e-mail sender as citizens' messages;
Message-ID `<notice id@office domain>` on every attempt), and records the outcome exactly
as for a citizen's message (`deliver_notification.record_outcome`): `sent` and
`NotificationDelivered` (how `smtp`); transient trouble due again after the back-off
with jitter; refused or the last attempt failed: `failed` with the server's reason and
`NotificationFailed`, kept on the notice (`email_status`, `email_reason`). No e-mail
account for the office: parked, `channel_not_configured` (due again after a restart
with one).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime

from services.notifications.adapters.senders import SenderRegistry
from services.notifications.adapters.unit_of_work import Transaction
from services.notifications.domain.outgoing import RetryPolicy, SendResult, after_attempt
from services.notifications.service_layer.deliver_notification import (
    NOT_CONFIGURED,
    record_outcome,
)
from shared.contracts.vocab import Channel
from shared.logging import bind_context, get_logger

log = get_logger(__name__)


async def deliver_next_staff_email(
    transaction: Transaction,
    senders: SenderRegistry,
    policy: RetryPolicy,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    jitter: Callable[[], float] = random.random,
) -> bool:
    """E-mail one due staff notice; False when none was due."""
    async with transaction() as uow:
        mail = await uow.staff_mail.claim_due()
        if mail is None:
            return False
        bind_context(case_id=str(mail.case_id), notice_id=str(mail.notification_id))
        sender = senders.sender_for(mail.office, Channel.EMAIL)
        if sender is None:
            await uow.staff_mail.park(mail.notification_id, NOT_CONFIGURED)
            log.warning("staff_email_not_configured", office=mail.office)
            return True
        try:
            result = await sender.send(mail)
        except Exception as exc:  # a sender's bug or an unforeseen error: try again later
            result = SendResult(ok=False, error=f"sender error: {exc!r}", transient=True)
        outcome = after_attempt(
            result,
            attempts=mail.attempts + 1,
            policy=policy,
            now=clock(),
            jitter=jitter(),
            default_how="smtp",
        )
        await record_outcome(uow, mail, outcome, queue=uow.staff_mail)
    return True
