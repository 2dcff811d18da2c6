"""How long the consumer keeps trying an event before it dead-letters it.

Two kinds of failure, two budgets:

- **transient**: the database went away or asked to try again (connection lost, PostgreSQL
  restarting or refusing connections, serialization failure, deadlock). The same event will
  very likely apply in a moment, so it is retried with a growing delay (0.2 s doubling,
  at most 10 s between tries) until about a minute has passed since the first failure:
  long enough to ride out a restart of PostgreSQL.
- **deterministic**: anything else (a payload that does not validate, a `Refused`, a bug).
  Trying again will not help, so it is dead-lettered after a few quick tries, as before.

Pure: `RetryPolicy.delay` says how long to wait before the next try, or None to give up.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from shared.unavailable import DATABASE_OUTAGE

# What a database that is restarting, unreachable (shared/unavailable.py) or asking to
# try again raises.
TRANSIENT: tuple[type[BaseException], ...] = (
    *DATABASE_OUTAGE,
    asyncpg.OperatorInterventionError,  # 57xxx, e.g. 57P01 admin, 57P02 crash shutdown
    asyncpg.SerializationError,  # 40001
    asyncpg.DeadlockDetectedError,  # 40P01
)


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TRANSIENT)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # deterministic failures: this many tries in all
    backoff: float = 0.1  # seconds; doubled per try (0.2, 0.4, ...)
    transient_budget: float = 60.0  # seconds since the first failure, for transient ones
    max_delay: float = 10.0  # the longest wait between two tries

    def delay(self, attempt: int, exc: BaseException, elapsed: float) -> float | None:
        """Seconds to wait before try `attempt + 1` after try `attempt` failed with `exc`,
        `elapsed` seconds after the first try started; None: dead-letter it now."""
        wait = min(self.backoff * 2.0**attempt, self.max_delay)
        if is_transient(exc):
            if elapsed >= self.transient_budget:
                return None
            return min(wait, self.transient_budget - elapsed)
        return wait if attempt < self.attempts else None


DEFAULT_POLICY = RetryPolicy()
