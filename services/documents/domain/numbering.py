"""Letter numbers as Indonesian offices write them (the office's local date, which the
number's month and year are counted in, is `shared.localtime.local_date`).

`400.9/0001/427.64/XI/2026`: classification code / sequence (per office and year) /
office code / month in Roman numerals / year. The sequence comes from a counter in the
database; everything else is decided here.
"""

from __future__ import annotations

from datetime import date

DEFAULT_CLASSIFICATION_CODE = "400.9"

_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


def roman_month(month: int) -> str:
    if not 1 <= month <= 12:
        raise ValueError(f"month out of range: {month}")
    return _ROMAN[month - 1]


def office_code(letter_number_code: str | None, office_id: str) -> str:
    return letter_number_code or office_id.upper()


def format_letter_number(
    *, classification_code: str, sequence: int, office_code: str, on: date
) -> str:
    if sequence < 1:
        raise ValueError("a letter sequence starts at 1")
    return f"{classification_code}/{sequence:04d}/{office_code}/{roman_month(on.month)}/{on.year}"
