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


class MigrationChanged(RuntimeError):
    """An applied migration's file no longer has the text that was applied: start-up stops."""


class MigrationsPending(RuntimeError):
    """Migrations are pending and this connection's role may not apply them."""


def checksum(path: Path) -> str:
    """SHA-256 of a migration file's bytes, as recorded when it was applied."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _migration_files(folders: tuple[Path, ...]) -> list[Path]:
    return sorted((p for f in folders for p in f.glob("*.sql")), key=lambda p: p.name)


async def _recorded(conn: asyncpg.Connection, schema: str) -> dict[str, str | None] | None:
    """Name -> checksum of the applied migrations (None: applied before checksums were
    kept); None when the schema has never been migrated."""
    if await conn.fetchval("SELECT to_regclass($1)", f'"{schema}".schema_migrations') is None:
        return None
    rows = await conn.fetch(f'SELECT * FROM "{schema}".schema_migrations')
    return {r["name"]: r.get("checksum") for r in rows}


def _check_unchanged(schema: str, recorded: dict[str, str | None], paths: list[Path]) -> None:
    changed = [
        (p.name, was, now)
        for p in paths
        if (was := recorded.get(p.name)) is not None and was != (now := checksum(p))
    ]
    if changed:
        lines = "; ".join(
            f"{name} (applied {was[:12]}, file now {now[:12]})" for name, was, now in changed
        )
        raise MigrationChanged(
            f"schema {schema}: applied migration(s) edited since they ran: {lines}. "
            "Put back the text that was applied and make the change a new migration."
        )


async def migrate(conn: asyncpg.Connection, schema: str, *folders: Path) -> list[str]:
    """Apply the pending migrations of `schema` from `folders`; return the names applied.

    `{schema}` in a file is replaced by the schema name, so one template can serve many
    services (the consumer tables). Names must be unique across the folders. Each applied
    file's checksum is kept; a file edited after it was applied stops this with
    `MigrationChanged`. With nothing pending, nothing is written (no lock, no DDL), so a
    role that may not change the schema can run it at every start.
    """
    paths = _migration_files(folders)
    recorded = await _recorded(conn, schema)
    if recorded is not None:
        _check_unchanged(schema, recorded, paths)
        if all(recorded.get(p.name) is not None for p in paths):
            return []
    applied: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _lock_key(schema))
    try:
        try:
            if not await conn.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", schema):
                await conn.execute(f'CREATE SCHEMA "{schema}"')
            await conn.execute(
                f"""CREATE TABLE IF NOT EXISTS "{schema}".schema_migrations (
                        name text PRIMARY KEY,
                        applied_at timestamptz NOT NULL DEFAULT now())"""
            )
            await conn.execute(
                f'ALTER TABLE "{schema}".schema_migrations ADD COLUMN IF NOT EXISTS checksum text'
            )
        except asyncpg.InsufficientPrivilegeError as exc:
            raise MigrationsPending(
                f"schema {schema} has pending migrations and this role may not apply them "
                f"({exc}); run them as the owner role (deploy/README.md, 'Database roles')"
            ) from exc
        recorded = await _recorded(conn, schema) or {}
        _check_unchanged(schema, recorded, paths)
        for path in paths:
            if path.name in recorded:
                if recorded[path.name] is None:  # applied before checksums were kept
                    await conn.execute(
                        f'UPDATE "{schema}".schema_migrations SET checksum = $2 WHERE name = $1',
                        path.name,
                        checksum(path),
                    )
                continue
            async with conn.transaction():
                await conn.execute(path.read_text().replace("{schema}", schema))
                await conn.execute(
                    f'INSERT INTO "{schema}".schema_migrations (name, checksum) VALUES ($1, $2)',
                    path.name,
                    checksum(path),
                )
            applied.append(path.name)
            log.info("migration_applied", schema=schema, migration=path.name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _lock_key(schema))
    return applied


def record_to_dict(record: Any) -> dict[str, Any]:
    return dict(record.items())
