"""Use case: staff delivered a message themselves (called the citizen back, handed it over
at the desk, posted the printed letter), or reached a citizen whose message failed or
waits for a channel that is not configured.

Records `NotificationDelivered` with `how` and who did it, on the case's notification
stream, and marks the message `sent`. Refused: an unknown message (404
`notification_not_found`), another office's (403 `wrong_office`), one already delivered
(409 `already_delivered`), one still in the delivery worker's hands without a reason to
step in (409 `delivery_in_progress`), or one with nobody to contact (409 `no_contact`).
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from services.notifications.adapters.unit_of_work import Transaction
from services.notifications.domain.notifications import record_delivered
from shared.auth import StaffIdentity, authorize
from shared.contracts.base import EventEnvelope, EventMetadata
from shared.contracts.vocab import Role
from shared.refusal import Refused
from shared.unit_of_work import decide_and_append

StaffHow = Literal["telephone_call", "in_person", "post"]
TASK_ROLES = (
    Role.FRONT_OFFICE,
    Role.RECEPTIONIST,
    Role.OFFICER,
    Role.COMPLAINT_OFFICER,
    Role.BACK_OFFICE,
)


async def complete_task(
    transaction: Transaction,
    notification_id: UUID,
    how: StaffHow,
    staff: StaffIdentity,
    correlation_id: UUID,
) -> list[EventEnvelope]:
    async with transaction() as uow:
        kept = await uow.messages.lock(notification_id)
        if kept is None:
            raise Refused.not_found(
                "notification_not_found", f"No message {notification_id} to deliver."
            )
        authorize(staff, roles=TASK_ROLES, office=kept.office)
        if kept.status == "sent":
            raise Refused.conflict("already_delivered", "This message was delivered already.")
        if kept.status == "recorded":
            raise Refused.conflict("no_contact", "Nobody can be contacted for this message.")
        notice = kept.notice
        await uow.messages.mark_sent(
            notification_id,
            attempts=kept.attempts,
            provider_message_id=None,
            how=how,
            by=staff.actor,
        )
        meta = EventMetadata(
            case_id=notice.case_id,
            office=kept.office,
            actor=staff.actor,
            correlation_id=correlation_id,
        )
        appended = await decide_and_append(
            lambda: uow,
            lambda u: u.notifications,
            notice.case_id,
            lambda state: record_delivered(
                state, notice, how=how, attempts=kept.attempts, delivered_by=staff.actor
            ),
            meta,
            attempts=1,
        )
    return appended
