"""Identity rules (NIK, KK number, region codes from `lokal`), extract rows, the demo extract."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.eligibility.adapters.registry import DEMO_CSV
from services.eligibility.domain.extract import (
    EXTRACT_COLUMNS,
    HEADER,
    REJECT_REASONS,
    Rejection,
    canonical_programmes,
    check_lines,
    check_row,
)
from services.eligibility.domain.nik import (
    KkInvalid,
    NikInvalid,
    kk_problem,
    nik_date_part,
    nik_problem,
    parse_kk,
    parse_nik,
    region_contains,
)
from services.eligibility.domain.regions import (
    district_exists,
    region_name,
    village_exists,
    villages_in,
)
from services.eligibility.synthetic import DEFECTS, generate_rows


def test_a_mans_nik_reads_into_its_parts() -> None:
    nik = parse_nik("3508011203750001")
    assert (nik.province, nik.regency_code, nik.district_code) == ("35", "35.08", "35.08.01")
    assert (nik.birth_day, nik.birth_month, nik.birth_year) == (12, 3, 75)
    assert not nik.female
    assert nik.serial == "0001"


def test_a_womans_birth_day_carries_forty() -> None:
    nik = parse_nik("3508014508820001")
    assert nik.female and nik.birth_day == 5 and nik.birth_month == 8
    assert nik_date_part(date(1982, 8, 5), female=True) == "450882"
    assert nik_date_part(date(1982, 8, 5), female=False) == "050882"


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
        # A day that exists in no month: 31 April (a woman: 71 April).
        ("3508013104900001", "31-04-90 is not a real date"),
        ("3508017104900001", "31-04-90 is not a real date"),
        # 29 February: 2000 was a leap year, so '00' can be; '01' cannot.
        ("3508012902010001", "29-02-01 is not a real date"),
        ("3508010101900000", "serial 0000"),
        # Regions: not a province, not a district of Kabupaten Lumajang.
        ("9908010101900001", "99.08.01 is not a district"),
        ("3508990101900001", "35.08.99 is not a district"),
    ],
)
def test_structurally_invalid_niks_say_why(value: str, problem: str) -> None:
    with pytest.raises(NikInvalid, match=problem):
        parse_nik(value)
    assert problem in (nik_problem(value) or "")


def test_leap_day_of_a_leap_year_is_a_date() -> None:
    assert nik_problem("3508016902000001") is None  # a woman born 29-02-2000


def test_kk_numbers_carry_district_issue_date_and_serial() -> None:
    assert parse_kk("3508010101100001") == ("35.08.01", "0001")
    for value, problem in [
        ("350801010110001", "16 digits"),
        ("3508990101100001", "not a district"),
        ("3508013202100001", "not a real date"),
        ("3508014101100001", "not a real date"),  # no +40 on a card's date
        ("3508010101100000", "serial 0000"),
    ]:
        with pytest.raises(KkInvalid, match=problem):
            parse_kk(value)
        assert problem in (kk_problem(value) or "")


def test_region_codes_come_from_lokal() -> None:
    assert region_name("52.71") == "Kota Mataram"
    assert district_exists("527101") and district_exists("52.71.01")
    assert not district_exists("527199")
    assert village_exists("35.08.01.2001") and not village_exists("52.71.01.1001")
    assert all(v.startswith("52.71.01.") for v in villages_in("52.71.01"))


def test_region_contains_villages_and_itself() -> None:
    assert region_contains("35.08", "35.08.01.2001")
    assert region_contains("35.08", "35.08")
    assert not region_contains("35.08", "35.081.01.2001")
    assert not region_contains("52.71", "35.08.01.2001")


GOOD = [
    "3508014508820001",
    "3508010101100001",
    "Siti Contoh",
    "P",
    "1982-08-05",
    "istri",
    "Jl. Contoh No. 1 RT 001/RW 001",
    "35.08.01.2001",
    "1",
    "PKH;BPNT",
    "active",
]


def with_field(**changes: str) -> list[str]:
    row = dict(zip(EXTRACT_COLUMNS, GOOD, strict=True))
    row.update(changes)
    return list(row.values())


def test_a_good_row_is_stored_as_given() -> None:
    assert check_row(GOOD) == GOOD


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"nik": "3508014508820000"}, "nik_invalid"),
        ({"nik": "3508994508820001"}, "nik_invalid"),
        ({"nik": "3508010508820001"}, "nik_sex_mismatch"),
        ({"nik": "3508014608820001"}, "nik_birth_date_mismatch"),
        ({"kk_number": "3508013213100001"}, "kk_invalid"),
        ({"name": "   "}, "name_invalid"),
        ({"sex": "W"}, "sex_invalid"),
        ({"birth_date": "05-08-1982"}, "birth_date_invalid"),
        ({"birth_date": "1982-02-30"}, "birth_date_invalid"),
        ({"relation": "tetangga"}, "relation_unknown"),
        ({"address": "x" * 501}, "address_too_long"),
        ({"village_code": "35.08.01.9999"}, "village_unknown"),
        ({"decile": "11"}, "decile_invalid"),
        ({"programmes": "PKH;BANSOS-X"}, "programme_unknown"),
        ({"status": "hilang"}, "status_unknown"),
        ({"name": "Siti\x00"}, "nul_character"),
    ],
)
def test_a_bad_row_is_refused_with_its_reason(changes: dict[str, str], reason: str) -> None:
    result = check_row(with_field(**changes))
    assert isinstance(result, Rejection) and result.reason == reason, result
    assert reason in REJECT_REASONS


def test_programmes_are_stored_canonically() -> None:
    assert canonical_programmes("BPNT; pkh;KIS") == "PKH;BPNT;PBI-JK"
    assert canonical_programmes("Sembako") == "BPNT"
    assert canonical_programmes("") == ""
    assert canonical_programmes("PKH;BLT") is None
    assert check_row(with_field(programmes="KIS;SEMBAKO"))[9] == "BPNT;PBI-JK"  # type: ignore[index]
    assert isinstance(check_row(GOOD[:10]), Rejection)


def _lines(n: int, bad_every: int, seed: int) -> list[str]:
    return [t.rstrip("\n") for t in generate_rows(n, seed=seed, bad_every=bad_every)][1:]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), bad_every=st.sampled_from([0, 3, 7]))
def test_the_fast_path_agrees_with_the_full_rules(seed: int, bad_every: int) -> None:
    lines = _lines(60, bad_every, seed)
    out: list[str] = []
    refused: list[tuple[int, Rejection, str]] = []
    check_lines(lines, 2, out, refused)
    expected_out = []
    expected_refused = []
    for line, text in enumerate(lines, start=2):
        result = check_row(text.split(","))
        if isinstance(result, Rejection):
            expected_refused.append((line, result, text))
        else:
            expected_out.append(f"{line},{','.join(result)}\n")
    assert out == expected_out
    assert refused == expected_refused


def test_the_generator_is_reproducible_and_valid() -> None:
    a = list(generate_rows(500, seed=7))
    assert a == list(generate_rows(500, seed=7))
    assert a != list(generate_rows(500, seed=8))
    assert a[0] == HEADER + "\n" and len(a) == 501
    rows = list(csv.reader(io.StringIO("".join(a[1:]))))
    assert all(isinstance(check_row(r), list) for r in rows)
    assert len({r[0] for r in rows}) == 500  # NIKs are unique
    spoilt_lines = list(generate_rows(60, seed=7, bad_every=5))[1:]
    spoilt = list(csv.reader(io.StringIO("".join(spoilt_lines))))
    refused = [r for r in map(check_row, spoilt) if isinstance(r, Rejection)]
    assert len(refused) == 12 and len(DEFECTS) <= 12


def test_the_demo_extract_is_synthetic_and_valid() -> None:
    with DEMO_CSV.open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        assert ",".join(next(reader)) == HEADER
        rows = list(reader)
    assert 15 <= len(rows) <= 30
    checked = [check_row(r) for r in rows]
    assert all(isinstance(c, list) for c in checked), checked
    assert len({r[0] for r in rows}) == len(rows)
    # The four offices' regions are all there.
    assert {"35.08", "52.71", "53.71", "13.77"} <= {r[7][:5] for r in rows}
    fake_words = ("Contoh", "Fiktif", "Sampel", "Uji")
    assert all(any(w in r[2] for w in fake_words) for r in rows)
    # Everyone lives where their NIK was issued, except the two who moved (see README).
    moved = {r[0] for r in rows if parse_nik(r[0]).district_code != r[7][:8]}
    assert moved == {"5271041212900001", "1377012504820001"}


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("processes", [False, True])
async def test_the_reader_numbers_lines_and_spools_refusals(
    newline: str, processes: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.eligibility.adapters import extract_reader
    from services.eligibility.adapters.extract_reader import ExtractReader

    # Blocks of a few lines, checked in other processes or in a thread: the same answer.
    monkeypatch.setattr(extract_reader, "BLOCK_BYTES", 700)
    monkeypatch.setattr(extract_reader, "PARALLEL_MIN_BYTES", 0 if processes else 1 << 30)
    lines = [HEADER, *(t.rstrip("\n") for t in list(generate_rows(40, seed=2, bad_every=9))[1:])]
    lines.insert(5, '"' + lines[4].replace(",", '","') + '"')  # line 6: every field quoted
    text = (newline.join(lines) + newline).encode()
    spool = io.StringIO()
    reader = ExtractReader(io.BytesIO(text), spool, max_rejected=0.5, size=len(text))
    copied = b"".join([chunk async for chunk in reader.chunks()]).decode()
    numbers = [int(row.split(",", 1)[0]) for row in copied.splitlines()]
    assert numbers == sorted(numbers)  # in file order
    refused = [int(row[0]) for row in csv.reader(io.StringIO(spool.getvalue()))]
    assert sorted(numbers + refused) == list(range(2, 43))
    assert refused == [11, 20, 29, 38]  # every 9th generated row, one on after line 6
    assert "\r" not in copied
    assert (reader.rows_read, reader.rows_loaded, reader.rows_rejected) == (41, 37, 4)
