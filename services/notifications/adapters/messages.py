"""Every message rendered for a citizen (`notifications.messages`), and its way out.

The consumer keeps each message (`keep`): `recorded` (nobody to contact), `task` (no
machine to send to: telephone, walk-in, post) or `pending` (for the delivery worker). The
worker claims one due message at a time with `FOR UPDATE SKIP LOCKED` (so workers in any
number of processes never take the same one), sends it with the row still locked, and
records the outcome in the same transaction: a crash between the provider's answer and
the commit leaves it pending, to be sent again (see the README on idempotency keys).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

import asyncpg

from services.notifications.adapters.contacts import RunStale
from services.notifications.adapters.staff_mail import DeliveryQueue
from services.notifications.domain.contacts import mask
from services.notifications.domain.notifications import Message, Notice
from services.notifications.domain.outgoing import (
    RECEIPT,
    RECEIPT_WAIT_SECONDS,
    OutgoingMessage,
)
from shared.contracts.vocab import Channel

# One message at a time, oldest due first. A case's messages go out in their order
# (`domain.outgoing.case_order`): the receipt first, then by the cause event's position in
# the store; a message waits while one before it is still pending. And a message other
# than the receipt ($2) waits until the case's receipt is kept, at most $1 seconds
# (`domain.outgoing.held_for_receipt`).
_CLAIM = """
SELECT m.notification_id, m.case_id, m.channel, m.recipient, m.template, m.body,
       m.letter_id, m.attempts, c.office, c.service, c.ticket_number, c.thread_ref,
       c.last_inbound_at
FROM notifications.messages m JOIN notifications.contacts c USING (case_id)
WHERE m.status = 'pending' AND m.next_attempt_at <= clock_timestamp()
  AND (m.template = $2
       OR m.created_at <= clock_timestamp() - make_interval(secs => $1::float8)
       OR EXISTS (
           SELECT 1 FROM notifications.messages r
           WHERE r.case_id = m.case_id AND r.template = $2))
  AND NOT EXISTS (
      SELECT 1 FROM notifications.messages o
      WHERE o.case_id = m.case_id AND o.status = 'pending' AND o.next_attempt_at IS NOT NULL
        AND (o.template <> $2, coalesce(o.cause_position, 0),
             o.created_at, o.notification_id)
          < (m.template <> $2, coalesce(m.cause_position, 0),
             m.created_at, m.notification_id))
ORDER BY m.next_attempt_at, m.created_at
LIMIT 1
FOR UPDATE OF m SKIP LOCKED
"""


@dataclass(frozen=True)
class KeptStatus:
    """A message as a staff command or a provider's status finds it."""

    notice: Notice
    office: str
    status: str
    attempts: int


class MessageStore(DeliveryQueue, Protocol):
    async def keep(self, message: Message, *, status: str, task_kind: str | None) -> bool:
        """Keep the message; False if it was kept before."""
        ...

    async def claim_due(
        self, *, receipt_wait: float = RECEIPT_WAIT_SECONDS
    ) -> OutgoingMessage | None:
        """The next due message, in its case's order (`domain.outgoing.case_order`), not
        held for its case's receipt (`held_for_receipt`, at most `receipt_wait` seconds)."""
        ...

    async def set_body(self, notification_id: UUID, body: str) -> None: ...

    async def lock(self, notification_id: UUID) -> KeptStatus | None: ...

    async def lock_by_provider_id(
        self, channel: Channel, provider_message_id: str
    ) -> KeptStatus | None: ...

    async def set_provider_status(
        self, notification_id: UUID, status: str, at: datetime
    ) -> None: ...


def _notice(row: Any) -> Notice:
    return Notice(
        notification_id=row["notification_id"],
        case_id=row["case_id"],
        channel=Channel(row["channel"]),
        template=row["template"],
        recipient=row["recipient_masked"] or "",
    )


class PostgresMessageStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def keep(self, message: Message, *, status: str, task_kind: str | None) -> bool:
        contact = message.case.contact
        return bool(
            await self.conn.fetchval(
                """INSERT INTO notifications.messages (notification_id, case_id,
                       cause_event_id, channel, recipient, recipient_masked, template, body,
                       status, task_kind, letter_id, cause_position, next_attempt_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
                           CASE WHEN $9 = 'pending' THEN clock_timestamp() END)
                   ON CONFLICT (notification_id) DO NOTHING RETURNING true""",
                message.notification_id,
                message.case.case_id,
                message.cause_event_id,
                contact.channel.value if contact else None,
                contact.address if contact else None,
                mask(contact.address) if contact else None,
                message.template,
                message.body,
                status,
                task_kind,
                message.letter_id,
                message.cause_position,
            )
        )

    async def claim_due(
        self, *, receipt_wait: float = RECEIPT_WAIT_SECONDS
    ) -> OutgoingMessage | None:
        row = await self.conn.fetchrow(_CLAIM, receipt_wait, RECEIPT)
        if row is None:
            return None
        return OutgoingMessage(
            notification_id=row["notification_id"],
            case_id=row["case_id"],
            channel=Channel(row["channel"]),
            address=row["recipient"],
            template=row["template"],
            body=row["body"],
            office=row["office"],
            ticket_number=row["ticket_number"],
            service=row["service"],
            thread_ref=row["thread_ref"],
            last_inbound_at=row["last_inbound_at"],
            letter_id=row["letter_id"],
            attempts=row["attempts"],
        )

    async def park(self, notification_id: UUID, reason: str) -> None:
        await self.conn.execute(
            """UPDATE notifications.messages SET next_attempt_at = NULL, reason = $2
               WHERE notification_id = $1""",
            notification_id,
            reason,
        )

    async def set_body(self, notification_id: UUID, body: str) -> None:
        await self.conn.execute(
            "UPDATE notifications.messages SET body = $2 WHERE notification_id = $1",
            notification_id,
            body,
        )

    async def reschedule(
        self, notification_id: UUID, *, attempts: int, at: datetime, reason: str
    ) -> None:
        await self.conn.execute(
            """UPDATE notifications.messages
               SET attempts = $2, next_attempt_at = $3, reason = $4
               WHERE notification_id = $1""",
            notification_id,
            attempts,
            at,
            reason[:1000],
        )

    async def mark_sent(
        self,
        notification_id: UUID,
        *,
        attempts: int,
        provider_message_id: str | None,
        how: str,
        by: str | None = None,
    ) -> None:
        await self.conn.execute(
            """UPDATE notifications.messages
               SET status = 'sent', sent_at = clock_timestamp(), attempts = $2,
                   provider_message_id = $3, delivered_how = $4, delivered_by = $5,
                   next_attempt_at = NULL, reason = NULL, error = NULL
               WHERE notification_id = $1""",
            notification_id,
            attempts,
            provider_message_id,
            how,
            by,
        )

    async def mark_failed(self, notification_id: UUID, error: str, *, attempts: int) -> None:
        await self.conn.execute(
            """UPDATE notifications.messages
               SET status = 'failed', error = $2, attempts = $3, next_attempt_at = NULL,
                   reason = NULL
               WHERE notification_id = $1""",
            notification_id,
            error[:1000],
            attempts,
        )

    async def _lock_where(self, where: str, *args: Any) -> KeptStatus | None:
        row = await self.conn.fetchrow(
            f"""SELECT m.notification_id, m.case_id, m.channel, m.template,
                       m.recipient_masked, m.status, m.attempts, c.office
                FROM notifications.messages m JOIN notifications.contacts c USING (case_id)
                WHERE {where} FOR UPDATE OF m""",
            *args,
        )
        if row is None or row["channel"] is None:
            return None
        return KeptStatus(_notice(row), row["office"], row["status"], row["attempts"])

    async def lock(self, notification_id: UUID) -> KeptStatus | None:
        return await self._lock_where("m.notification_id = $1", notification_id)

    async def lock_by_provider_id(
        self, channel: Channel, provider_message_id: str
    ) -> KeptStatus | None:
        return await self._lock_where(
            "m.channel = $1 AND m.provider_message_id = $2", channel.value, provider_message_id
        )

    async def set_provider_status(self, notification_id: UUID, status: str, at: datetime) -> None:
        await self.conn.execute(
            """UPDATE notifications.messages SET provider_status = $2, provider_status_at = $3
               WHERE notification_id = $1""",
            notification_id,
            status,
            at,
        )


