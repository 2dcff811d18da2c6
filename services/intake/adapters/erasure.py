"""SQL of the erasure (crypto-shredding) in intake: what intake kept of a person, blanked.

What the citizen sent is sealed with the person's data key (`adapters/sealed.py`), which
the erasure destroyed already: it reads as erased from then on. Blanking it here as well
removes the ciphertext and the rows kept in clear before sealing. The rows stay (counts,
dates, statuses, which office and channel); the raw message, its headers and what was
read from it, the attachments' bytes and names, the triage summary, the keyed hashes of
the registration's NIK and phone (and any clear value left from before migration 009),
the person's identifiers and the guest book's details of the case's visit go."""

from __future__ import annotations

from uuid import UUID

import asyncpg

ERASED = "[dihapus]"


async def forget_case_person(conn: asyncpg.Connection, case_id: UUID) -> None:
    inbound = [
        r["id"]
        for r in await conn.fetch(
            """SELECT id FROM intake.inbound_messages WHERE case_id = $1
               UNION SELECT inbound_id FROM intake.registrations WHERE case_id = $1
               UNION SELECT inbound_id FROM intake.triage WHERE case_id = $1""",
            case_id,
        )
    ]
    await conn.execute(
        """UPDATE intake.inbound_messages
           SET body = ''::bytea, headers = '{}', reason_message = NULL, reason_details = NULL,
               parsed = NULL
           WHERE id = ANY($1::uuid[])""",
        inbound,
    )
    await conn.execute(
        """UPDATE intake.inbound_attachments
           SET content = CASE WHEN content IS NULL THEN NULL ELSE ''::bytea END, file_name = $2
           WHERE inbound_id = ANY($1::uuid[])""",
        inbound,
        ERASED,
    )
    await conn.execute(
        "UPDATE intake.triage SET summary = $2 WHERE inbound_id = ANY($1::uuid[])",
        inbound,
        ERASED,
    )
    citizen = await conn.fetchval(
        """UPDATE intake.registrations
           SET nik = NULL, phone = NULL, nik_hash = NULL, phone_hash = NULL WHERE case_id = $1
           RETURNING citizen_id""",
        case_id,
    )
    if citizen is not None:
        await conn.execute("DELETE FROM intake.citizen_identifiers WHERE citizen_id = $1", citizen)
    await conn.execute("DELETE FROM intake.thread_refs WHERE case_id = $1", case_id)
    await conn.execute(
        """UPDATE intake.visits SET visitor_name = $2, purpose = $2, visitor_phone = NULL,
               visitor_nik = NULL
           WHERE case_id = $1""",
        case_id,
        ERASED,
    )
