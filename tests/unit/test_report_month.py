"""`slrt report --month` and the web app's `/kantor/laporan?bulan=` take a month by one
rule: YYYY-MM of 1900-2099 in ASCII digits (the report also reads the year before and
the month after, which year 1 or 9999 cannot hold)."""

from __future__ import annotations

from datetime import date

import pytest

from analytics.report import parse_month


def test_a_month_is_its_first_day() -> None:
    assert parse_month("2026-11") == date(2026, 11, 1)
    assert parse_month("1900-01") == date(1900, 1, 1)


@pytest.mark.parametrize(
    "text", ["0000-01", "9999-12", "2026-13", "2026-1", "２０２６-１１", "2026-11-01", ""]
)
def test_anything_else_is_refused_with_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="not a month"):
        parse_month(text)
