"""Apply the analytics schema and write its reference data; run at every service's start.

The migrations (SQL) make the schema, the views and the role. What they cannot know comes
from here, idempotently, under one advisory lock per database:

* the offices (their UTC offset) and their published completion times, from the catalogue;
* the days off (public holidays and cuti bersama, the `holidays` package, as casework);
* the key of the pseudonyms (`SLRT_ANALYTICS_PEPPER`; without it, a random key is made once
  and kept in the database: keys then stay stable, but only within that database);
* the analyst's password (`SLRT_ANALYST_PASSWORD`: the role may log in; without it, the role
  stays NOLOGIN).
"""

from __future__ import annotations

import functools
import hashlib
import os
import secrets
from datetime import timedelta
from pathlib import Path

import asyncpg
import holidays

from shared.catalogue import Catalogue
from shared.catalogue.loader import load_catalogue
from shared.catalogue.model import CatalogueError, Duration
from shared.db import migrate
from shared.localtime import zone_of
from shared.logging import get_logger

log = get_logger(__name__)

SCHEMA = "analytics"
MIGRATIONS = Path(__file__).parent / "migrations"
ROLE = "slrt_analyst"
PEPPER_ENV = "SLRT_ANALYTICS_PEPPER"
PASSWORD_ENV = "SLRT_ANALYST_PASSWORD"  # noqa: S105  (the name of a variable, not a secret)
YEARS = range(2020, 2041)  # the days off written to analytics.days_off
_LOCK = int.from_bytes(hashlib.sha256(b"analytics.reference").digest()[:8], "big", signed=True)


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """RFC 2104's inner and outer keys for HMAC-SHA256: the key (hashed first if longer
    than the 64-byte block) padded with zeros, XOR 0x36 and XOR 0x5c."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def pseudonym(pepper: bytes, identity: str) -> str:
    """What `analytics.cases.requester_key` holds for `identity` ('nik:<NIK>' or
    'citizen:<uuid>'): hex HMAC-SHA256 with the pepper (the same as the view computes)."""
    import hmac

    return hmac.new(pepper, identity.encode(), hashlib.sha256).hexdigest()


async def migrate_analytics(
    conn: asyncpg.Connection,
    catalogue: Catalogue | None = None,
    *,
    pepper: str | None = None,
    analyst_password: str | None = None,
) -> None:
    """Apply the migrations of `analytics`, then write its reference data. The pepper and
    the analyst's password: the migrate job's settings (deploy/), else the variables."""
    await migrate(conn, SCHEMA, MIGRATIONS)
    if catalogue is None:
        try:
            catalogue = _default_catalogue()
        except CatalogueError as exc:  # the service itself says so, loudly, at its start
            log.warning("analytics_catalogue_unreadable", error=str(exc))
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
        if catalogue is not None:
            await _write_standards(conn, catalogue)
        await _write_days_off(conn)
        await _write_pepper(conn, pepper)
    await _set_password(conn, analyst_password)


@functools.cache
def _default_catalogue() -> Catalogue:
    return load_catalogue()


async def _write_standards(conn: asyncpg.Connection, catalogue: Catalogue) -> None:
    offices = []
    standards = []
    for office in catalogue.offices.values():
        zone = zone_of(office.region_code)
        offset = zone.utcoffset(None) or timedelta(hours=7)
        offices.append((office.id, office.name, offset, zone.tzname(None) or "WIB"))
        for service in office.services.values():
            times: dict[str, Duration] = {"*": service.completion_time}
            times.update({str(c): d for c, d in service.completion_time_by_channel.items()})
            for channel, duration in times.items():
                standards.append(
                    (
                        office.id,
                        service.id,
                        str(channel),
                        service.name,
                        duration.value,
                        str(duration.unit),
                    )
                )
    await conn.executemany(
        """INSERT INTO analytics.offices (office, name, utc_offset, zone_abbrev)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (office) DO UPDATE SET name = EXCLUDED.name,
               utc_offset = EXCLUDED.utc_offset, zone_abbrev = EXCLUDED.zone_abbrev""",
        offices,
    )
    await conn.execute("DELETE FROM analytics.service_standards")
    await conn.executemany(
        """INSERT INTO analytics.service_standards
               (office, service, channel, name, time_value, time_unit)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        standards,
    )


async def _write_days_off(conn: asyncpg.Connection) -> None:
    have = await conn.fetchval("SELECT count(*) FROM analytics.days_off")
    if have:
        return
    days = holidays.country_holidays("ID", categories=("public", "government"), years=YEARS)
    await conn.executemany(
        "INSERT INTO analytics.days_off (day, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        sorted(days.items()),
    )


async def _write_pepper(conn: asyncpg.Connection, configured: str | None) -> None:
    configured = configured or os.environ.get(PEPPER_ENV)
    if not configured:
        if await conn.fetchval("SELECT count(*) FROM analytics_private.pepper"):
            return
        log.warning("analytics_pepper_generated", hint=f"set {PEPPER_ENV} in production")
    key = configured.encode() if configured else secrets.token_bytes(32)
    ipad, opad = hmac_pads(key)
    await conn.execute(
        """INSERT INTO analytics_private.pepper (only_one, k_ipad, k_opad) VALUES (true, $1, $2)
           ON CONFLICT (only_one) DO UPDATE SET k_ipad = EXCLUDED.k_ipad,
               k_opad = EXCLUDED.k_opad""",
        ipad,
        opad,
    )


async def _set_password(conn: asyncpg.Connection, password: str | None) -> None:
    password = password or os.environ.get(PASSWORD_ENV)
    if not password:
        return
    try:
        statement = await conn.fetchval(
            "SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', $1::text, $2::text)", ROLE, password
        )
        await conn.execute(statement)
    except (asyncpg.InsufficientPrivilegeError, asyncpg.InternalServerError) as exc:
        # Not allowed to (a least-privilege migrator), or another database's start-up
        # altered the cluster-wide role at the same moment: the password is set once anyway.
        log.warning("analytics_password_not_set", error=type(exc).__name__)
