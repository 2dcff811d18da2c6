"""The identity index's rows kept in clear before migration 009, hashed: the one-off
backfill intake runs at start-up.

Migration 009 moved `registrations` and `citizen_identifiers` to keyed hashes of the
identifiers (`repository.identifier_hash`); a migration has no key, so the rows written
before it still hold the NIK, phone or e-mail in clear. This takes them in batches, each
in its own transaction: a registration gets the hashes of its NIK and phone and loses the
clear values; an identifier row is replaced by its hashed twin (the earliest citizen wins
when a hashed row for the same identifier was written meanwhile, as `intake.identify`
finds the earliest). Idempotent: it only ever looks at rows still in clear, so a second
run (or a second process) finds nothing to do.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from services.intake.adapters.repository import identifier_hash
from shared.eventstore.subjects import keyring

BATCH = 500


async def _registrations(conn: asyncpg.Connection, batch: int) -> int:
    async with conn.transaction():
        rows = await conn.fetch(
            """SELECT case_id, nik, phone FROM intake.registrations
               WHERE nik IS NOT NULL OR phone IS NOT NULL
               LIMIT $1 FOR UPDATE SKIP LOCKED""",
            batch,
        )
        if rows:
            await conn.execute(
                """UPDATE intake.registrations r
                   SET nik_hash = coalesce(u.nik_hash, r.nik_hash),
                       phone_hash = coalesce(u.phone_hash, r.phone_hash),
                       nik = NULL, phone = NULL
                   FROM unnest($1::uuid[], $2::bytea[], $3::bytea[])
                       AS u(case_id, nik_hash, phone_hash)
                   WHERE r.case_id = u.case_id""",
                [r["case_id"] for r in rows],
                [identifier_hash("nik", r["nik"]) for r in rows],
                [identifier_hash("phone", r["phone"]) for r in rows],
            )
    return len(rows)


async def _identifiers(conn: asyncpg.Connection, batch: int) -> int:
    ring = keyring()
    async with conn.transaction():
        rows = await conn.fetch(
            """DELETE FROM intake.citizen_identifiers WHERE (kind, value) IN (
                   SELECT kind, value FROM intake.citizen_identifiers
                   WHERE value IS NOT NULL LIMIT $1 FOR UPDATE SKIP LOCKED)
               RETURNING kind, value, citizen_id, first_seen""",
            batch,
        )
        earliest: dict[tuple[str, bytes], Any] = {}
        for r in sorted(rows, key=lambda r: r["first_seen"]):
            earliest.setdefault((r["kind"], ring.identifier_hash(r["kind"], r["value"])), r)
        if earliest:
            await conn.execute(
                """INSERT INTO intake.citizen_identifiers AS ci
                       (kind, value_hash, citizen_id, first_seen)
                   SELECT * FROM unnest($1::text[], $2::bytea[], $3::uuid[],
                       $4::timestamptz[])
                   ON CONFLICT (kind, value_hash) DO UPDATE
                   SET citizen_id = excluded.citizen_id, first_seen = excluded.first_seen
                   WHERE excluded.first_seen < ci.first_seen""",
                [kind for kind, _ in earliest],
                [h for _, h in earliest],
                [r["citizen_id"] for r in earliest.values()],
                [r["first_seen"] for r in earliest.values()],
            )
    return len(rows)


async def hash_clear_identities(pool: asyncpg.Pool, batch: int = BATCH) -> int:
    """Hash every identity row still in clear; how many rows it changed."""
    done = 0
    async with pool.acquire() as conn:
        for step in (_registrations, _identifiers):
            while n := await step(conn, batch):
                done += n
    return done
