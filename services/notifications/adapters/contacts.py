"""Where each case's citizen can be reached (`notifications.contacts`), by case id."""

from __future__ import annotations

from collections.abc import Iterable
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


class RunStale(Exception):
    """What a run held in memory was written meanwhile by another transaction (a contact
    or a message kept by live delivery and the store's catch-up at once): the run fails,
    and the consumer takes it event by event, which reads it again."""


class RunContactBook(PostgresContactBook):
    """The contact book of a run of events applied at once (the consumer's transaction):
    the run's contacts read in one statement (`prefetch`), those it remembers held in
    memory and written in one statement (`flush`). `find` and `remember` answer as the
    table would; `heard_from` writes what is held first."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        super().__init__(conn)
        self._known: dict[UUID, CaseContact | None] = {}
        self._held: list[CaseContact] = []

    async def prefetch(self, case_ids: Iterable[UUID]) -> None:
        wanted = [c for c in set(case_ids) if c not in self._known]
        if not wanted:
            return
        rows = await self.conn.fetch(
            f"""SELECT {_CONTACT_COLUMNS} FROM notifications.contacts
                WHERE case_id = ANY($1::uuid[])""",
            wanted,
        )
        self._known.update(dict.fromkeys(wanted))
        self._known.update({r["case_id"]: _contact(r) for r in rows})

    async def find(self, case_id: UUID) -> CaseContact | None:
        if case_id not in self._known:
            self._known[case_id] = await super().find(case_id)
        return self._known[case_id]

    async def remember(self, case: CaseContact) -> CaseContact:
        kept = await self.find(case.case_id)
        if kept is not None:
            return kept
        self._known[case.case_id] = case
        self._held.append(case)
        return case

    async def heard_from(self, case_id: UUID, channel: Channel, at: datetime) -> None:
        await self.flush()
        self._known.pop(case_id, None)
        await super().heard_from(case_id, channel, at)

    async def flush(self) -> None:
        """The contacts remembered in the run, in one statement; `RunStale` if another
        transaction kept one of them meanwhile."""
        held, self._held = self._held, []
        if not held:
            return
        contacts = [c.contact for c in held]
        rows = await self.conn.fetch(
            """INSERT INTO notifications.contacts (case_id, office, service, ticket_number,
                   request_channel, channel, address, anonymous, thread_ref, last_inbound_at)
               SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[],
                   $5::text[], $6::text[], $7::text[], $8::boolean[], $9::text[],
                   $10::timestamptz[])
               ON CONFLICT (case_id) DO NOTHING RETURNING case_id""",
            [c.case_id for c in held],
            [c.office for c in held],
            [c.service for c in held],
            [c.ticket_number for c in held],
            [c.request_channel.value for c in held],
            [k.channel.value if k else None for k in contacts],
            [k.address if k else None for k in contacts],
            [c.anonymous for c in held],
            [c.thread_ref for c in held],
            [c.last_inbound_at for c in held],
        )
        if len(rows) != len(held):
            raise RunStale("a contact of the run was kept meanwhile")


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
