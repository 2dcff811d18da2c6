"""Intake's own tables: inbound messages, registrations, citizens, likely duplicates,
thread references and the triage queue (plain functions on the caller's connection:
the group commit calls them on its batch's, the unit of work on its own)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import orjson

from services.intake.adapters import sealed
from services.intake.domain.duplicates import LikelyDuplicate
from services.intake.domain.new_case import Identification, Identified, ToIdentify
from shared.at_rest import Sealer, link_to_case
from shared.eventstore.subjects import keyring


@dataclass(frozen=True)
class Registration:
    case_id: UUID
    ticket_number: str
    office: str


_INSERT_INBOUND = """
    INSERT INTO intake.inbound_messages (id, received_at, source, content_type, headers,
        body, body_truncated, entered_by, entered_by_office, correlation_id,
        status, reason, reason_message, reason_details, case_id, channel, office,
        external_id, parsed, anonymous, confidential, subject_id, decided_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
            $17, $18, $19, $20, $21, $22,
            CASE WHEN $11 IN ('received', 'queued') THEN NULL ELSE clock_timestamp() END)"""


def _inbound_args(
    *,
    inbound_id: UUID,
    received_at: datetime,
    source: str,
    content_type: str | None,
    headers: dict[str, str],
    body: bytes,
    body_truncated: bool,
    entered_by: str | None,
    entered_by_office: str | None,
    correlation_id: UUID,
    status: str = "received",
    reason: str | None = None,
    message: str | None = None,
    details: Any = None,
    case_id: UUID | None = None,
    channel: str | None = None,
    office: str | None = None,
    external_id: str | None = None,
    parsed: dict[str, Any] | None = None,
    anonymous: bool = False,
    confidential: bool = False,
) -> tuple[Any, ...]:
    return (
        inbound_id,
        received_at,
        source,
        content_type,
        headers,
        body,
        body_truncated,
        entered_by,
        entered_by_office,
        correlation_id,
        status,
        reason,
        message,
        details,
        case_id,
        channel,
        office,
        external_id,
        parsed,
        anonymous,
        confidential,
    )


async def _sealed_args(
    conn: asyncpg.Connection,
    messages: list[dict[str, Any]],
    known: Sequence[Sealer | None] = (),
) -> tuple[list[tuple[Any, ...]], list[Sealer]]:
    """Each message's row (`_inbound_args` and its subject) with what the citizen sent
    sealed with its subject's key: the case's when it is known, else its flow's. A
    sealer in `known` (by position) is taken as it is: the one the message's case was
    just sealed with in this transaction; the others are found in one round trip."""
    given = list(known) + [None] * (len(messages) - len(known))
    missing = [i for i, s in enumerate(given) if s is None]
    found = await sealed.sealers_of_messages(conn, [messages[i] for i in missing])
    for i, s in zip(missing, found, strict=True):
        given[i] = s
    sealers = [s for s in given if s is not None]
    rows = [
        (*_inbound_args(**sealed.seal_message(s, m)), s.subject_id)
        for m, s in zip(messages, sealers, strict=True)
    ]
    return rows, sealers


async def record_inbound(conn: asyncpg.Connection, **message: Any) -> Sealer:
    """Keep a message as received, with its decision when it is already made (the
    keywords of `_inbound_args`); returns what its attachments are sealed with.

    Adapter messages are kept `queued` with what the adapter read (`parsed`) until
    intake's consumer decides them."""
    rows, sealers = await _sealed_args(conn, [message])
    await conn.execute(_INSERT_INBOUND, *rows[0])
    return sealers[0]


