"""What intake's HTTP endpoints take from the runtime the bootstrap built."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from shared.runtime import ServiceRuntime, get_runtime


def units_of_work(runtime: ServiceRuntime) -> Callable[[], IntakeUnitOfWork]:
    """A new unit of work (its own transaction from the pool) per call."""
    return lambda: IntakeUnitOfWork(runtime.pool, runtime.store)


def new_uow(request: Request) -> Callable[[], IntakeUnitOfWork]:
    return units_of_work(get_runtime(request))
