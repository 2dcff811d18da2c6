"""Where each case's citizen can be reached (`notifications.contacts`), by case id."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

import asyncpg

from services.notifications.domain.contacts import CaseContact, Contact
from shared.contracts.vocab import Channel


class ContactBook(Protocol):
    async def remember(self, case: CaseContact) -> CaseContact:
        """Keep the case's contact unless one is kept already; the one kept."""
        ...

    async def find(self, case_id: UUID) -> CaseContact | None: ...

    async def heard_from(self, case_id: UUID, channel: Channel, at: datetime) -> None:
        """The citizen wrote again on `channel` at `at` (WhatsApp's 24-hour window)."""
        ...


class PostgresContactBook:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def remember(self, case: CaseContact) -> CaseContact:
        """Keep the case's contact unless one is kept already; the one kept, in one round
        trip (a CTE's insert is not seen by its own statement's read: hence the union)."""
        contact = case.contact
        row = await self.conn.fetchrow(
            f"""WITH kept AS (
                   INSERT INTO notifications.contacts (case_id, office, service, ticket_number,
                       request_channel, channel, address, anonymous, thread_ref,
                       last_inbound_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                   ON CONFLICT (case_id) DO NOTHING
                   RETURNING {_CONTACT_COLUMNS})
               SELECT {_CONTACT_COLUMNS} FROM kept
               UNION ALL
               SELECT {_CONTACT_COLUMNS} FROM notifications.contacts
               WHERE case_id = $1 AND NOT EXISTS (SELECT 1 FROM kept)""",
            case.case_id,
            case.office,
            case.service,
            case.ticket_number,
            case.request_channel.value,
            contact.channel.value if contact else None,
            contact.address if contact else None,
            case.anonymous,
            case.thread_ref,
            case.last_inbound_at,
        )
        if row is not None:
            return _contact(row)
        # Another transaction inserted it meanwhile: this statement's snapshot predates
        # that commit, a new statement sees it.
        stored = await self.find(case.case_id)
        if stored is None:  # pragma: no cover - inserted or kept just above
            raise RuntimeError(f"contact of case {case.case_id} not kept")
        return stored

    async def find(self, case_id: UUID) -> CaseContact | None:
        row = await self.conn.fetchrow(
            f"SELECT {_CONTACT_COLUMNS} FROM notifications.contacts WHERE case_id = $1",
            case_id,
        )
        return None if row is None else _contact(row)

    async def heard_from(self, case_id: UUID, channel: Channel, at: datetime) -> None:
        await self.conn.execute(
            """UPDATE notifications.contacts
               SET last_inbound_at = GREATEST(last_inbound_at, $3)
               WHERE case_id = $1 AND channel = $2""",
            case_id,
            channel.value,
            at,
        )


_CONTACT_COLUMNS = """case_id, office, service, ticket_number, request_channel, channel,
    address, anonymous, thread_ref, last_inbound_at"""


def _contact(row: Any) -> CaseContact:
    address = row["address"]
    return CaseContact(
        case_id=row["case_id"],
        office=row["office"],
        service=row["service"],
        ticket_number=row["ticket_number"],
        request_channel=Channel(row["request_channel"]),
        contact=Contact(Channel(row["channel"]), address) if address else None,
        anonymous=row["anonymous"],
        thread_ref=row["thread_ref"],
        last_inbound_at=row["last_inbound_at"],
    )