# `_INSERT_INBOUND` for many rows in one statement: the columns as arrays (the JSON ones as
# text, cast: a JSON list would otherwise read as one more dimension of the array).
_INSERT_INBOUND_MANY = """
    INSERT INTO intake.inbound_messages (id, received_at, source, content_type, headers,
        body, body_truncated, entered_by, entered_by_office, correlation_id,
        status, reason, reason_message, reason_details, case_id, channel, office,
        external_id, parsed, anonymous, confidential, subject_id, decided_at)
    SELECT id, received_at, source, content_type, headers::jsonb, body, body_truncated,
        entered_by, entered_by_office, correlation_id, status, reason, reason_message,
        reason_details::jsonb, case_id, channel, office, external_id, parsed::jsonb,
        anonymous, confidential, subject_id,
        CASE WHEN status IN ('received', 'queued') THEN NULL ELSE clock_timestamp() END
    FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[],
        $6::bytea[], $7::bool[], $8::text[], $9::text[], $10::uuid[], $11::text[],
        $12::text[], $13::text[], $14::text[], $15::uuid[], $16::text[], $17::text[],
        $18::text[], $19::text[], $20::bool[], $21::bool[], $22::uuid[]) WITH ORDINALITY
        AS u(id, received_at, source, content_type, headers, body, body_truncated,
            entered_by, entered_by_office, correlation_id, status, reason, reason_message,
            reason_details, case_id, channel, office, external_id, parsed, anonymous,
            confidential, subject_id, n)
    ORDER BY n"""
_JSON_ARGS = (4, 13, 18)  # headers, reason_details, parsed: as JSON text


