"""The structure of a NIK (the 16-digit number on the KTP) and of a KK number.

    NIK  PP KK CC DDMMYY SSSS
         |  |  |  |      serial (4 digits, not 0000)
         |  |  |  birth date; women add 40 to the day (a woman born on the 5th: 45)
         |  |  district (kecamatan) code
         |  regency/city (kabupaten/kota) code
         province code
    KK   PP KK CC DDMMYY SSSS   district, the date the card was issued, serial

The district must exist in the Kemendagri codes of the `lokal` package (see regions.py).
Only the structure is checked here; whether a person holds that NIK is the civil
registry's business, and whether they are listed is the DTKS/DTSEN registry's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from services.eligibility.domain.regions import district_exists, region_contains

__all__ = [
    "KkInvalid",
    "Nik",
    "NikInvalid",
    "kk_problem",
    "nik_date_part",
    "nik_problem",
    "parse_kk",
    "parse_nik",
    "region_contains",
]

_DIGITS = re.compile(r"^\d{16}$")


class NikInvalid(ValueError):
    """The number cannot be a NIK; the message says which part is wrong."""


class KkInvalid(ValueError):
    """The number cannot be a KK number; the message says which part is wrong."""


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


def _real_ddmmyy(day: int, month: int, yy: int) -> bool:
    """A real calendar date in either century the two digits could mean."""
    for year in (1900 + yy, 2000 + yy):
        try:
            date(year, month, day)
        except ValueError:
            continue
        return True
    return False


def _district(value: str, kind: str) -> str | None:
    if not district_exists(value[:6]):
        return (
            f"{kind} region {value[0:2]}.{value[2:4]}.{value[4:6]} is not a district "
            "in the Kemendagri codes"
        )
    return None


def parse_nik(value: str) -> Nik:
    """Read a NIK's parts, or raise NikInvalid saying what is wrong."""
    if not _DIGITS.match(value):
        raise NikInvalid(f"a NIK has exactly 16 digits (got {len(value)} characters)")
    if problem := _district(value, "NIK"):
        raise NikInvalid(problem)
    day = int(value[6:8])
    month = int(value[8:10])
    yy = int(value[10:12])
    female = day > 40
    if not (1 <= day <= 31 or 41 <= day <= 71):
        raise NikInvalid(f"birth day {value[6:8]} is neither 01-31 nor 41-71")
    if not 1 <= month <= 12:
        raise NikInvalid(f"birth month {value[8:10]} is not 01-12")
    real_day = day - 40 if female else day
    if not _real_ddmmyy(real_day, month, yy):
        raise NikInvalid(f"birth date {real_day:02d}-{month:02d}-{yy:02d} is not a real date")
    if value[12:16] == "0000":
        raise NikInvalid("serial 0000 is not issued")
    return Nik(
        value=value,
        province=value[0:2],
        regency_code=f"{value[0:2]}.{value[2:4]}",
        district_code=f"{value[0:2]}.{value[2:4]}.{value[4:6]}",
        birth_day=real_day,
        birth_month=month,
        birth_year=yy,
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


def nik_date_part(birth_date: date, female: bool) -> str:
    """The DDMMYY a NIK carries for this birth date and sex."""
    day = birth_date.day + (40 if female else 0)
    return f"{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}"


def parse_kk(value: str) -> tuple[str, str]:
    """A KK number's district ('35.08.01') and serial, or raise KkInvalid saying why."""
    if not _DIGITS.match(value):
        raise KkInvalid(f"a KK number has exactly 16 digits (got {len(value)} characters)")
    if problem := _district(value, "KK"):
        raise KkInvalid(problem)
    day, month, yy = int(value[6:8]), int(value[8:10]), int(value[10:12])
    if not _real_ddmmyy(day, month, yy):
        raise KkInvalid(f"issue date {value[6:8]}-{value[8:10]}-{value[10:12]} is not a real date")
    if value[12:16] == "0000":
        raise KkInvalid("serial 0000 is not issued")
    district = f"{value[0:2]}.{value[2:4]}.{value[4:6]}"
    return district, value[12:16]


def kk_problem(value: str) -> str | None:
    """None for a structurally valid KK number, else what is wrong with it."""
    try:
        parse_kk(value)
    except KkInvalid as exc:
        return str(exc)
    return None
