"""Sign in with a username and password; start a fresh session.

Each attempt is recorded (`dashboard.sign_in_attempts`: signed_in, wrong_password,
unknown_user, inactive, locked, locked_out). The account row is locked for the attempt so
that parallel guesses count one by one. Signing in always starts a NEW session: the id the
browser had before (the anonymous one carrying the form's CSRF token, or one an attacker
planted) is ended, never promoted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import asyncpg

from services.dashboard.adapters import accounts, sessions
from services.dashboard.adapters.passwords import verify_password
from services.dashboard.domain.accounts import Account, LockoutPolicy
from services.dashboard.domain.formatting import time_only
from shared.catalogue import Catalogue
from shared.logging import get_logger
from shared.refusal import Refused

log = get_logger(__name__)


def _failed() -> Refused:
    return Refused("sign_in_failed", "Unknown username or wrong password.", status=401)


class PasswordIdentityProvider:
    """Staff of the dashboard's own directory, by username and Argon2-hashed password."""

    name = "password"

    def __init__(
        self,
        pool: Callable[[], asyncpg.Pool],
        policy: LockoutPolicy,
        catalogue: Catalogue | None = None,
    ) -> None:
        self.pool = pool  # the runtime's pool, once it has started
        self.policy = policy
        self.catalogue = catalogue

    async def authenticate(self, username: str, secret: str, *, client: str | None) -> Account:
        async with self.pool().acquire() as conn, conn.transaction():
            # What happened is recorded in this transaction; a refusal is raised only after
            # it has committed (raising inside would roll the record back).
            account, refusal = await self._attempt(conn, username, secret, client)
        if refusal is not None:
            raise refusal
        assert account is not None
        return account

    async def _attempt(
        self, conn: asyncpg.Connection, username: str, secret: str, client: str | None
    ) -> tuple[Account | None, Refused | None]:
        found = await accounts.by_username(conn, username.strip(), for_update=True)
        now = datetime.now(UTC)
        if found is None:
            await verify_password(None, secret)  # the same time as for a known name
            await _record(conn, username, None, "unknown_user", client)
            return None, _failed()
        account, password_hash = found
        if not account.active:
            await _record(conn, username, account, "inactive", client)
            return None, _failed()
        if account.locked(now):
            await _record(conn, username, account, "locked", client)
            return None, self._locked(account)
        if not await verify_password(password_hash, secret):
            after = self.policy.after_failure(account, now)
            await accounts.update(conn, after)
            if after.locked(now):
                await _record(conn, username, account, "locked_out", client)
                log.warning("account_locked_out", account_id=str(account.account_id))
                return None, self._locked(after)
            await _record(conn, username, account, "wrong_password", client)
            return None, _failed()
        account = self.policy.after_success(account)
        await accounts.update(conn, account)
        await _record(conn, username, account, "signed_in", client)
        return account, None

    def _locked(self, account: Account) -> Refused:
        region = "35.00"
        if self.catalogue is not None and account.office in self.catalogue.offices:
            region = self.catalogue.office(account.office).region_code
        until = account.locked_until or datetime.now(UTC)
        return Refused(
            "account_locked",
            "Too many wrong passwords: the account is locked for a while.",
            status=423,
            details={"locked_until": until.isoformat(), "until_local": time_only(until, region)},
        )


async def _record(
    conn: asyncpg.Connection,
    username: str,
    account: Account | None,
    outcome: str,
    client: str | None,
) -> None:
    await accounts.record_attempt(
        conn,
        username=username,
        account_id=account.account_id if account else None,
        outcome=outcome,
        client=client,
    )


async def start_session(
    pool: asyncpg.Pool,
    account: Account,
    *,
    previous_hash: str | None,
    lifetime: timedelta,
) -> tuple[str, sessions.SessionRow]:
    """End the session the browser had (if any) and open a new one for `account`."""
    async with pool.acquire() as conn, conn.transaction():
        if previous_hash is not None:
            await sessions.end(conn, previous_hash, "rotated_at_sign_in")
        return await sessions.create(conn, account.account_id, lifetime=lifetime)
