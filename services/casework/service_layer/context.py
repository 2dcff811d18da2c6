"""What casework's entrypoints work with: the pool and store of its runtime, the
catalogue's standards, the projections, and units of work. Built once by the bootstrap."""

from __future__ import annotations

import asyncpg

from services.casework.adapters.calendar import office_calendar
from services.casework.adapters.case_projection import CaseProjection
from services.casework.domain.standards import CaseStandards
from services.casework.service_layer.unit_of_work import (
    CaseworkUnitOfWork,
    PostgresCaseworkUnitOfWork,
)
from shared.catalogue import Catalogue
from shared.runtime import ServiceRuntime


class Casework:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.standards = standards_from(runtime.catalogue)
        self.projection = CaseProjection(self.standards)

    @property
    def pool(self) -> asyncpg.Pool:
        return self.runtime.pool

    def new_uow(self) -> CaseworkUnitOfWork:
        """A unit of work with its own transaction."""
        return PostgresCaseworkUnitOfWork(self.runtime.pool, self.runtime.store, self.projection)

    def joined_uow(self, conn: asyncpg.Connection) -> CaseworkUnitOfWork:
        """A unit of work inside a consumer's transaction."""
        return PostgresCaseworkUnitOfWork.joined_to(conn, self.runtime.store, self.projection)


def standards_from(catalogue: Catalogue) -> CaseStandards:
    """The catalogue's standards, counted in the offices' Indonesian calendars."""
    return CaseStandards(catalogue, office_calendar)
