"""An in-memory eligibility: the unit of work's fake, with its registry and `checks` rows,
so the use cases run without PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import date

from services.eligibility.adapters.checks import CheckRow
from services.eligibility.adapters.unit_of_work import EligibilityUnitOfWork
from services.eligibility.domain.registry import RegistryMember
from shared.unit_of_work import InMemoryEventLog, InMemoryUnitOfWork


class FakeRegistry:
    def __init__(
        self, members: Iterable[RegistryMember] = (), *, snapshot_date: date | None = None
    ) -> None:
        self.members = {m.nik: m for m in members}
        # The current snapshot's date (None: no snapshot yet, unless members were given).
        self.snapshot_date = snapshot_date or min(
            (m.snapshot_date for m in self.members.values()), default=None
        )
        self.lookups: list[str] = []
        # Runs during a lookup: a test's way to let another writer in mid-decision.
        self.during_lookup: Callable[[], Awaitable[None]] | None = None

    async def find_member(self, nik: str) -> RegistryMember | None:
        self.lookups.append(nik)
        if self.during_lookup is not None:
            hook, self.during_lookup = self.during_lookup, None
            await hook()
        return self.members.get(nik)

    async def current_snapshot_date(self) -> date | None:
        return self.snapshot_date

    async def upsert_members(self, members: Sequence[RegistryMember], *, staff_id: str) -> int:
        unique = {m.nik: m for m in members}
        if self.snapshot_date is None and unique:
            self.snapshot_date = min(m.snapshot_date for m in unique.values())
        self.members.update(unique)
        return len(unique)


class FakeCheckLog:
    """`checks` rows: pending until the unit of work commits, forgotten on a rollback."""

    def __init__(self) -> None:
        self.rows: list[CheckRow] = []
        self.pending: list[CheckRow] = []

    async def record(self, row: CheckRow) -> None:
        self.pending.append(row)


class FakeEligibilityUnitOfWork(InMemoryUnitOfWork, EligibilityUnitOfWork):
    def __init__(
        self, events: InMemoryEventLog, registry: FakeRegistry, checks: FakeCheckLog
    ) -> None:
        super().__init__(events)
        self.registry = registry
        self.checks = checks
        self._checks = checks

    async def commit(self) -> None:
        await super().commit()
        self._checks.rows.extend(self._checks.pending)
        self._checks.pending.clear()

    async def rollback(self) -> None:
        await super().rollback()
        self._checks.pending.clear()


class FakeEligibility:
    """The whole of it: one event log, one registry, one `checks` table; `new_uow` opens
    a unit of work on them (what a use case is given)."""

    def __init__(
        self, members: Iterable[RegistryMember] = (), *, snapshot_date: date | None = None
    ) -> None:
        self.events = InMemoryEventLog("eligibility")
        self.registry = FakeRegistry(members, snapshot_date=snapshot_date)
        self.checks = FakeCheckLog()
        self.units = 0

    def new_uow(self) -> FakeEligibilityUnitOfWork:
        self.units += 1
        return FakeEligibilityUnitOfWork(self.events, self.registry, self.checks)
