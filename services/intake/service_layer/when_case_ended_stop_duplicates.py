"""Policy: when casework resolves or closes a case, it stops attracting likely duplicates
(its registration is closed; the first ending counts)."""

from __future__ import annotations

from uuid import UUID

from services.intake.adapters import repository as repo
from services.intake.adapters.unit_of_work import IntakeUnitOfWork
from shared.contracts.base import EventEnvelope


async def close_ended_case(
    uow: IntakeUnitOfWork, case_id: UUID | None, envelope: EventEnvelope
) -> None:
    if case_id is None:
        return
    ended_at = envelope.recorded_at or envelope.occurred_at
    await repo.close_registration(uow.conn, case_id, ended_at)
