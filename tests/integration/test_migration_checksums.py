"""Migrations keep a checksum of each applied file; an applied file that was edited stops
start-up with a clear message (issue 18.9). On the embedded PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from shared.db import MigrationChanged, checksum, migrate
from shared.runtime import migrate_service

pytestmark = pytest.mark.integration


async def test_applied_files_keep_their_checksum_and_an_edit_stops_the_run(
    database_url: str, tmp_path: Path
) -> None:
    first = tmp_path / "001_first.sql"
    first.write_text("CREATE TABLE {schema}.things (id int PRIMARY KEY);\n")
    conn = await asyncpg.connect(database_url)
    try:
        assert await migrate(conn, "mig", tmp_path) == ["001_first.sql"]
        row = await conn.fetchrow("SELECT checksum FROM mig.schema_migrations")
        assert row is not None and row["checksum"] == checksum(first)
        assert await migrate(conn, "mig", tmp_path) == []  # nothing pending, nothing changed

        first.write_text("CREATE TABLE {schema}.things (id bigint PRIMARY KEY);\n")
        (tmp_path / "002_second.sql").write_text("CREATE TABLE {schema}.more (id int);\n")
        with pytest.raises(MigrationChanged) as stopped:
            await migrate(conn, "mig", tmp_path)
        message = str(stopped.value)
        assert "schema mig: applied migration(s) edited since they ran: 001_first.sql" in message
        assert "make the change a new migration" in message
        # Nothing after the edited file ran.
        assert await conn.fetchval("SELECT to_regclass('mig.more')") is None
    finally:
        await conn.close()


async def test_migrations_applied_before_checksums_are_adopted(
    database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "001_first.sql").write_text("CREATE TABLE {schema}.things (id int);\n")
    conn = await asyncpg.connect(database_url)
    try:
        # The table as the runner made it before it kept checksums.
        await conn.execute(
            """CREATE SCHEMA old; CREATE TABLE old.things (id int);
               CREATE TABLE old.schema_migrations (
                   name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
               INSERT INTO old.schema_migrations (name) VALUES ('001_first.sql')"""
        )
        assert await migrate(conn, "old", tmp_path) == []
        recorded = await conn.fetchval("SELECT checksum FROM old.schema_migrations")
        assert recorded == checksum(tmp_path / "001_first.sql")
    finally:
        await conn.close()


async def test_a_service_does_not_start_on_an_edited_migration(database_url: str) -> None:
    """What start-up runs (`migrate_service`) refuses once an applied file differs from
    what was applied (here the record is altered, rather than the repository's file)."""
    await migrate_service(database_url, "casework", None)
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "UPDATE eventstore.schema_migrations SET checksum = 'x' || checksum "
            "WHERE name = '001_events.sql'"
        )
    finally:
        await conn.close()
    with pytest.raises(MigrationChanged, match=r"schema eventstore: .*001_events\.sql"):
        await migrate_service(database_url, "casework", None)
