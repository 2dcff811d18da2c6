"""An in-memory casework unit of work: the same contract as PostgreSQL's, for fast unit
tests of casework's use cases (no database, no broker).

The case is folded from every event of the case in the in-memory log (what the timeline
projection holds in production: redacted, in global order); appends go to casework's
stream of the case, with the log's optimistic concurrency.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from services.casework.domain.model import CaseState, fold
from services.casework.domain.timeline import entry_from_envelope
from services.casework.service_layer.unit_of_work import CaseworkUnitOfWork
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.streams import case_stream
from shared.unit_of_work import InMemoryEventLog, InMemoryUnitOfWork, Loaded


class InMemoryCases:
    def __init__(self, events: InMemoryEventLog) -> None:
        self.events = events
        self.locked: list[UUID] = []
        self.loads = 0

    async def lock(self, case_id: UUID) -> None:
        self.locked.append(case_id)

    async def load(self, case_id: UUID) -> Loaded[CaseState]:
        await self.lock(case_id)
        self.loads += 1
        entries = [entry_from_envelope(e) for e in await self.events.read_case(case_id)]
        state = fold(case_id, (e.fact for e in entries if e is not None))
        return Loaded(state, await self.events.version(case_stream(case_id)))

    async def append(
        self, case_id: UUID, version: int, events: Sequence[Event], meta: EventMetadata
    ) -> list[EventEnvelope]:
        return await self.events.append(case_stream(case_id), version, events, meta)


class InMemoryCaseworkUnitOfWork(InMemoryUnitOfWork, CaseworkUnitOfWork):
    def __init__(self, events: InMemoryEventLog, cases: InMemoryCases | None = None) -> None:
        super().__init__(events)
        self.cases = cases or InMemoryCases(events)


class FakeCasework:
    """One in-memory log shared by every unit of work a test opens (`new_uow`)."""

    def __init__(self) -> None:
        self.log = InMemoryEventLog(owner="casework")
        self.cases = InMemoryCases(self.log)
        self.opened = 0

    def new_uow(self) -> CaseworkUnitOfWork:
        self.opened += 1
        return InMemoryCaseworkUnitOfWork(self.log, self.cases)

    async def given(self, stream_id: str, events: Sequence[Event], meta: EventMetadata) -> None:
        """Facts recorded before the test (by any service), committed."""
        await self.log.append(stream_id, await self.log.version(stream_id), events, meta)
        self.log.commit()

    def types(self, case_id: UUID) -> list[str]:
        return [e.event_type for e in self.log.committed if e.stream_id == case_stream(case_id)]
