"""The structure of a NIK (Nomor Induk Kependudukan), the 16-digit number on the KTP.

    PP KK CC DDMMYY SSSS
    |  |  |  |      serial (4 digits)
    |  |  |  birth date; women add 40 to the day (a woman born on the 5th: 45)
    |  |  district (kecamatan) code
    |  regency/city (kabupaten/kota) code
    province code

Only the structure is checked here; whether a person holds that NIK is the civil
registry's business, and whether they are listed is the DTKS/DTSEN registry's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIGITS = re.compile(r"^\d{16}$")


class NikInvalid(ValueError):
    """The number cannot be a NIK; the message says which part is wrong."""


@dataclass(frozen=True)
class Nik:
    value: str
    province: str  # "35"
    regency_code: str  # "35.08", the form the catalogue's region codes take
    district_code: str  # "35.08.01"
    birth_day: int  # the real day, 1-31
    birth_month: int
    birth_year: int  # two digits, as printed: the century is not encoded
    female: bool
    serial: str


def parse_nik(value: str) -> Nik:
    """Read a NIK's parts, or raise NikInvalid saying what is wrong."""
    if not _DIGITS.match(value):
        raise NikInvalid(f"a NIK has exactly 16 digits (got {len(value)} characters)")
    day = int(value[6:8])
    month = int(value[8:10])
    female = day > 40
    if not (1 <= day <= 31 or 41 <= day <= 71):
        raise NikInvalid(f"birth day {value[6:8]} is neither 01-31 nor 41-71")
    if not 1 <= month <= 12:
        raise NikInvalid(f"birth month {value[8:10]} is not 01-12")
    return Nik(
        value=value,
        province=value[0:2],
        regency_code=f"{value[0:2]}.{value[2:4]}",
        district_code=f"{value[0:2]}.{value[2:4]}.{value[4:6]}",
        birth_day=day - 40 if female else day,
        birth_month=month,
        birth_year=int(value[10:12]),
        female=female,
        serial=value[12:16],
    )


def nik_problem(value: str) -> str | None:
    """None for a structurally valid NIK, else what is wrong with it."""
    try:
        parse_nik(value)
    except NikInvalid as exc:
        return str(exc)
    return None


def region_contains(region: str, code: str) -> bool:
    """Whether `code` lies in `region`: '35.08' contains '35.08.01.2001' (and itself)."""
    return code == region or code.startswith(region + ".")
