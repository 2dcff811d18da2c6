"""What eligibility's routers get from the runtime: units of work, the catalogue, lookups."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from services.eligibility.adapters.registry import BatchedLookup
from services.eligibility.adapters.unit_of_work import (
    EligibilityUnitOfWork,
    PostgresEligibilityUnitOfWork,
)
from shared.catalogue import Catalogue
from shared.runtime import get_catalogue, get_runtime


def new_unit_of_work(request: Request) -> Callable[[], EligibilityUnitOfWork]:
    """A factory of units of work on the runtime's pool and store (one per use case)."""
    runtime = get_runtime(request)
    return lambda: PostgresEligibilityUnitOfWork(runtime.pool, runtime.store)


def lookup(request: Request) -> BatchedLookup:
    """The app's batched registry lookup over the runtime's pool (made on first use)."""
    state = request.app.state
    if getattr(state, "registry_lookup", None) is None:
        state.registry_lookup = BatchedLookup(get_runtime(request).pool)
    found: BatchedLookup = state.registry_lookup
    return found


NewUnitOfWork = Annotated[Callable[[], EligibilityUnitOfWork], Depends(new_unit_of_work)]
CatalogueDep = Annotated[Catalogue, Depends(get_catalogue)]
Lookup = Annotated[BatchedLookup, Depends(lookup)]
