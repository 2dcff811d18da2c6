"""NIK structure rules, and the demo registry extract that must obey them."""

from __future__ import annotations

from datetime import date

import pytest

from services.eligibility.adapters.registry import DEMO_CSV, read_csv
from services.eligibility.domain.nik import NikInvalid, nik_problem, parse_nik, region_contains


def test_a_mans_nik_reads_into_its_parts() -> None:
    nik = parse_nik("3508011203750001")
    assert (nik.province, nik.regency_code, nik.district_code) == ("35", "35.08", "35.08.01")
    assert (nik.birth_day, nik.birth_month, nik.birth_year) == (12, 3, 75)
    assert not nik.female
    assert nik.serial == "0001"


def test_a_womans_birth_day_carries_forty() -> None:
    nik = parse_nik("3508014508820001")
    assert nik.female and nik.birth_day == 5 and nik.birth_month == 8


@pytest.mark.parametrize("day", ["01", "31", "41", "71"])
def test_day_bounds_are_valid(day: str) -> None:
    assert nik_problem(f"350801{day}0190" + "0001") is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "16 digits"),
        ("350801410190000", "16 digits"),
        ("35080141019000011", "16 digits"),
        ("35080141019000AB", "16 digits"),
        ("3508 01410190000", "16 digits"),
        ("3508010001900001", "birth day 00"),
        ("3508013201900001", "birth day 32"),
        ("3508014001900001", "birth day 40"),
        ("3508017201900001", "birth day 72"),
        ("3508019901900001", "birth day 99"),
        ("3508011200900001", "birth month 00"),
        ("3508011213900001", "birth month 13"),
    ],
)
def test_structurally_invalid_niks_say_why(value: str, problem: str) -> None:
    with pytest.raises(NikInvalid, match=problem):
        parse_nik(value)
    assert problem in (nik_problem(value) or "")


def test_region_contains_villages_and_itself() -> None:
    assert region_contains("35.08", "35.08.01.2001")
    assert region_contains("35.08", "35.08")
    assert not region_contains("35.08", "35.081.01.2001")
    assert not region_contains("52.71", "35.08.01.2001")


def test_the_demo_extract_is_synthetic_and_structurally_valid() -> None:
    members = read_csv(DEMO_CSV)
    assert 15 <= len(members) <= 30
    assert len({m.nik for m in members}) == len(members)
    # The four offices' regions are all there.
    regencies = {m.region_code[:5] for m in members}
    assert {"35.08", "52.71", "53.71", "13.77"} <= regencies
    fake_words = ("Contoh", "Fiktif", "Sampel", "Uji")
    for m in members:
        nik = parse_nik(m.nik)
        assert any(w in m.name for w in fake_words), m.name
        assert m.birth_date is not None
        # Birth date as encoded: DDMMYY, +40 on the day for women.
        assert (nik.birth_day, nik.birth_month, nik.birth_year) == (
            m.birth_date.day,
            m.birth_date.month,
            m.birth_date.year % 100,
        ), m.nik
        assert m.snapshot_date <= date(2026, 1, 1)
        assert m.kk_number[:2].isdigit()
    # Everyone lives where their NIK was issued, except the two who moved (see README).
    moved = {m.nik for m in members if parse_nik(m.nik).district_code != m.region_code[:8]}
    assert moved == {"5271041212900001", "1377012504820001"}
