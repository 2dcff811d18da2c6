"""Least privilege in PostgreSQL: one role per service, the migrations under an owner role.

- `slrt_owner` (no login) owns the event store (`eventstore`) and runs every migration.
- `slrt_<service>` (login; one per service with a schema: the five and the staff web app)
  owns its own schema and nothing else. On the event store it may SELECT and INSERT events
  (no UPDATE, DELETE or TRUNCATE, and, not being the owner, no `ALTER TABLE ... DISABLE
  TRIGGER`), add outbox rows and mark them sent, add subjects (crypto-shredding) and drop
  their keys (an UPDATE of those columns only; no DELETE). It has no access to another
  service's schema.
- `slrt_service` (no login) is the group of the service roles: the event store's grants go
  to it once.

`setup_database(admin_dsn, passwords)` does it all, idempotently: roles, then the
migrations (the event store as `slrt_owner`; each service's schema created for its role and
migrated as that role, so the service owns what its own code may alter, like eligibility's
registry partitions), then the grants. It runs with an administrator's connection (the
superuser of the embedded stack; in deploy/ the `migrate` job), before the services start;
a service's own start-up then finds nothing pending and writes nothing.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared import eventstore
from shared.db import connect, migrate
from shared.logging import configure_logging, get_logger
from shared.production import check_migrate_production
from shared.settings import REPO_ROOT, SECRETS_DIR

log = get_logger(__name__)

OWNER = "slrt_owner"
GROUP = "slrt_service"
# The services with a schema of their own (the portal keeps nothing).
SCHEMA_SERVICES = ("intake", "eligibility", "documents", "casework", "notifications", "dashboard")
CONSUMER_MIGRATIONS = Path(__file__).parent / "consumer_migrations"
# The planner statistics ANALYZE gathers, for the whole database (autovacuum's ANALYZE
# included): it samples 300 rows per unit, so PostgreSQL's 100 reads 30,000 rows of a
# table and sorts every column's values. Under steady traffic autovacuum does that for
# every growing table about once a minute, taking most of a core for seconds; on a
# two-core server each such round was the worst stall of most `make bench` open loops.
# The services' queries are index lookups by key, which need little more than row
# counts: 10 keeps the rounds about half as long (README, "Autovacuum").
STATISTICS_TARGET = 10


async def set_statistics_target(conn: asyncpg.Connection, database: str) -> None:
    """`STATISTICS_TARGET` for every later session of `database` (autovacuum's too)."""
    await conn.execute(
        f'ALTER DATABASE "{database}" SET default_statistics_target = {STATISTICS_TARGET}'
    )


def role_of(service: str) -> str:
    return f"slrt_{service}"


def migrations_of(service: str) -> list[Path]:
    """The folders `shared.runtime.migrate_service` applies for `service` (found by path:
    `shared` imports no service)."""
    own = REPO_ROOT / "services" / service / "migrations"
    from shared.audit import AUDIT_MIGRATIONS

    return [CONSUMER_MIGRATIONS, AUDIT_MIGRATIONS, *([own] if own.is_dir() else [])]


def dsn_as(dsn: str, role: str, password: str | None = None) -> str:
    """`dsn` with another user (and password): the same server and database."""
    parts = urlsplit(dsn)
    host = parts.netloc.rpartition("@")[2]
    auth = quote(role, safe="") + (f":{quote(password, safe='')}" if password else "")
    return urlunsplit(parts._replace(netloc=f"{auth}@{host}"))


def with_database(dsn: str, name: str) -> str:
    """`dsn` on another database: the same server (socket and TCP URIs alike) and query."""
    base, _, query = dsn.partition("?")
    head, _, _old = base.rpartition("/")
    return f"{head}/{name}" + (f"?{query}" if query else "")


async def create_database(server_dsn: str, name: str, *, replace: bool = False) -> str:
    """Create the empty database `name` on the server of `server_dsn` (dropping one left
    over first if `replace`) and return its DSN: the tests' and the bench's scratch
    databases."""
    conn = await asyncpg.connect(server_dsn)
    try:
        if replace:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(server_dsn, name)


def password_of(dsn: str) -> str | None:
    return urlsplit(dsn).password


async def _ensure_role(conn: asyncpg.Connection, role: str, *, login: bool) -> None:
    exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
    if not exists:
        await conn.execute(f'CREATE ROLE "{role}" {"LOGIN" if login else "NOLOGIN"}')


async def provision(
    conn: asyncpg.Connection, passwords: Mapping[str, str | None] | None = None
) -> None:
    """Create the roles that are missing; set each service role's password when one is
    given (`passwords`: service -> password; none on the embedded stack's trust auth)."""
    passwords = passwords or {}
    database = await conn.fetchval("SELECT current_database()")
    me = await conn.fetchval("SELECT current_user")
    await _ensure_role(conn, OWNER, login=False)
    await _ensure_role(conn, GROUP, login=False)
    # The analysts' role (analytics/ makes it too): there before a restore grants to it.
    from analytics.setup import ROLE as ANALYST

    await _ensure_role(conn, ANALYST, login=False)
    await conn.execute(f'GRANT CREATE ON DATABASE "{database}" TO {OWNER}')
    await conn.execute(f'GRANT {OWNER} TO "{me}"')  # so the administrator may SET ROLE to it
    await set_statistics_target(conn, database)
    for service in SCHEMA_SERVICES:
        role = role_of(service)
        await _ensure_role(conn, role, login=True)
        await conn.execute(f"GRANT {GROUP} TO {role}")
        await conn.execute(f"GRANT {role} TO {OWNER}")  # the owner migrates its schema
        password = passwords.get(service)
        if password:
            await conn.execute(
                await conn.fetchval(
                    "SELECT format('ALTER ROLE %I PASSWORD %L', $1, $2)", role, password
                )
            )


async def grant(conn: asyncpg.Connection) -> None:
    """What the service roles may do on the event store (as its owner)."""
    await conn.execute(
        f"""REVOKE ALL ON ALL TABLES IN SCHEMA eventstore FROM PUBLIC, {GROUP};
            GRANT USAGE ON SCHEMA eventstore TO {GROUP};
            GRANT SELECT ON ALL TABLES IN SCHEMA eventstore TO {GROUP};
            GRANT INSERT ON eventstore.events TO {GROUP};
            GRANT INSERT, UPDATE (sent_at) ON eventstore.outbox TO {GROUP};
            GRANT INSERT, UPDATE (blind_index, wrapped_key, erased_at, erased_reason, erased_by)
                ON eventstore.subjects TO {GROUP};
            GRANT INSERT ON eventstore.subject_anchors TO {GROUP}"""
    )


async def migrate_all(conn: asyncpg.Connection) -> dict[str, list[str]]:
    """Every schema's pending migrations: the event store as the owner, each service's
    schema as its own role. Returns schema -> migrations applied."""
    applied: dict[str, list[str]] = {}
    await conn.execute(f"SET ROLE {OWNER}")
    try:
        applied[eventstore.store.SCHEMA] = await migrate(
            conn, eventstore.store.SCHEMA, eventstore.store.MIGRATIONS
        )
        await grant(conn)
        for service in SCHEMA_SERVICES:
            role = role_of(service)
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{service}" AUTHORIZATION {role}')
            await conn.execute(f"SET ROLE {role}")
            try:
                applied[service] = await migrate(conn, service, *migrations_of(service))
            finally:
                await conn.execute(f"SET ROLE {OWNER}")
    finally:
        await conn.execute("RESET ROLE")
    return applied


async def setup_database(
    admin_dsn: str,
    passwords: Mapping[str, str | None] | None = None,
    *,
    analytics_pepper: str | None = None,
    analyst_password: str | None = None,
) -> dict[str, list[str]]:
    """Roles, migrations and grants, with an administrator's connection (idempotent)."""
    conn = await connect(admin_dsn)
    try:
        await provision(conn, passwords)
        applied = await migrate_all(conn)
        # The analysts' schema and its role (analytics/): as the administrator, since its
        # migrations make a role; the staff web app reads its views for the monthly report.
        from analytics.setup import ROLE as ANALYST
        from analytics.setup import migrate_analytics

        await migrate_analytics(conn, pepper=analytics_pepper, analyst_password=analyst_password)
        await conn.execute(f'GRANT "{ANALYST}" TO {role_of("dashboard")}')
    finally:
        await conn.close()
    log.info("database_ready", applied={k: v for k, v in applied.items() if v})
    return applied


async def may_manage_roles(dsn: str) -> bool:
    """Whether the role of `dsn` may create roles (a superuser, or CREATEROLE)."""
    conn = await connect(dsn)
    try:
        return bool(
            await conn.fetchval(
                "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
            )
        )
    finally:
        await conn.close()


def service_dsns(admin_dsn: str) -> dict[str, str]:
    """Each service's own URI on the embedded stack (trust auth: no passwords)."""
    return {s: dsn_as(admin_dsn, role_of(s)) for s in SCHEMA_SERVICES}


class DatabaseAdminSettings(BaseSettings):
    """What the `migrate` job of deploy/ reads: the administrator's URI, and each service's
    own URI (the role's password is taken from it, so it is written in one place)."""

    model_config = SettingsConfigDict(
        env_prefix="",
        extra="ignore",
        case_sensitive=False,
        secrets_dir=SECRETS_DIR if SECRETS_DIR.is_dir() else None,
    )

    slrt_admin_database_url: str = Field(
        description="URI of a role that may create roles (CREATEROLE) and schemas."
    )
    database_url_intake: str | None = None
    database_url_eligibility: str | None = None
    database_url_documents: str | None = None
    database_url_casework: str | None = None
    database_url_notifications: str | None = None
    database_url_dashboard: str | None = None
    slrt_analytics_pepper: str | None = Field(
        default=None,
        description="The key of analytics' pseudonyms (HMAC; at least 32 bytes in production).",
    )
    slrt_analyst_password: str | None = Field(
        default=None, description="The analyst role's password (none: it may not log in)."
    )
    slrt_environment: Literal["development", "test", "production"] = "development"

    def passwords(self) -> dict[str, str | None]:
        found: dict[str, str | None] = {}
        for service in SCHEMA_SERVICES:
            dsn: str | None = getattr(self, f"database_url_{service}")
            found[service] = password_of(dsn) if dsn else None
        return found


async def _roles_only(admin_dsn: str, passwords: Mapping[str, str | None]) -> None:
    conn = await connect(admin_dsn)
    try:
        await provision(conn, passwords)
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    """`python -m shared.dbroles migrate`: the one-shot job of deploy/ (roles, migrations,
    grants), before the services start. `... roles`: the roles alone (before a restore)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args not in (["migrate"], ["roles"]):
        print("usage: python -m shared.dbroles migrate|roles", file=sys.stderr)
        return 2
    configure_logging("migrate")
    settings = DatabaseAdminSettings()
    check_migrate_production(
        settings.slrt_environment, settings.slrt_analytics_pepper, process="migrate"
    )
    if args == ["roles"]:
        asyncio.run(_roles_only(settings.slrt_admin_database_url, settings.passwords()))
        print("roles ready")
        return 0
    applied = asyncio.run(
        setup_database(
            settings.slrt_admin_database_url,
            settings.passwords(),
            analytics_pepper=settings.slrt_analytics_pepper,
            analyst_password=settings.slrt_analyst_password,
        )
    )
    print(f"migrated: {sum(len(v) for v in applied.values())} migration(s) applied")
    return 0


if __name__ == "__main__":
    sys.exit(main())
