"""Telling an outage from a bug: which exceptions mean "PostgreSQL cannot be reached now".

During a database restart a request meets a refused connection, a connection the server
closed, a pool that cannot hand one out in time, or the server saying it is shutting down
or starting up. None of these is the request's fault or a defect in SLRT: the HTTP layer
answers 503 with `Retry-After` (never 500), and a consumer waits and tries again.
"""

from __future__ import annotations

import asyncio

import asyncpg

RETRY_AFTER_SECONDS = 5

# What a database that is restarting or unreachable raises: the one list (the consumer's
# retry policy, shared/retry.py, treats these as transient too).
DATABASE_OUTAGE: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # class 08: connection lost, refused by the server
    asyncpg.CannotConnectNowError,  # 57P03: the server is starting up or shutting down
    asyncpg.AdminShutdownError,  # 57P01
    asyncpg.exceptions.CrashShutdownError,  # 57P02
    asyncpg.TooManyConnectionsError,  # 53300: the server's connection slots are full
    asyncpg.InterfaceError,  # e.g. "connection is closed", "pool is closing"
    ConnectionError,  # refused or reset at the socket (ConnectionRefusedError, ...)
    asyncio.TimeoutError,  # a pool acquire or connect that timed out (TimeoutError)
)


def database_unavailable(exc: BaseException) -> bool:
    """True when `exc` (or what caused it) says the database is unreachable right now."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DATABASE_OUTAGE) or _connecting_failed(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _connecting_failed(exc: BaseException) -> bool:
    """An OSError raised while asyncpg opened a connection: over a Unix socket, a stopped
    server's socket file is gone (FileNotFoundError), which is no ConnectionError."""
    if not isinstance(exc, OSError):
        return False
    tb = exc.__traceback__
    while tb is not None:
        if "asyncpg" in tb.tb_frame.f_code.co_filename:
            return True
        tb = tb.tb_next
    return False
