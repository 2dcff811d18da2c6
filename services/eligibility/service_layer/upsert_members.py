"""Use case: administrators insert or replace registry members by NIK (an amendment of
the current snapshot, recorded with who made it; with no snapshot yet, it starts one)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from services.eligibility.adapters.unit_of_work import EligibilityUnitOfWork
from services.eligibility.domain.registry import RegistryMember
from shared.refusal import Refused


async def upsert_members(
    new_uow: Callable[[], EligibilityUnitOfWork],
    members: Sequence[RegistryMember],
    *,
    staff_id: str,
    covers: Callable[[str], bool] | None = None,
) -> int:
    """`covers` (the office's regions, `Office.covers_region`): every member given, and
    every listing it would replace, must lie in them (403 `region_not_covered`, nothing
    written): an office's registry administrator never edits another office's people."""
    async with new_uow() as uow:
        if covers is not None:
            outside = [i for i, m in enumerate(members) if not covers(m.region_code)]
            for i, m in enumerate(members):
                if i not in outside:
                    existing = await uow.registry.find_member(m.nik)
                    if existing is not None and not covers(existing.region_code):
                        outside.append(i)
            if outside:
                raise Refused.forbidden(
                    "region_not_covered",
                    "Registry members outside your office's regions cannot be changed here.",
                    {"members": sorted(outside)},
                )
        upserted = await uow.registry.upsert_members(members, staff_id=staff_id)
        await uow.commit()
    return upserted
