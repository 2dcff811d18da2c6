"""The session behind a request: whose it is (if anyone's), and signing out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import asyncpg

from services.dashboard.adapters import accounts, sessions
from services.dashboard.domain.accounts import Account


@dataclass(frozen=True)
class CurrentSession:
    row: sessions.SessionRow
    account: Account | None  # None: the anonymous session of the sign-in form

    @property
    def csrf_token(self) -> str:
        return self.row.csrf_token


async def current(
    pool: asyncpg.Pool, session_id: str | None, *, idle: timedelta
) -> CurrentSession | None:
    """The live session for the cookie, with its account if that is still active."""
    if not session_id:
        return None
    async with pool.acquire() as conn:
        row = await sessions.find(conn, session_id, idle=idle)
        if row is None:
            return None
        account = await accounts.by_id(conn, row.account_id) if row.account_id else None
        if row.account_id is not None and (account is None or not account.active):
            await sessions.end(conn, row.session_hash, "account_inactive")
            return None
    return CurrentSession(row, account)


async def anonymous(pool: asyncpg.Pool, *, lifetime: timedelta) -> tuple[str, CurrentSession]:
    """A session without an account: it carries the sign-in form's CSRF token."""
    async with pool.acquire() as conn:
        session_id, row = await sessions.create(conn, None, lifetime=lifetime)
    return session_id, CurrentSession(row, None)


async def sign_out(pool: asyncpg.Pool, session: CurrentSession) -> None:
    async with pool.acquire() as conn:
        await sessions.end(conn, session.row.session_hash, "signed_out")
