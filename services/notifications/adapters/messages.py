"""Every message rendered for a citizen (`notifications.messages`), sent or not."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

import asyncpg

from services.notifications.domain.contacts import mask
from services.notifications.domain.notifications import Message


class MessageStore(Protocol):
    async def keep(self, message: Message) -> bool:
        """Keep the message as 'recorded'; False if it was kept before."""
        ...

    async def mark_sent(self, notification_id: UUID) -> None: ...

    async def mark_failed(self, notification_id: UUID, error: str) -> None: ...


class PostgresMessageStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def keep(self, message: Message) -> bool:
        contact = message.case.contact
        return bool(
            await self.conn.fetchval(
                """INSERT INTO notifications.messages (notification_id, case_id,
                       cause_event_id, channel, recipient, recipient_masked, template, body,
                       status)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'recorded')
                   ON CONFLICT (notification_id) DO NOTHING RETURNING true""",
                message.notification_id,
                message.case.case_id,
                message.cause_event_id,
                contact.channel.value if contact else None,
                contact.address if contact else None,
                mask(contact.address) if contact else None,
                message.template,
                message.body,
            )
        )

    async def mark_sent(self, notification_id: UUID) -> None:
        await self.conn.execute(
            """UPDATE notifications.messages SET status = 'sent', sent_at = clock_timestamp()
               WHERE notification_id = $1""",
            notification_id,
        )

    async def mark_failed(self, notification_id: UUID, error: str) -> None:
        await self.conn.execute(
            """UPDATE notifications.messages SET status = 'failed', error = $2
               WHERE notification_id = $1""",
            notification_id,
            error,
        )
