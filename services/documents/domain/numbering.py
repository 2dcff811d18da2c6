"""Letter numbers as Indonesian offices write them, and the office's local date.

`400.9/0001/427.64/XI/2026`: classification code / sequence (per office and year) /
office code / month in Roman numerals / year. The sequence comes from a counter in the
database; everything else is decided here.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

DEFAULT_CLASSIFICATION_CODE = "400.9"

_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")

# Indonesia keeps no daylight saving, so fixed offsets are exact (and need no tz data).
# Provinces by the first two digits of the region code (Kemendagri).
_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT = {"81", "82", "91", "92", "93", "94", "95", "96", "97"}


def roman_month(month: int) -> str:
    if not 1 <= month <= 12:
        raise ValueError(f"month out of range: {month}")
    return _ROMAN[month - 1]


def office_timezone(region_code: str) -> timezone:
    """WIB (UTC+7), WITA (UTC+8) or WIT (UTC+9) from the office's region code."""
    province = region_code[:2]
    if province in _WITA:
        return timezone(timedelta(hours=8), "WITA")
    if province in _WIT:
        return timezone(timedelta(hours=9), "WIT")
    return timezone(timedelta(hours=7), "WIB")


def local_date(moment: datetime, region_code: str) -> date:
    """The calendar date at the office when `moment` happened."""
    return moment.astimezone(office_timezone(region_code)).date()


def office_code(letter_number_code: str | None, office_id: str) -> str:
    return letter_number_code or office_id.upper()


def format_letter_number(
    *, classification_code: str, sequence: int, office_code: str, on: date
) -> str:
    if sequence < 1:
        raise ValueError("a letter sequence starts at 1")
    return f"{classification_code}/{sequence:04d}/{office_code}/{roman_month(on.month)}/{on.year}"
