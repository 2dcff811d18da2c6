"""The queue of staff notices owed by e-mail (`notifications.staff_inbox`, `email_status`
pending): the delivery worker claims one due notice at a time with `FOR UPDATE SKIP
LOCKED`, and records what became of it."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

import asyncpg

from services.notifications.domain.outgoing import OutgoingMessage
from shared.contracts.vocab import Channel

_CLAIM = """
SELECT s.notice_id, s.case_id, s.office, s.kind, s.text, s.email_to, s.email_attempts,
       c.ticket_number
FROM notifications.staff_inbox s
LEFT JOIN notifications.contacts c USING (case_id)
WHERE s.email_status = 'pending' AND s.email_next_attempt_at <= clock_timestamp()
ORDER BY s.email_next_attempt_at, s.created_at
LIMIT 1
FOR UPDATE OF s SKIP LOCKED
"""


class DeliveryQueue(Protocol):
    """What the delivery worker needs of a queue it sends from: the citizens' messages
    (`messages.MessageStore`) and the staff notices owed by e-mail (this module)."""

    async def claim_due(self) -> OutgoingMessage | None: ...

    async def park(self, item_id: UUID, reason: str, /) -> None: ...

    async def reschedule(
        self, item_id: UUID, /, *, attempts: int, at: datetime, reason: str
    ) -> None: ...

    async def mark_sent(
        self,
        item_id: UUID,
        /,
        *,
        attempts: int,
        provider_message_id: str | None,
        how: str,
        by: str | None = None,
    ) -> None: ...

    async def mark_failed(self, item_id: UUID, error: str, /, *, attempts: int) -> None: ...


StaffMailQueue = DeliveryQueue


class PostgresStaffMailQueue:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def claim_due(self) -> OutgoingMessage | None:
        """The oldest due notice, as an e-mail to send (the notice id is its message id)."""
        row = await self.conn.fetchrow(_CLAIM)
        if row is None:
            return None
        return OutgoingMessage(
            notification_id=row["notice_id"],
            case_id=row["case_id"],
            channel=Channel.EMAIL,
            address=row["email_to"],
            template=row["kind"],
            body=row["text"],
            office=row["office"],
            ticket_number=row["ticket_number"] or "",
            thread_ref=None,
            last_inbound_at=None,
            letter_id=None,
            attempts=row["email_attempts"],
        )

    async def park(self, notice_id: UUID, reason: str) -> None:
        await self.conn.execute(
            """UPDATE notifications.staff_inbox
               SET email_next_attempt_at = NULL, email_reason = $2 WHERE notice_id = $1""",
            notice_id,
            reason,
        )

    async def reschedule(
        self, notice_id: UUID, *, attempts: int, at: datetime, reason: str
    ) -> None:
        await self.conn.execute(
            """UPDATE notifications.staff_inbox
               SET email_attempts = $2, email_next_attempt_at = $3, email_reason = $4
               WHERE notice_id = $1""",
            notice_id,
            attempts,
            at,
            reason[:1000],
        )

    async def mark_sent(
        self,
        notice_id: UUID,
        *,
        attempts: int,
        provider_message_id: str | None,
        how: str,
        by: str | None = None,
    ) -> None:
        await self.conn.execute(
            """UPDATE notifications.staff_inbox
               SET email_status = 'sent', email_sent_at = clock_timestamp(),
                   email_attempts = $2, email_provider_id = $3,
                   email_next_attempt_at = NULL, email_reason = NULL
               WHERE notice_id = $1""",
            notice_id,
            attempts,
            provider_message_id,
        )

    async def mark_failed(self, notice_id: UUID, error: str, *, attempts: int) -> None:
        await self.conn.execute(
            """UPDATE notifications.staff_inbox
               SET email_status = 'failed', email_reason = $2, email_attempts = $3,
                   email_next_attempt_at = NULL
               WHERE notice_id = $1""",
            notice_id,
            error[:1000],
            attempts,
        )


async def unpark_configured_staff_mail(conn: asyncpg.Connection, offices: set[str]) -> int:
    """Staff e-mails parked as `channel_not_configured` whose office now has an e-mail
    account (after a restart with it) are due again; how many."""
    if not offices:
        return 0
    result = await conn.execute(
        """UPDATE notifications.staff_inbox
           SET email_next_attempt_at = clock_timestamp(), email_reason = NULL
           WHERE email_status = 'pending' AND email_reason = 'channel_not_configured'
             AND office = ANY($1::text[])""",
        sorted(offices),
    )
    return int(result.split()[-1])
