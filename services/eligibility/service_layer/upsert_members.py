"""Use case: administrators insert or replace registry members by NIK (an amendment of
the current snapshot, recorded with who made it; with no snapshot yet, it starts one).
Each amended row keeps the source (DTKS or DTSEN) and the date of the extract it was
taken from, and a verification of the person reports them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from services.eligibility.adapters.unit_of_work import EligibilityUnitOfWork
from services.eligibility.domain.registry import RegistryMember, check_amendment_dates
from shared.refusal import Refused


async def upsert_members(
    new_uow: Callable[[], EligibilityUnitOfWork],
    members: Sequence[RegistryMember],
    *,
    staff_id: str,
    today: date,
    covers: Callable[[str], bool] | None = None,
) -> int:
    """`covers` (the office's regions, `Office.covers_region`): every member given, and
    every listing it would replace, must lie in them (403 `region_not_covered`, nothing
    written): an office's registry administrator never edits another office's people.

    `today` (at the office): no member's `snapshot_date` may be after it, nor before the
    current snapshot's (422 `snapshot_date_in_future` / `snapshot_out_of_order`, nothing
    written; `domain.registry.check_amendment_dates`)."""
    check_amendment_dates(members, current_snapshot_date=None, today=today)
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
        # Read under the registry's lock: no import becomes current before the commit.
        current = await uow.registry.current_snapshot_date()
        check_amendment_dates(members, current_snapshot_date=current, today=today)
        upserted = await uow.registry.upsert_members(members, staff_id=staff_id)
        await uow.commit()
    return upserted