def _json_text(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


async def record_inbound_many(
    conn: asyncpg.Connection,
    messages: list[dict[str, Any]],
    sealers: Sequence[Sealer | None] = (),
) -> None:
    """`record_inbound` for a batch, in one statement; `sealers` as `_sealed_args`'s."""
    if not messages:
        return
    rows, _ = await _sealed_args(conn, messages, sealers)
    columns: list[list[Any]] = [list(c) for c in zip(*rows, strict=True)]
    for i in _JSON_ARGS:
        columns[i] = [_json_text(v) for v in columns[i]]
    await conn.execute(_INSERT_INBOUND_MANY, *columns)


async def inbound_kept(conn: asyncpg.Connection, inbound_id: UUID) -> bool:
    """Whether intake kept this message (its doors keep every message before publishing)."""
    return bool(
        await conn.fetchval("SELECT true FROM intake.inbound_messages WHERE id = $1", inbound_id)
    )


async def mark_inbound(
    conn: asyncpg.Connection,
    inbound_id: UUID,
    *,
    status: str,
    reason: str | None = None,
    message: str | None = None,
    details: Any = None,
    case_id: UUID | None = None,
    channel: str | None = None,
    office: str | None = None,
    external_id: str | None = None,
) -> None:
    """Record the decision on a message; a claim given as None keeps what is there. A
    message given a case has its subject erased with that case's person. Its message and
    details are sealed like what the citizen sent (a refusal may quote it)."""
    if message is not None or details is not None:
        message, details = sealed.seal_decision(
            await sealed.sealer_of_message(conn, inbound_id), inbound_id, message, details
        )
    subject_id = await conn.fetchval(
        """UPDATE intake.inbound_messages
           SET status = $2, reason = $3, reason_message = $4, reason_details = $5,
               case_id = $6, channel = COALESCE($7, channel), office = COALESCE($8, office),
               external_id = COALESCE($9, external_id), decided_at = clock_timestamp()
           WHERE id = $1 RETURNING subject_id""",
        inbound_id,
        status,
        reason,
        message,
        details,
        case_id,
        channel,
        office,
        external_id,
    )
    if case_id is not None:
        await link_to_case(conn, subject_id, case_id)


_INSERT_REGISTRATION = """
    INSERT INTO intake.registrations (case_id, ticket_number, office, service, variant,
        channel, external_id, inbound_id, received_at, citizen_id, nik_hash, phone_hash)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"""


def identifier_hash(kind: str, value: str | None) -> bytes | None:
    """What intake keeps of a person's identifier (NIK, phone in E.164, e-mail, handle):
    its keyed hash, never the value (`shared.eventstore.subjects.Keyring.identifier_hash`).
    Kept whether or not personal data is sealed (SLRT_ENCRYPT_PERSONAL_DATA): one path,
    and a hash costs next to nothing."""
    return None if not value else keyring().identifier_hash(kind, value)


def hashed_identifiers(identifiers: list[tuple[str, str]]) -> list[tuple[str, bytes]]:
    return [(kind, keyring().identifier_hash(kind, value)) for kind, value in identifiers]


def _registration_args(
    *,
    case_id: UUID,
    ticket_number: str,
    office: str,
    service: str,
    variant: str | None,
    channel: str,
    external_id: str | None,
    inbound_id: UUID,
    received_at: datetime,
    citizen_id: UUID | None = None,
    nik: str | None = None,
    phone: str | None = None,
) -> tuple[Any, ...]:
    return (
        case_id,
        ticket_number,
        office,
        service,
        variant,
        channel,
        external_id,
        inbound_id,
        received_at,
        citizen_id,
        identifier_hash("nik", nik),
        identifier_hash("phone", phone),
    )


def registration_row(case: Identified, inbound_id: UUID) -> dict[str, Any]:
    """The `intake.registrations` row of a new case (what de-duplication looks up)."""
    new, valid = case.new, case.new.valid
    return {
        "case_id": new.case_id,
        "ticket_number": case.ticket_number,
        "office": valid.office.id,
        "service": valid.service.id,
        "variant": valid.variant,
        "channel": valid.channel.value,
        "external_id": new.cmd.external_id,
        "inbound_id": inbound_id,
        "received_at": valid.received_at,
        "citizen_id": case.citizen_id,
        "nik": new.nik,
        "phone": new.phone,
    }


async def add_registration(conn: asyncpg.Connection, case: Identified, inbound_id: UUID) -> None:
    await conn.execute(
        _INSERT_REGISTRATION, *_registration_args(**registration_row(case, inbound_id))
    )


_INSERT_CHECK_CODES = """INSERT INTO intake.check_codes (case_id, ticket_number, office, code_hash)
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[])
    ON CONFLICT DO NOTHING"""
_INSERT_REGISTRATIONS = """INSERT INTO intake.registrations (case_id, ticket_number, office,
        service, variant, channel, external_id, inbound_id, received_at, citizen_id, nik_hash,
        phone_hash)
    SELECT case_id, ticket_number, office, service, variant, channel, external_id,
        inbound_id, received_at, citizen_id, nik_hash, phone_hash
    FROM unnest($5::uuid[], $6::text[], $7::text[], $8::text[], $9::text[],
        $10::text[], $11::text[], $12::uuid[], $13::timestamptz[], $14::uuid[],
        $15::bytea[], $16::bytea[]) WITH ORDINALITY
        AS u(case_id, ticket_number, office, service, variant, channel, external_id,
            inbound_id, received_at, citizen_id, nik_hash, phone_hash, n)
    ORDER BY n"""


async def add_registrations(
    conn: asyncpg.Connection,
    cases: list[tuple[Identified, UUID]],
    check_codes: list[tuple[UUID, str, str, str]],
) -> None:
    """`add_registration` for a batch ((case, inbound id) pairs) with the new cases' check
    codes (`add_check_codes`'s rows, one per case), in one statement: the group commit's
    hot path, where a round trip costs more than the rows."""
    if not cases:
        return
    assert len(check_codes) == len(cases), "every new case has its check code"
    rows = [_registration_args(**registration_row(c, inbound_id)) for c, inbound_id in cases]
    await conn.execute(
        f"WITH codes AS ({_INSERT_CHECK_CODES}) {_INSERT_REGISTRATIONS}",
        *(list(c) for c in zip(*check_codes, strict=True)),
        *(list(c) for c in zip(*rows, strict=True)),
    )


async def close_registration(
    conn: asyncpg.Connection, case_id: UUID, at: datetime | None = None
) -> None:
    """A finished (or merged) case no longer attracts duplicates; the first close counts."""
    await conn.execute(
        """UPDATE intake.registrations SET closed_at = coalesce(closed_at, $2, clock_timestamp())
           WHERE case_id = $1""",
        case_id,
        at,
    )


async def find_by_external_ids(
    conn: asyncpg.Connection, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], Registration]:
    """The cases already registered for these (channel, external id) pairs.

    First each pair is locked until the transaction ends: two deliveries of one message
    arriving together (alone or in batches) are serialised, and the second then finds
    the first one's case."""
    unique = sorted(set(keys))  # one order for every caller: no deadlock between batches
    channels, external_ids = [c for c, _ in unique], [e for _, e in unique]
    # Lock, then read in a later statement: a statement reads from the snapshot taken
    # when it began, so a case committed while it waited on the lock would be missed.
    await conn.execute(
        """SELECT pg_advisory_xact_lock(hashtextextended(
                  'intake:external:' || k.channel || ':' || k.external_id, 0))
           FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS k(channel, external_id, n)
           ORDER BY k.n""",
        channels,
        external_ids,
    )
    rows = await conn.fetch(
        """SELECT r.channel, r.external_id, r.case_id, r.ticket_number, r.office
           FROM unnest($1::text[], $2::text[]) AS k(channel, external_id)
           JOIN intake.registrations r USING (channel, external_id)""",
        channels,
        external_ids,
    )
    return {
        (r["channel"], r["external_id"]): Registration(
            r["case_id"], r["ticket_number"], r["office"]
        )
        for r in rows
    }


