"""An in-memory intake unit of work: the same port as `IntakeUnitOfWork`, no PostgreSQL.

The fake repositories fold the streams (`domain.duplicates.fold_link`,
`domain.visits.fold_visit`) where PostgreSQL keeps the same state as locked rows, so a
rolled-back unit of work leaves nothing behind here either.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from services.intake.adapters.unit_of_work import IntakeWork
from services.intake.domain.duplicates import DuplicateLink, fold_link
from services.intake.domain.visits import Visit, fold_visit
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.streams import complaint_stream, visit_stream
from shared.unit_of_work import InMemoryEventLog, InMemoryUnitOfWork, Loaded


class FakeDuplicateLinks:
    def __init__(self, events: InMemoryEventLog) -> None:
        self.events = events

    async def load(self, key: UUID) -> Loaded[DuplicateLink | None]:
        stream = await self.events.read_stream(complaint_stream(key))
        office = stream[0].office if stream else None
        link = fold_link(key, office, (e.payload() for e in stream))
        return Loaded(link, len(stream))

    async def append(
        self, key: UUID, version: int, events: Sequence[Event], meta: EventMetadata
    ) -> list[EventEnvelope]:
        return await self.events.append(complaint_stream(key), version, events, meta)


class FakeVisits:
    def __init__(self, events: InMemoryEventLog, counters: Counter[tuple[str, date]]) -> None:
        self.events = events
        self.counters = counters
        self.visitors: dict[UUID, dict[str, Any]] = {}

    async def next_number(self, office: str, day: date) -> int:
        self.counters[(office, day)] += 1
        return self.counters[(office, day)]

    async def load(self, key: UUID) -> Loaded[Visit | None]:
        stream = await self.events.read_stream(visit_stream(key))
        return Loaded(fold_visit(key, (e.payload() for e in stream)), len(stream))

    async def append(
        self,
        key: UUID,
        version: int,
        events: Sequence[Event],
        meta: EventMetadata,
        *,
        visitor: dict[str, Any] | None = None,
    ) -> list[EventEnvelope]:
        appended = await self.events.append(visit_stream(key), version, events, meta)
        if visitor is not None:
            self.visitors[key] = visitor
        return appended


class FakeIntake:
    """Everything the fake units of work share (one "database")."""

    def __init__(self) -> None:
        self.events = InMemoryEventLog("intake")
        self.counters: Counter[tuple[str, date]] = Counter()
        self.units: list[FakeIntakeUnitOfWork] = []

    def new_uow(self) -> FakeIntakeUnitOfWork:
        uow = FakeIntakeUnitOfWork(self)
        self.units.append(uow)
        return uow

    def types(self, stream_id: str) -> list[str]:
        return [e.event_type for e in self.events.committed if e.stream_id == stream_id]


class FakeIntakeUnitOfWork(InMemoryUnitOfWork, IntakeWork):
    def __init__(self, db: FakeIntake) -> None:
        super().__init__(db.events)
        self.duplicates = FakeDuplicateLinks(db.events)
        self.visits = FakeVisits(db.events, db.counters)
