"""The repository of a case's eligibility stream (`eligibility-<case_id>`): what the
next verdicts are decided on, and where they go.

`load` gives the stream's version and the registry's listing of the person (the state a
verdict is decided on); `append` appends the verdicts after that version and records the
`checks` row they make, in the unit of work's transaction. Written on the unit of work's
ports, so the in-memory fake runs it too.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.eligibility.adapters.checks import CheckOf, check_row
from services.eligibility.adapters.unit_of_work import EligibilityUnitOfWork
from services.eligibility.domain.decision import decision_of
from services.eligibility.domain.registry import RegistryMember
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.streams import eligibility_stream
from shared.unit_of_work import Loaded


class CaseEligibilityRepository:
    def __init__(self, uow: EligibilityUnitOfWork) -> None:
        self.uow = uow

    async def load(self, key: CheckOf) -> Loaded[RegistryMember | None]:
        version = await self.uow.events.version(eligibility_stream(key.case_id))
        member = await self.uow.registry.find_member(key.nik) if key.nik else None
        return Loaded(member, version)

    async def append(
        self, key: CheckOf, version: int, events: Sequence[Event], meta: EventMetadata
    ) -> list[EventEnvelope]:
        appended = await self.uow.events.append(
            eligibility_stream(key.case_id), version, events, meta
        )
        await self.uow.checks.record(check_row(key, decision_of(events), appended))
        return appended
