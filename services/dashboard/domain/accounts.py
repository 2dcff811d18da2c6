"""Staff accounts and the rules of signing in: pure, no I/O.

An account belongs to one office and holds one or more roles (the English role ids of
`shared.contracts.vocab.Role`; screens show the Indonesian labels below). A wrong password
counts against the account; `max_failures` in a row lock it for `lockout` (15 minutes by
default); a right password resets the count. While locked, even the right password is
refused, without being checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import UUID

from shared.contracts.vocab import Role
from shared.labels import ROLE_LABELS as ROLE_LABELS
from shared.refusal import Refused

MIN_PASSWORD_LENGTH = 10
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


@dataclass(frozen=True)
class Account:
    account_id: UUID
    username: str
    office: str
    name: str
    email: str | None
    roles: frozenset[Role]
    active: bool
    failed_attempts: int = 0
    locked_until: datetime | None = None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    def has_any(self, *roles: Role) -> bool:
        return bool(self.roles & set(roles))


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)

    def after_failure(self, account: Account, now: datetime) -> Account:
        """The account after one more wrong password (locked at the limit; the count
        starts again after a lock-out has run out)."""
        count = 0 if account.locked_until is not None else account.failed_attempts
        count += 1
        if count >= self.max_failures:
            return replace(account, failed_attempts=count, locked_until=now + self.lockout)
        return replace(account, failed_attempts=count, locked_until=None)

    @staticmethod
    def after_success(account: Account) -> Account:
        return replace(account, failed_attempts=0, locked_until=None)


def check_password_rules(password: str) -> None:
    """Refuse (422) a password too short to be one."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Refused.invalid(
            "password_too_short",
            f"A password needs at least {MIN_PASSWORD_LENGTH} characters.",
            {"min_length": MIN_PASSWORD_LENGTH},
        )


def check_username(username: str) -> str:
    """The username as kept (lower case); refuse (422) one that is not a plain id."""
    value = username.strip().lower()
    if not USERNAME.match(value):
        raise Refused.invalid(
            "username_invalid",
            "A username is 3-64 characters: letters, digits, dot, dash or underscore.",
        )
    return value


def parse_roles(values: list[str]) -> frozenset[Role]:
    try:
        roles = frozenset(Role(v) for v in values)
    except ValueError as exc:
        raise Refused.invalid("role_unknown", f"Unknown role: {exc}") from exc
    if not roles:
        raise Refused.invalid("roles_required", "An account needs at least one role.")
    return roles
