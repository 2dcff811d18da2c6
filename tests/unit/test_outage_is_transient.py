"""One list of what a database outage raises (shared/unavailable.py): what the HTTP layer
answers 503 for, the consumer's retry policy waits for as transient, never dead-letters
after a few quick tries."""

from __future__ import annotations

import asyncpg
import pytest

from shared.retry import TRANSIENT, is_transient
from shared.unavailable import DATABASE_OUTAGE, database_unavailable


@pytest.mark.parametrize("kind", DATABASE_OUTAGE, ids=lambda k: k.__name__)
def test_every_outage_the_http_layer_answers_503_for_is_retried_as_transient(
    kind: type[BaseException],
) -> None:
    exc = kind.__new__(kind)
    assert database_unavailable(exc)
    assert is_transient(exc)


@pytest.mark.parametrize(
    "exc",
    [
        asyncpg.SerializationError("could not serialize access"),
        asyncpg.DeadlockDetectedError("deadlock detected"),
        asyncpg.QueryCanceledError("canceling statement due to statement timeout"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_database_asking_to_try_again_is_transient_for_the_consumer_only(
    exc: Exception,
) -> None:
    assert is_transient(exc)
    assert not database_unavailable(exc)


def test_the_outages_are_listed_once() -> None:
    assert set(DATABASE_OUTAGE) <= set(TRANSIENT)
    assert len(TRANSIENT) == len(set(TRANSIENT))


def test_a_full_server_is_an_outage_answered_503() -> None:
    """No connection slot left (53300): the client may try again shortly (503, not 500)."""
    exc = asyncpg.TooManyConnectionsError("too many clients already")
    assert database_unavailable(exc) and is_transient(exc)