# ---- channel adapters ------------------------------------------------------------------


async def add_attachment(
    conn: asyncpg.Connection,
    *,
    attachment_id: UUID,
    inbound_id: UUID,
    file_name: str,
    content_type: str,
    content: bytes,
    sha256: str,
    sealer: Sealer,
    position: int = 0,
) -> None:
    """A file that came with the message, sealed like it (`sha256` is the plaintext's)."""
    await conn.execute(
        """INSERT INTO intake.inbound_attachments
               (id, inbound_id, file_name, content_type, size_bytes, sha256, content, position)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        attachment_id,
        inbound_id,
        file_name[:255],
        content_type[:255],
        len(content),
        sha256,
        sealed.seal_attachment(sealer, content, attachment_id),
        position,
    )


async def case_by_ticket(conn: asyncpg.Connection, ticket: str) -> Registration | None:
    row = await conn.fetchrow(
        "SELECT case_id, ticket_number, office FROM intake.registrations WHERE ticket_number = $1",
        ticket,
    )
    return Registration(row["case_id"], row["ticket_number"], row["office"]) if row else None


async def case_by_thread(conn: asyncpg.Connection, refs: tuple[str, ...]) -> Registration | None:
    row = await conn.fetchrow(
        """SELECT r.case_id, r.ticket_number, r.office
           FROM intake.thread_refs t JOIN intake.registrations r USING (case_id)
           WHERE t.ref = ANY($1::text[]) LIMIT 1""",
        list(refs),
    )
    return Registration(row["case_id"], row["ticket_number"], row["office"]) if row else None


async def add_thread_ref(conn: asyncpg.Connection, ref: str, case_id: UUID) -> None:
    await conn.execute(
        "INSERT INTO intake.thread_refs (ref, case_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        ref,
        case_id,
    )


async def queue_for_triage(
    conn: asyncpg.Connection,
    *,
    inbound_id: UUID,
    office: str | None,
    channel: str,
    reason: str,
    summary: str,
) -> None:
    """The summary is sealed like its message."""
    await conn.execute(
        """INSERT INTO intake.triage (inbound_id, office, channel, reason, summary)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (inbound_id) DO NOTHING""",
        inbound_id,
        office,
        channel,
        reason,
        await sealed.seal_summary(conn, inbound_id, summary),
    )


# ---- identities and duplicates -----------------------------------------------------------


async def identify_and_number(conn: asyncpg.Connection, t: ToIdentify) -> Identification:
    """In one statement, for a registration about to be made:

    - the citizen: the one any identifier (NIK, phone, e-mail, handle) already belongs to
      (the earliest), else a new one; identifiers not seen before are attached to it, so
      the next message through another channel finds the same person;
    - the earliest open case of this office that looks like the same request: same NIK
      and service, same phone, or the same citizen and service;
    - the ticket number (a sequence per prefix and year: no lock, see migration 003).

    Identifiers, NIK and phone are compared by their keyed hashes (migration 009).
    """
    hashed = hashed_identifiers(t.identifiers)
    row = await conn.fetchrow(
        "SELECT * FROM intake.identify($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        [k for k, _ in hashed],
        [h for _, h in hashed],
        t.new_id,
        t.office,
        t.service,
        identifier_hash("nik", t.nik),
        identifier_hash("phone", t.phone),
        t.since,
        t.prefix,
        t.year,
    )
    return _identified(row)


async def identify_many(conn: asyncpg.Connection, batch: list[ToIdentify]) -> list[Identification]:
    """`identify_and_number` for each of a batch, in order, in one round trip. Each sees
    the citizens made for the ones before it; none sees the others' registrations (they
    are not written yet: the caller compares the batch's own requests)."""
    # Identifiers travel as a JSON list of [kind, hash in hex] per request: a request has
    # any number of them, and SQL arrays of arrays must be rectangular.
    rows = await conn.fetch(
        """SELECT b.n, r.* FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[],
               $5::bytea[], $6::bytea[], $7::timestamptz[], $8::text[], $9::int[])
               WITH ORDINALITY AS b(ids, new_id, office, service, nik_hash, phone_hash,
                   since, prefix, year, n)
           CROSS JOIN LATERAL intake.identify(
               ARRAY(SELECT i ->> 0 FROM jsonb_array_elements(b.ids::jsonb) i),
               ARRAY(SELECT decode(i ->> 1, 'hex') FROM jsonb_array_elements(b.ids::jsonb) i),
               b.new_id, b.office, b.service, b.nik_hash, b.phone_hash, b.since, b.prefix,
               b.year) r
           ORDER BY b.n""",
        [
            orjson.dumps([(k, h.hex()) for k, h in hashed_identifiers(t.identifiers)]).decode()
            for t in batch
        ],
        [t.new_id for t in batch],
        [t.office for t in batch],
        [t.service for t in batch],
        [identifier_hash("nik", t.nik) for t in batch],
        [identifier_hash("phone", t.phone) for t in batch],
        [t.since for t in batch],
        [t.prefix for t in batch],
        [t.year for t in batch],
    )
    return [_identified(r) for r in rows]


def _identified(row: asyncpg.Record) -> Identification:
    found = row["duplicate_of"]
    duplicate = LikelyDuplicate(found, row["reason"]) if found else None
    return Identification(row["citizen_id"], duplicate, int(row["ticket"]))


_INSERT_DUPLICATE = """
    INSERT INTO intake.duplicates (case_id, duplicate_of, office, reason)
    VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"""


def _duplicate_args(case: Identified) -> tuple[UUID, UUID, str, str]:
    assert case.duplicate is not None
    return (
        case.new.case_id,
        case.duplicate.case_id,
        case.new.valid.office.id,
        case.duplicate.reason,
    )


async def add_duplicate(conn: asyncpg.Connection, case: Identified) -> None:
    """The suspected link of a new case (`DuplicateSuspected`), for staff to decide."""
    await conn.execute(_INSERT_DUPLICATE, *_duplicate_args(case))


async def add_duplicates(conn: asyncpg.Connection, cases: list[Identified]) -> None:
    await conn.executemany(_INSERT_DUPLICATE, [_duplicate_args(c) for c in cases])


# ---- check codes (shared.check_codes) ----------------------------------------------------


async def add_check_codes(
    conn: asyncpg.Connection, codes: list[tuple[UUID, str, str, str]]
) -> None:
    """Keep (case id, ticket, office, code hash) of new cases; never the code."""
    if codes:
        await conn.execute(_INSERT_CHECK_CODES, *(list(c) for c in zip(*codes, strict=True)))


@dataclass(frozen=True)
class CheckCodeRow:
    case_id: UUID
    ticket_number: str
    office: str
    code_hash: str


async def check_code_of_ticket(conn: asyncpg.Connection, ticket: str) -> CheckCodeRow | None:
    row = await conn.fetchrow(
        """SELECT case_id, ticket_number, office, code_hash FROM intake.check_codes
           WHERE ticket_number = $1""",
        ticket,
    )
    return CheckCodeRow(**dict(row)) if row else None


async def is_case_citizen(
    conn: asyncpg.Connection, case_id: UUID, identifiers: set[tuple[str, str]]
) -> bool:
    """Whether any of `identifiers` (kind, normalised value) identifies the case's citizen
    (compared by keyed hash); never for an anonymous report (no citizen)."""
    if not identifiers:
        return False
    hashed = hashed_identifiers(sorted(identifiers))
    return bool(
        await conn.fetchval(
            """SELECT EXISTS (
                   SELECT 1 FROM intake.registrations r
                   JOIN intake.citizen_identifiers i ON i.citizen_id = r.citizen_id
                   JOIN unnest($2::text[], $3::bytea[]) AS s(kind, value_hash)
                     ON s.kind = i.kind AND s.value_hash = i.value_hash
                   WHERE r.case_id = $1)""",
            case_id,
            [k for k, _ in hashed],
            [h for _, h in hashed],
        )
    )
