"""How long the consumer keeps trying (issue 18, point 5): a database that went away is
waited for up to a minute; a deterministic failure is dead-lettered after a few tries."""

from __future__ import annotations

import asyncpg
import pytest
from pydantic import BaseModel, ValidationError

from shared.refusal import Refused
from shared.retry import RetryPolicy, is_transient


class _Model(BaseModel):
    n: int


def _validation_error() -> ValidationError:
    try:
        _Model.model_validate({"n": "x"})
    except ValidationError as exc:
        return exc
    raise AssertionError("validated")


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "refused"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.ConnectionDoesNotExistError("connection was closed"),
        asyncpg.SerializationError("could not serialize access"),
        asyncpg.DeadlockDetectedError("deadlock detected"),
        asyncpg.InterfaceError("connection is closed"),
        TimeoutError(),
    ],
)
def test_a_database_that_went_away_is_waited_for_up_to_a_minute(exc: Exception) -> None:
    policy = RetryPolicy()
    assert is_transient(exc)
    waits = []
    elapsed, attempt = 0.0, 0
    while True:
        attempt += 1
        wait = policy.delay(attempt, exc, elapsed)
        if wait is None:
            break
        waits.append(wait)
        elapsed += wait
    assert waits[:3] == [0.2, 0.4, 0.8]  # quick at first
    assert max(waits) == 10.0  # never more than 10 s between two tries
    assert elapsed == pytest.approx(60.0)  # gives up after a minute, not before


@pytest.mark.parametrize(
    "exc",
    [
        Refused("unknown_office", "no such office"),
        _validation_error(),
        ValueError("bad"),
        KeyError("x"),
        asyncpg.UniqueViolationError("duplicate key"),
        asyncpg.RaiseError("simulated fault"),
    ],
)
def test_a_deterministic_failure_is_dead_lettered_after_three_tries(exc: Exception) -> None:
    policy = RetryPolicy()
    assert not is_transient(exc)
    assert [policy.delay(a, exc, 0.0) for a in (1, 2, 3)] == [0.2, 0.4, None]
