"""Eligibility's unit of work: the event log, the registry and the `checks` rows, in one
transaction (or joined to the consumer's). An in-memory fake for unit tests is in
`tests/unit/fakes_eligibility.py`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

import asyncpg

from services.eligibility.adapters.checks import CheckRow, PostgresCheckLog
from services.eligibility.adapters.registry import PostgresRegistry
from services.eligibility.domain.registry import RegistryMember
from shared.deferred_append import DeferredAppends
from shared.eventstore.store import EventStore
from shared.unit_of_work import PostgresUnitOfWork, UnitOfWork


class Registry(Protocol):
    async def find_member(self, nik: str) -> RegistryMember | None:
        """The person as the current snapshot lists them, or None."""
        ...

    async def current_snapshot_date(self) -> date | None:
        """The current snapshot's date (None: no snapshot yet); no import becomes current
        until the unit of work ends."""
        ...

    async def upsert_members(self, members: Sequence[RegistryMember], *, staff_id: str) -> int:
        """Insert or replace members by NIK in the current snapshot (an amendment); each
        row keeps the source and snapshot date its member names."""
        ...


class CheckLog(Protocol):
    async def record(self, row: CheckRow) -> None: ...


class EligibilityUnitOfWork(UnitOfWork):
    """What eligibility's use cases work with: `events`, `registry`, `checks`."""

    registry: Registry
    checks: CheckLog


class PostgresEligibilityUnitOfWork(PostgresUnitOfWork, EligibilityUnitOfWork):
    def _on_connection(self) -> None:
        super()._on_connection()
        self.registry = PostgresRegistry(self.conn)
        self.checks = PostgresCheckLog(self.conn)


# ---- a consumer's run of registrations at once ------------------------------------------


class RunRegistry(Protocol):
    async def find_members(self, niks: Sequence[str]) -> dict[str, RegistryMember]:
        """Everyone of `niks` the current snapshot lists, by NIK (one statement)."""
        ...


class RunCheckLog(Protocol):
    async def record_many(self, rows: Sequence[CheckRow]) -> None:
        """The rows, in their order, in one statement."""
        ...


class EligibilityRun:
    """What the consumer's policy for a run of registrations works with, on the
    consumer's connection and in its transaction (it commits with the processed event
    ids): the registry read for all of them, the appends held for one write
    (`DeferredAppends`), the `checks` rows written at once."""

    def __init__(self, conn: asyncpg.Connection, store: EventStore) -> None:
        self.registry: RunRegistry = PostgresRegistry(conn)
        self.checks: RunCheckLog = PostgresCheckLog(conn)
        self.appends = DeferredAppends(conn, store)
