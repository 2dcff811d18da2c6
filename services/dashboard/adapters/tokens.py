"""The short-lived service token of the signed-in person.

The dashboard holds the Ed25519 private key and mints, for the person behind a request, a
token of a few minutes (10 by default) carrying their staff id, office and roles. It is
reused within a session until it is half spent, so a page that makes five calls signs once.
"""

from __future__ import annotations

import time
from datetime import timedelta

from services.dashboard.domain.accounts import Account
from shared.auth import mint_token
from shared.settings import Settings

_CACHE: dict[tuple[str, str, str, tuple[str, ...]], tuple[str, float]] = {}
_CACHE_MAX = 10_000


def service_token(account: Account, session_hash: str, settings: Settings, minutes: int) -> str:
    roles = tuple(sorted(r.value for r in account.roles))
    key = (session_hash, str(account.account_id), account.office, roles)
    cached = _CACHE.get(key)
    now = time.time()
    if cached is not None and cached[1] > now:
        return cached[0]
    token = mint_token(
        account.username,
        account.office,
        account.roles,
        name=account.name,
        settings=settings,
        ttl=timedelta(minutes=minutes),
    )
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.clear()
    _CACHE[key] = (token, now + minutes * 30)  # reuse for half its life
    return token
