"""Intake's unit of work: one transaction and the repositories that work in it.

`IntakeWork` is the port the use cases see; `IntakeUnitOfWork(pool, store)` is it on
PostgreSQL, with its own transaction (HTTP commands), or `IntakeUnitOfWork.joined(conn,
store)` inside a consumer's (the routing of an inbound message). The unit tests use an
in-memory fake of the same port (`tests/unit/fakes_intake.py`).

Registration's own tables are reached through `uow.conn` with the functions of
`adapters/repository.py`: the group commit calls the very same functions on its batch's
connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol
from uuid import UUID

from services.intake.adapters.duplicates import DuplicateLinkRepository
from services.intake.adapters.triage import TriageQueue
from services.intake.adapters.visits import VisitRepository
from services.intake.domain.duplicates import DuplicateLink
from services.intake.domain.visits import Visit
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.unit_of_work import Loaded, PostgresUnitOfWork, UnitOfWork


class DuplicateLinks(Protocol):
    async def load(self, key: UUID) -> Loaded[DuplicateLink | None]: ...

    async def append(
        self, key: UUID, version: int, events: Sequence[Event], meta: EventMetadata
    ) -> list[EventEnvelope]: ...


class Visits(Protocol):
    async def next_number(self, office: str, day: date) -> int: ...

    async def load(self, key: UUID) -> Loaded[Visit | None]: ...

    async def append(
        self,
        key: UUID,
        version: int,
        events: Sequence[Event],
        meta: EventMetadata,
        *,
        visitor: dict[str, Any] | None = None,
    ) -> list[EventEnvelope]: ...


class IntakeWork(UnitOfWork):
    """What intake's use cases need of a unit of work (PostgreSQL or the fake)."""

    duplicates: DuplicateLinks
    visits: Visits


class IntakeUnitOfWork(PostgresUnitOfWork, IntakeWork):
    duplicates: DuplicateLinkRepository
    visits: VisitRepository
    triage: TriageQueue

    def _on_connection(self) -> None:
        super()._on_connection()
        self.duplicates = DuplicateLinkRepository(self.conn, self.events)
        self.visits = VisitRepository(self.conn, self.events)
        self.triage = TriageQueue(self.conn)
