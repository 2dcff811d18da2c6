"""Least privilege in PostgreSQL (issue 16.2), on the embedded PostgreSQL: one role per
service, owning its schema only; on the event store it may append and read, never
truncate, rewrite or switch off the append-only trigger; another service's schema is closed
to it. The migrations run as the owner role."""

from __future__ import annotations

from uuid import uuid4

import asyncpg
import pytest

from shared.contracts.base import EventMetadata
from shared.contracts.events import CaseAssigned
from shared.contracts.vocab import Role
from shared.db import connect
from shared.dbroles import (
    OWNER,
    SCHEMA_SERVICES,
    STATISTICS_TARGET,
    dsn_as,
    role_of,
    setup_database,
)
from shared.eventstore.store import EventStore
from shared.runtime import migrate_service

pytestmark = pytest.mark.integration


@pytest.fixture
async def prepared(database_url: str) -> str:
    applied = await setup_database(database_url)
    assert applied["eventstore"] and all(applied[s] for s in SCHEMA_SERVICES)
    assert await setup_database(database_url) == {  # again: nothing to do
        name: [] for name in ("eventstore", *SCHEMA_SERVICES)
    }
    return database_url


async def test_schemas_are_owned_by_the_owner_and_each_service(prepared: str) -> None:
    conn = await asyncpg.connect(prepared)
    try:
        owners = dict(
            await conn.fetch(
                "SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace "
                "WHERE nspname = ANY($1::text[])",
                ["eventstore", *SCHEMA_SERVICES],
            )
        )
        tables = dict(
            await conn.fetch(
                "SELECT tablename, tableowner FROM pg_tables "
                "WHERE schemaname IN ('eventstore', 'eligibility')"
            )
        )
    finally:
        await conn.close()
    assert owners == {"eventstore": OWNER, **{s: role_of(s) for s in SCHEMA_SERVICES}}
    assert tables["events"] == OWNER and tables["outbox"] == OWNER
    assert tables["registry_snapshots"] == role_of("eligibility")


async def test_a_service_role_appends_but_cannot_truncate_rewrite_or_disable_the_trigger(
    prepared: str,
) -> None:
    conn = await connect(dsn_as(prepared, role_of("casework")))
    try:
        assert await conn.fetchval("SELECT current_user") == "slrt_casework"
        case_id = uuid4()
        event = CaseAssigned(case_id=case_id, assignee="a", role=Role.OFFICER, assigned_by="t")
        async with conn.transaction():
            await EventStore("casework").append(
                conn, f"case-{case_id}", 0, [event], EventMetadata(case_id=case_id)
            )
        # The relay's work: read the outbox and mark it sent.
        marked = await conn.execute(
            "UPDATE eventstore.outbox SET sent_at = clock_timestamp() WHERE sent_at IS NULL"
        )
        assert marked == "UPDATE 1"
        for statement in (
            "TRUNCATE eventstore.events CASCADE",
            "TRUNCATE eventstore.outbox",
            "ALTER TABLE eventstore.events DISABLE TRIGGER events_append_only",
            "ALTER TABLE eventstore.events DISABLE TRIGGER ALL",
            "DROP TRIGGER events_append_only ON eventstore.events",
            "UPDATE eventstore.events SET actor = 'someone else'",
            "DELETE FROM eventstore.events",
            "UPDATE eventstore.outbox SET topic = 'elsewhere'",
            "CREATE TABLE eventstore.mine (id int)",
            "SELECT count(*) FROM intake.inbound_messages",
            "SELECT count(*) FROM eligibility.registry_snapshots",
            "SET session_replication_role = replica",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(statement)
        assert await conn.fetchval("SELECT count(*) FROM eventstore.events") == 1
    finally:
        await conn.close()


async def test_a_service_starts_as_its_role_with_nothing_to_migrate(prepared: str) -> None:
    """What every service runs at start-up writes nothing once the owner has migrated, so
    the service role's lack of DDL rights on the event store is no obstacle."""
    for service in SCHEMA_SERVICES:
        await migrate_service(dsn_as(prepared, role_of(service)), service, None)
    # Its own schema is its own: eligibility's registry import creates partitions there.
    conn = await asyncpg.connect(dsn_as(prepared, role_of("eligibility")))
    try:
        await conn.execute(
            "CREATE TABLE eligibility.scratch (id int); DROP TABLE eligibility.scratch"
        )
    finally:
        await conn.close()


async def test_the_database_samples_few_rows_for_planner_statistics(prepared: str) -> None:
    """Every new session (autovacuum's too) gathers statistics at the database's target,
    not PostgreSQL's 100: ANALYZE reads 300 rows per unit of it (shared/dbroles.py)."""
    conn = await asyncpg.connect(prepared)
    try:
        assert await conn.fetchval("SHOW default_statistics_target") == str(STATISTICS_TARGET)
        await conn.execute("CREATE TEMP TABLE sampled AS SELECT generate_series(1, 20000) AS n")
        await conn.execute("ANALYZE sampled")
        bounds = await conn.fetchval(
            "SELECT array_length(histogram_bounds::text::int[], 1) FROM pg_stats"
            " WHERE tablename = 'sampled' AND attname = 'n'"
        )
    finally:
        await conn.close()
    assert bounds == STATISTICS_TARGET + 1
