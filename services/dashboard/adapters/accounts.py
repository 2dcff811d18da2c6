"""The staff directory in PostgreSQL (`dashboard.accounts`), the record of every sign-in
attempt, and who changed which account."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg

from services.dashboard.domain.accounts import Account
from shared.contracts.vocab import Role

_COLUMNS = """account_id, username, office, name, email, roles, active, failed_attempts,
              locked_until"""


def _account(row: asyncpg.Record) -> Account:
    return Account(
        account_id=row["account_id"],
        username=row["username"],
        office=row["office"],
        name=row["name"],
        email=row["email"],
        roles=frozenset(Role(r) for r in row["roles"]),
        active=row["active"],
        failed_attempts=row["failed_attempts"],
        locked_until=row["locked_until"],
    )


async def by_username(
    conn: asyncpg.Connection, username: str, *, for_update: bool = False
) -> tuple[Account, str] | None:
    """The account and its password hash (locked for the sign-in's transaction)."""
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS}, password_hash FROM dashboard.accounts "
        f"WHERE lower(username) = lower($1){lock}",
        username,
    )
    return (_account(row), row["password_hash"]) if row else None


async def by_id(conn: asyncpg.Connection, account_id: UUID) -> Account | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM dashboard.accounts WHERE account_id = $1", account_id
    )
    return _account(row) if row else None


async def of_office(conn: asyncpg.Connection, office: str) -> list[Account]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM dashboard.accounts WHERE office = $1 "
        "ORDER BY active DESC, name, username",
        office,
    )
    return [_account(r) for r in rows]


async def insert(conn: asyncpg.Connection, account: Account, password_hash: str) -> None:
    await conn.execute(
        """INSERT INTO dashboard.accounts
               (account_id, username, office, name, email, roles, password_hash, active)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        account.account_id,
        account.username,
        account.office,
        account.name,
        account.email,
        sorted(r.value for r in account.roles),
        password_hash,
        account.active,
    )


async def update(conn: asyncpg.Connection, account: Account) -> None:
    await conn.execute(
        """UPDATE dashboard.accounts
           SET office = $2, name = $3, email = $4, roles = $5, active = $6,
               failed_attempts = $7, locked_until = $8, updated_at = clock_timestamp()
           WHERE account_id = $1""",
        account.account_id,
        account.office,
        account.name,
        account.email,
        sorted(r.value for r in account.roles),
        account.active,
        account.failed_attempts,
        account.locked_until,
    )


async def set_password(conn: asyncpg.Connection, account_id: UUID, password_hash: str) -> None:
    await conn.execute(
        """UPDATE dashboard.accounts SET password_hash = $2, failed_attempts = 0,
               locked_until = NULL, updated_at = clock_timestamp()
           WHERE account_id = $1""",
        account_id,
        password_hash,
    )


async def record_attempt(
    conn: asyncpg.Connection,
    *,
    username: str,
    account_id: UUID | None,
    outcome: str,
    client: str | None,
) -> None:
    await conn.execute(
        """INSERT INTO dashboard.sign_in_attempts (username, account_id, outcome, client)
           VALUES ($1, $2, $3, $4)""",
        username[:200],
        account_id,
        outcome,
        client,
    )


async def attempts(conn: asyncpg.Connection, username: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT username, account_id, outcome, client, at FROM dashboard.sign_in_attempts
           WHERE lower(username) = lower($1) ORDER BY id""",
        username,
    )
    return [dict(r) for r in rows]


async def record_change(
    conn: asyncpg.Connection,
    account_id: UUID,
    *,
    changed_by: str,
    change: str,
    details: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        """INSERT INTO dashboard.account_changes (account_id, changed_by, change, details)
           VALUES ($1, $2, $3, $4)""",
        account_id,
        changed_by,
        change,
        details or {},
    )
