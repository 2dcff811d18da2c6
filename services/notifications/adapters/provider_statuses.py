"""What providers reported about messages the office sent (`notifications.provider_statuses`).

Every report is kept, matched to a message or not yet: a WhatsApp `sent` status can come
back before the worker has recorded the provider's message id. The worker applies what
was kept for an id as soon as it records it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

import asyncpg

from shared.contracts.vocab import Channel


@dataclass(frozen=True)
class ProviderStatus:
    channel: Channel
    provider_message_id: str
    status: str  # sent | delivered | read | failed
    reported_at: datetime
    errors: tuple[str, ...] = ()


class ProviderStatuses(Protocol):
    async def keep(self, status: ProviderStatus, event_id: UUID) -> bool:
        """Keep a report; False if this status of this message was kept before."""
        ...

    async def unapplied(
        self, channel: Channel, provider_message_id: str
    ) -> list[ProviderStatus]: ...

    async def applied(self, status: ProviderStatus) -> None: ...


class PostgresProviderStatuses:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def keep(self, status: ProviderStatus, event_id: UUID) -> bool:
        return bool(
            await self.conn.fetchval(
                """INSERT INTO notifications.provider_statuses
                       (channel, provider_message_id, status, reported_at, errors, event_id)
                   VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true""",
                status.channel.value,
                status.provider_message_id,
                status.status,
                status.reported_at,
                list(status.errors),
                event_id,
            )
        )

    async def unapplied(self, channel: Channel, provider_message_id: str) -> list[ProviderStatus]:
        rows = await self.conn.fetch(
            """SELECT status, reported_at, errors FROM notifications.provider_statuses
               WHERE channel = $1 AND provider_message_id = $2 AND NOT applied
               ORDER BY reported_at""",
            channel.value,
            provider_message_id,
        )
        return [
            ProviderStatus(
                channel, provider_message_id, r["status"], r["reported_at"], tuple(r["errors"])
            )
            for r in rows
        ]

    async def applied(self, status: ProviderStatus) -> None:
        await self.conn.execute(
            """UPDATE notifications.provider_statuses SET applied = true
               WHERE channel = $1 AND provider_message_id = $2 AND status = $3""",
            status.channel.value,
            status.provider_message_id,
            status.status,
        )
