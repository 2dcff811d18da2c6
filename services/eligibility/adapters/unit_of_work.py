"""Eligibility's unit of work: the event log, the registry and the `checks` rows, in one
transaction (or joined to the consumer's). An in-memory fake for unit tests is in
`tests/unit/fakes_eligibility.py`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from services.eligibility.adapters.checks import CheckRow, PostgresCheckLog
from services.eligibility.adapters.registry import PostgresRegistry
from services.eligibility.domain.registry import RegistryMember
from shared.unit_of_work import PostgresUnitOfWork, UnitOfWork


class Registry(Protocol):
    async def find_member(self, nik: str) -> RegistryMember | None:
        """The person as the current snapshot lists them, or None."""
        ...

    async def upsert_members(self, members: Sequence[RegistryMember], *, staff_id: str) -> int:
        """Insert or replace members by NIK in the current snapshot (an amendment)."""
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
