"""The retention rule (UU 27/2022 PDP): a person's data is kept while any case of theirs
is open or closed for less than its office's `retention_years`, and erased after.

Erasure is per person (every case with the same person, by NIK): so a person is erased
only when ALL their cases are past retention; one open or recent case holds them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from uuid import UUID


def years_before(moment: datetime, years: int) -> datetime:
    """`moment` minus whole calendar years (29 February falls back to the 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def cutoffs(retention_years: Mapping[str, int], as_of: datetime) -> dict[str, datetime]:
    """Per office: cases ended before this moment are past retention."""
    return {office: years_before(as_of, n) for office, n in retention_years.items()}


def legal_basis(office: str, years: int) -> str:
    """What the erasure records as its ground (read by staff: Indonesian)."""
    return f"retensi: kasus ditutup lebih dari {years} tahun (catalogue {office})"


def past_retention(
    case_ids: list[UUID],
    ends: Mapping[UUID, tuple[str, str, datetime | None]],
    cut: Mapping[str, datetime],
    ended_stages: tuple[str, ...],
) -> bool:
    """Whether every case of a person (office, stage, stage time) ended before its
    office's cut-off. A case casework does not know, or of an office without a rule,
    holds the person (nothing is erased on a guess)."""
    for case_id in case_ids:
        known = ends.get(case_id)
        if known is None:
            return False
        office, stage, at = known
        limit = cut.get(office)
        if limit is None or stage not in ended_stages or at is None or at >= limit:
            return False
    return True
