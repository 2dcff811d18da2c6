"""Use case: administrators insert or replace registry members by NIK (an amendment of
the current snapshot, recorded with who made it; with no snapshot yet, it starts one)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from services.eligibility.adapters.unit_of_work import EligibilityUnitOfWork
from services.eligibility.domain.registry import RegistryMember


async def upsert_members(
    new_uow: Callable[[], EligibilityUnitOfWork],
    members: Sequence[RegistryMember],
    *,
    staff_id: str,
) -> int:
    async with new_uow() as uow:
        upserted = await uow.registry.upsert_members(members, staff_id=staff_id)
        await uow.commit()
    return upserted
