"""SQL of the erasure (crypto-shredding) in notifications: the person's address and the
messages' text and recipient, blanked; the rows (what was sent when, to which channel,
with which status) stay."""

from __future__ import annotations

from uuid import UUID

import asyncpg

ERASED = "[dihapus]"


async def forget_case_person(conn: asyncpg.Connection, case_id: UUID) -> None:
    await conn.execute(
        "UPDATE notifications.contacts SET address = NULL, thread_ref = NULL WHERE case_id = $1",
        case_id,
    )
    await conn.execute(
        """UPDATE notifications.messages
           SET recipient = NULL, recipient_masked = $2, body = $2
           WHERE case_id = $1""",
        case_id,
        ERASED,
    )
