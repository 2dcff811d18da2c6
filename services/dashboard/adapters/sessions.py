"""Sign-in sessions in PostgreSQL (`dashboard.sessions`).

The browser holds a random session id in an HttpOnly cookie; the table keeps only its
SHA-256, the CSRF token of the session and its times. A session with no account is the
anonymous one that carries the sign-in form's CSRF token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass(frozen=True)
class SessionRow:
    session_hash: str
    account_id: UUID | None
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


async def create(
    conn: asyncpg.Connection, account_id: UUID | None, *, lifetime: timedelta
) -> tuple[str, SessionRow]:
    """A new session: (the id for the cookie, the row)."""
    session_id = new_secret()
    row = await conn.fetchrow(
        """INSERT INTO dashboard.sessions (session_hash, account_id, csrf_token, expires_at)
           VALUES ($1, $2, $3, clock_timestamp() + $4::interval)
           RETURNING session_hash, account_id, csrf_token, created_at, last_seen_at,
                     expires_at""",
        digest(session_id),
        account_id,
        new_secret(),
        lifetime,
    )
    return session_id, SessionRow(**dict(row))


async def find(conn: asyncpg.Connection, session_id: str, *, idle: timedelta) -> SessionRow | None:
    """The live session for a cookie value (not ended, not expired, not idle too long);
    its last-seen time is moved on at most once a minute."""
    row = await conn.fetchrow(
        """UPDATE dashboard.sessions SET last_seen_at = clock_timestamp()
           WHERE session_hash = $1 AND ended_at IS NULL AND expires_at > clock_timestamp()
             AND last_seen_at > clock_timestamp() - $2::interval
             AND last_seen_at < clock_timestamp() - interval '1 minute'
           RETURNING session_hash, account_id, csrf_token, created_at, last_seen_at,
                     expires_at""",
        digest(session_id),
        idle,
    )
    if row is None:
        row = await conn.fetchrow(
            """SELECT session_hash, account_id, csrf_token, created_at, last_seen_at, expires_at
               FROM dashboard.sessions
               WHERE session_hash = $1 AND ended_at IS NULL AND expires_at > clock_timestamp()
                 AND last_seen_at > clock_timestamp() - $2::interval""",
            digest(session_id),
            idle,
        )
    return SessionRow(**dict(row)) if row else None


async def end(conn: asyncpg.Connection, session_hash: str, reason: str) -> None:
    await conn.execute(
        """UPDATE dashboard.sessions SET ended_at = clock_timestamp(), ended_reason = $2
           WHERE session_hash = $1 AND ended_at IS NULL""",
        session_hash,
        reason,
    )


async def end_all_of(conn: asyncpg.Connection, account_id: UUID, reason: str) -> int:
    """End every open session of an account (deactivated, password reset)."""
    result: str = await conn.execute(
        """UPDATE dashboard.sessions SET ended_at = clock_timestamp(), ended_reason = $2
           WHERE account_id = $1 AND ended_at IS NULL""",
        account_id,
        reason,
    )
    return int(result.split()[-1])
