"""Use case: put casework's due date into the first message before it is sent.

The consumer keeps the "received" message with a mark where the due date goes
(`domain.templates.DUE_DATE_PENDING`): the date is casework's (the office's calendar,
working days, holidays and cuti bersama), and casework may not have folded the
registration when notifications does. The delivery worker, in its own transaction and
with the message's row locked, asks casework (`adapters/due_dates.py`):

- casework has the date: the body gets it ("Senin, 7 Desember 2026"), is kept so (staff
  see what was sent; a retry or a crash before the commit sends the same words), and
  the message goes on to its sender;
- casework has no date yet, or cannot be reached: the message waits like a transient
  failure (the retry policy's back-off, reason `awaiting_due_date`);
- on the last attempt the message goes without the date (the sentence then points to the
  published completion time) rather than never: the citizen is told they were received.
"""

from __future__ import annotations

from dataclasses import replace

from services.notifications.adapters.due_dates import DueDates
from services.notifications.adapters.unit_of_work import NotificationsUnitOfWork
from services.notifications.domain.outgoing import OutgoingMessage
from services.notifications.domain.templates import (
    DUE_DATE_PENDING,
    DUE_DATE_UNKNOWN,
    hari_tanggal,
)
from shared.logging import get_logger

log = get_logger(__name__)

AWAITING_DUE_DATE = "awaiting_due_date"


async def fill_due_date(
    uow: NotificationsUnitOfWork,
    message: OutgoingMessage,
    due_dates: DueDates | None,
    *,
    last_attempt: bool,
) -> OutgoingMessage | str:
    """The message ready to send, or the reason it must wait."""
    if DUE_DATE_PENDING not in message.body:
        return message
    reason = AWAITING_DUE_DATE
    due = None
    if due_dates is not None:
        try:
            due = await due_dates.due_date_of(message.case_id, message.office)
        except Exception as exc:  # casework unreachable: wait like any transient trouble
            reason = f"{AWAITING_DUE_DATE}: casework unreachable ({type(exc).__name__})"
    if due is None and not last_attempt and due_dates is not None:
        return reason
    words = hari_tanggal(due) if due is not None else DUE_DATE_UNKNOWN
    body = message.body.replace(DUE_DATE_PENDING, words)
    await uow.messages.set_body(message.notification_id, body)
    log.info("due_date_filled", known=due is not None)
    return replace(message, body=body)
