"""Casework's unit of work: one transaction, with the case repository on it.

`CaseworkUnitOfWork` is the port the use cases see (`uow.cases`); the PostgreSQL one
opens its own transaction from the pool, or joins a consumer's (`joined_to`), and an
in-memory fake for unit tests lives in `tests/unit/fakes_casework.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, Self
from uuid import UUID

import asyncpg

from services.casework.adapters.case_projection import CaseProjection
from services.casework.adapters.case_repository import CaseRepository
from services.casework.domain.model import CaseState
from shared.eventstore.store import EventStore
from shared.unit_of_work import PostgresUnitOfWork, Repository, UnitOfWork


class Cases(Repository[UUID, CaseState], Protocol):
    """The case repository as the use cases see it."""

    async def lock(self, case_id: UUID) -> None:
        """Lock the case until the unit of work ends (for deciding on two cases at once)."""
        ...


class CaseworkUnitOfWork(UnitOfWork):
    cases: Cases


NewUnitOfWork = Callable[[], CaseworkUnitOfWork]


def cases_of(uow: CaseworkUnitOfWork) -> Cases:
    return uow.cases


class PostgresCaseworkUnitOfWork(PostgresUnitOfWork, CaseworkUnitOfWork):
    def __init__(
        self,
        pool: asyncpg.Pool | None,
        store: EventStore,
        projection: CaseProjection,
        *,
        conn: asyncpg.Connection | None = None,
    ) -> None:
        self.projection = projection
        super().__init__(pool, store, conn=conn)

    @classmethod
    def joined_to(
        cls, conn: asyncpg.Connection, store: EventStore, projection: CaseProjection
    ) -> Self:
        """Inside a consumer's transaction: its owner commits."""
        return cls(None, store, projection, conn=conn)

    def _on_connection(self) -> None:
        super()._on_connection()
        self.cases = CaseRepository(self.conn, self.events, self.projection)
