"""The Indonesian calendar of days off, from the `holidays` package.

`holidays.country_holidays("ID", categories=("public", "government"))`: the public
holidays (hari libur nasional) and, in the government category, the collective-leave
days (cuti bersama) the government sets each year by joint ministerial decree. Both are
days the offices are closed, so neither counts as a working day. The package computes
the lunar holidays per year and is released monthly; a new decree reaches us with an
upgrade (a data change, no code change).
"""

from __future__ import annotations

from functools import lru_cache

import holidays

from services.casework.domain.deadlines import OfficeCalendar
from shared.localtime import zone_of


@lru_cache(maxsize=1)
def indonesian_days_off() -> holidays.HolidayBase:
    return holidays.country_holidays("ID", categories=("public", "government"))


@lru_cache(maxsize=256)
def office_calendar(region_code: str) -> OfficeCalendar:
    """The calendar of an office in `region_code` (its zone, 08:00-16:00, Mon-Fri); one
    per region code, so the office days it works out are remembered."""
    return OfficeCalendar(zone=zone_of(region_code), holidays=indonesian_days_off())
