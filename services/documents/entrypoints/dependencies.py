"""What every documents router asks FastAPI for: the unit of work, the pool for reads,
the roles that may read, and the request's ids bound to its log lines."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import asyncpg
from fastapi import Depends, Request

from services.documents.adapters.unit_of_work import PostgresDocumentsUnitOfWork
from services.documents.service_layer.common import NewUnitOfWork
from shared.catalogue import Catalogue
from shared.contracts.vocab import NO_CASE_ROLES, Role
from shared.http import correlation_id
from shared.logging import bind_context
from shared.runtime import get_catalogue, get_runtime

# Every staff role of the office may look; analysts read reports, not case files.
READ_ROLES = tuple(r for r in Role if r is not Role.ANALYST and r not in NO_CASE_ROLES)


def unit_of_work(request: Request) -> NewUnitOfWork:
    runtime = get_runtime(request)
    return lambda: PostgresDocumentsUnitOfWork(runtime.pool, runtime.store)


def pool(request: Request) -> asyncpg.Pool:
    """For reads after a use case has answered (never held across one)."""
    return get_runtime(request).pool


UnitOfWorkFactory = Annotated[NewUnitOfWork, Depends(unit_of_work)]
CatalogueOf = Annotated[Catalogue, Depends(get_catalogue)]


def bind(request: Request, **ids: UUID) -> None:
    bind_context(
        correlation_id=str(correlation_id(request)),
        path=request.url.path,
        **{k: str(v) for k, v in ids.items()},
    )
