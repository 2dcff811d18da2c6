"""Password hashes with Argon2id (argon2-cffi, its RFC 9106 low-memory profile).

Hashing is deliberately slow (tens of milliseconds) and runs in a worker thread, so that
sign-ins do not stall the event loop that serves every open page.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
# Verified against when the username is unknown, so that the answer takes as long as for
# a known one (no telling which usernames exist from the timing).
_DUMMY_HASH = _HASHER.hash("not-a-password-of-anyone")


def hash_password_sync(password: str) -> str:
    return _HASHER.hash(password)


def verify_password_sync(password_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(hash_password_sync, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(verify_password_sync, password_hash, password)