class RunMessageStore(PostgresMessageStore):
    """The message store of a run of events applied at once (the consumer's transaction):
    the messages the run keeps are held in memory and written in one statement (`flush`),
    in the order they were kept (their `created_at` ascending as if one by one; the order
    they go out in is the case's, `domain.outgoing.case_order`, not this one). A
    message kept twice in the run is kept once; one kept before the run (by another
    transaction) fails the write (`RunStale`), and the consumer takes the run event by
    event. The store's other statements are the table's own (the policies a run applies
    only keep messages)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        super().__init__(conn)
        self._held: dict[UUID, tuple[Message, str, str | None]] = {}

    async def keep(self, message: Message, *, status: str, task_kind: str | None) -> bool:
        if message.notification_id in self._held:
            return False
        self._held[message.notification_id] = (message, status, task_kind)
        return True

    async def flush(self) -> None:
        held, self._held = list(self._held.values()), {}
        if not held:
            return
        contacts = [m.case.contact for m, _, _ in held]
        rows = await self.conn.fetch(
            """INSERT INTO notifications.messages (notification_id, case_id, cause_event_id,
                   channel, recipient, recipient_masked, template, body, status, task_kind,
                   letter_id, cause_position, next_attempt_at)
               SELECT u.notification_id, u.case_id, u.cause_event_id, u.channel, u.recipient,
                   u.recipient_masked, u.template, u.body, u.status, u.task_kind, u.letter_id,
                   u.cause_position, CASE WHEN u.status = 'pending' THEN clock_timestamp() END
               FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[],
                   $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::uuid[],
                   $12::bigint[])
                   WITH ORDINALITY AS u(notification_id, case_id, cause_event_id, channel,
                       recipient, recipient_masked, template, body, status, task_kind,
                       letter_id, cause_position, n)
               ORDER BY u.n
               ON CONFLICT (notification_id) DO NOTHING RETURNING notification_id""",
            [m.notification_id for m, _, _ in held],
            [m.case.case_id for m, _, _ in held],
            [m.cause_event_id for m, _, _ in held],
            [c.channel.value if c else None for c in contacts],
            [c.address if c else None for c in contacts],
            [mask(c.address) if c else None for c in contacts],
            [m.template for m, _, _ in held],
            [m.body for m, _, _ in held],
            [status for _, status, _ in held],
            [kind for _, _, kind in held],
            [m.letter_id for m, _, _ in held],
            [m.cause_position for m, _, _ in held],
        )
        if len(rows) != len(held):
            raise RunStale("a message of the run was kept before")


async def unpark_configured(conn: asyncpg.Connection, live: set[tuple[str, str]]) -> int:
    """Messages parked as `channel_not_configured` whose office and channel are now live
    (after a restart with new credentials) are due again; how many."""
    if not live:
        return 0
    offices, channels = zip(*sorted(live), strict=True)
    result = await conn.execute(
        """UPDATE notifications.messages m SET next_attempt_at = clock_timestamp(), reason = NULL
           FROM notifications.contacts c, unnest($1::text[], $2::text[]) AS l(office, channel)
           WHERE c.case_id = m.case_id AND m.status = 'pending'
             AND m.reason = 'channel_not_configured'
             AND c.office = l.office AND m.channel = l.channel""",
        list(offices),
        list(channels),
    )
    return int(result.split()[-1])
