"""The staff directory: add, change, reset the password of, and deactivate accounts.

An administrator manages the accounts of their own office (and may move one to another
office). Every change is recorded in `dashboard.account_changes` with who made it. A
deactivated account, or one whose password was reset, is signed out everywhere at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from uuid import UUID

import asyncpg

from services.dashboard.adapters import accounts, sessions
from services.dashboard.adapters.passwords import hash_password
from services.dashboard.domain.accounts import (
    Account,
    check_password_rules,
    check_username,
    parse_roles,
)
from shared.catalogue import Catalogue
from shared.contracts.vocab import Role
from shared.refusal import Refused


@dataclass(frozen=True)
class AccountForm:
    office: str
    name: str
    roles: list[str]
    email: str | None = None


def _checked(form: AccountForm, catalogue: Catalogue) -> tuple[str, str, frozenset[Role]]:
    if form.office not in catalogue.offices:
        raise Refused.invalid("unknown_office", f"No office {form.office!r} in the catalogue.")
    name = form.name.strip()
    if not name or len(name) > 200:
        raise Refused.invalid("name_required", "A name of 1-200 characters is required.")
    return form.office, name, parse_roles(form.roles)


def _may_manage(actor: Account | None, office: str) -> None:
    """None is the command line (the first account). An admin manages their own office."""
    if actor is None:
        return
    if not actor.has_any(Role.ADMIN):
        raise Refused.forbidden("wrong_role", "Only an administrator manages staff accounts.")
    if actor.office != office:
        raise Refused.forbidden("wrong_office", "Administrators manage their own office's staff.")


def _by(actor: Account | None) -> str:
    return f"staff:{actor.username}" if actor else "cli"


async def create_account(
    pool: asyncpg.Pool,
    catalogue: Catalogue,
    actor: Account | None,
    *,
    username: str,
    password: str,
    form: AccountForm,
) -> Account:
    office, name, roles = _checked(form, catalogue)
    _may_manage(actor, office)
    check_password_rules(password)
    account = Account(
        account_id=uuid.uuid4(),
        username=check_username(username),
        office=office,
        name=name,
        email=(form.email or "").strip() or None,
        roles=roles,
        active=True,
    )
    password_hash = await hash_password(password)
    async with pool.acquire() as conn, conn.transaction():
        if await accounts.by_username(conn, account.username) is not None:
            raise Refused.conflict("username_taken", "That username is already in use.")
        await accounts.insert(conn, account, password_hash)
        await accounts.record_change(
            conn,
            account.account_id,
            changed_by=_by(actor),
            change="created",
            details={"office": office, "roles": sorted(r.value for r in roles)},
        )
    return account


async def _load(conn: asyncpg.Connection, account_id: UUID) -> Account:
    account = await accounts.by_id(conn, account_id)
    if account is None:
        raise Refused.not_found("account_not_found", "No such staff account.")
    return account


async def get_account(pool: asyncpg.Pool, actor: Account, account_id: UUID) -> Account:
    async with pool.acquire() as conn:
        account = await _load(conn, account_id)
    _may_manage(actor, account.office)
    return account


async def list_accounts(pool: asyncpg.Pool, actor: Account) -> list[Account]:
    _may_manage(actor, actor.office)
    async with pool.acquire() as conn:
        return await accounts.of_office(conn, actor.office)


async def update_account(
    pool: asyncpg.Pool,
    catalogue: Catalogue,
    actor: Account | None,
    account_id: UUID,
    form: AccountForm,
    *,
    active: bool,
) -> Account:
    office, name, roles = _checked(form, catalogue)
    async with pool.acquire() as conn, conn.transaction():
        before = await _load(conn, account_id)
        _may_manage(actor, before.office)
        own = actor is not None and actor.account_id == account_id
        if own and (not active or Role.ADMIN not in roles or office != before.office):
            raise Refused.conflict(
                "own_admin_account",
                "You cannot deactivate, move or remove the admin role from your own account.",
            )
        after = replace(
            before,
            office=office,
            name=name,
            email=(form.email or "").strip() or None,
            roles=roles,
            active=active,
        )
        await accounts.update(conn, after)
        change = "updated"
        if before.active and not active:
            change = "deactivated"
        elif not before.active and active:
            change = "reactivated"
        await accounts.record_change(
            conn,
            account_id,
            changed_by=_by(actor),
            change=change,
            details={
                "office": office,
                "roles": sorted(r.value for r in roles),
                "active": active,
            },
        )
        if change == "deactivated" or before.office != office or before.roles != roles:
            # What a signed-in page may do changed: sign it in again.
            await sessions.end_all_of(conn, account_id, change)
    return after


async def reset_password(
    pool: asyncpg.Pool, actor: Account | None, account_id: UUID, password: str
) -> None:
    check_password_rules(password)
    password_hash = await hash_password(password)
    async with pool.acquire() as conn, conn.transaction():
        account = await _load(conn, account_id)
        _may_manage(actor, account.office)
        await accounts.set_password(conn, account_id, password_hash)
        await accounts.record_change(
            conn, account_id, changed_by=_by(actor), change="password_reset"
        )
        if actor is None or actor.account_id != account_id:
            await sessions.end_all_of(conn, account_id, "password_reset")
