"""PostgreSQL access: a pool with JSON codecs, and the migration runner.

Schema changes are numbered SQL files (`NNN_name.sql`) in a `migrations/` folder owned by
one schema (the event store, or a service). Each file runs once, in order, in its own
transaction, under an advisory lock so that processes starting together don't race.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from shared.logging import get_logger

log = get_logger(__name__)


_JSONB_VERSION = b"\x01"  # jsonb's binary format: a version byte, then the JSON text


def _encode_jsonb(value: Any) -> bytes:
    return _JSONB_VERSION + orjson.dumps(value)


def _decode_jsonb(data: bytes) -> Any:
    return orjson.loads(data[1:])


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "json",
        encoder=lambda v: orjson.dumps(v).decode(),
        decoder=orjson.loads,
        schema="pg_catalog",
    )
    # jsonb in binary: the same JSON either way, and COPY (`copy_records_to_table`, which
    # only speaks binary) can then write jsonb columns.
    await conn.set_type_codec(
        "jsonb",
        encoder=_encode_jsonb,
        decoder=_decode_jsonb,
        schema="pg_catalog",
        format="binary",
    )


async def _reset_nothing(_conn: asyncpg.Connection) -> None:
    """Returning a connection to the pool: asyncpg still rolls back an open transaction
    and drops listeners; this skips its reset query (UNLISTEN, RESET ALL, advisory
    unlock), a round trip on every release. Pool users keep no session state: settings
    are `SET LOCAL`, advisory locks are transaction-scoped, and LISTEN is not used."""


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection, reset=_reset_nothing
    )
    assert pool is not None
    return pool


async def connect(dsn: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(dsn)
    await _init_connection(conn)
    return conn


def _lock_key(schema: str) -> int:
    return int.from_bytes(hashlib.sha256(schema.encode()).digest()[:8], "big", signed=True)


async def migrate(conn: asyncpg.Connection, schema: str, *folders: Path) -> list[str]:
    """Apply the pending migrations of `schema` from `folders`; return the names applied.

    `{schema}` in a file is replaced by the schema name, so one template can serve many
    services (the consumer tables). Names must be unique across the folders.
    """
    applied: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _lock_key(schema))
    try:
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        await conn.execute(
            f"""CREATE TABLE IF NOT EXISTS "{schema}".schema_migrations (
                    name text PRIMARY KEY,
                    applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {
            r["name"] for r in await conn.fetch(f'SELECT name FROM "{schema}".schema_migrations')
        }
        paths = sorted((p for f in folders for p in f.glob("*.sql")), key=lambda p: p.name)
        for path in paths:
            if path.name in done:
                continue
            async with conn.transaction():
                await conn.execute(path.read_text().replace("{schema}", schema))
                await conn.execute(
                    f'INSERT INTO "{schema}".schema_migrations (name) VALUES ($1)', path.name
                )
            applied.append(path.name)
            log.info("migration_applied", schema=schema, migration=path.name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _lock_key(schema))
    return applied


def record_to_dict(record: Any) -> dict[str, Any]:
    return dict(record.items())
