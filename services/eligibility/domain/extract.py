"""A registry extract, row by row: what a row must look like, and why one is refused.

An extract is a UTF-8 CSV file with exactly this header (one snapshot of one source; the
source and the snapshot date are given when it is imported, not repeated in every row):

    nik,kk_number,name,sex,birth_date,relation,address,village_code,decile,programmes,status

`programmes` is a ';'-separated list (PKH;BPNT); `decile` may be empty (DTKS had none).
Rows are checked for every line of a national extract (tens of millions): `check_lines`
accepts the common case with a handful of set and string operations, and asks `check_row`
(the full rules, which also explain a refusal) about everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, lru_cache
from typing import Any

from services.eligibility.domain.nik import nik_date_part, nik_problem, parse_kk
from services.eligibility.domain.regions import district_codes, village_codes
from services.eligibility.domain.registry import (
    PROGRAMME_ALIASES,
    PROGRAMME_BITS,
    RELATIONS,
    STATUSES,
    programme_names,
)

EXTRACT_COLUMNS = (
    "nik",
    "kk_number",
    "name",
    "sex",
    "birth_date",
    "relation",
    "address",
    "village_code",
    "decile",
    "programmes",
    "status",
)
HEADER = ",".join(EXTRACT_COLUMNS)

# Reasons a row is refused (registry_rejects.reason).
REJECT_REASONS = (
    "wrong_field_count",
    "nul_character",
    "nik_invalid",
    "nik_duplicate",
    "nik_birth_date_mismatch",
    "nik_sex_mismatch",
    "kk_invalid",
    "name_invalid",
    "sex_invalid",
    "birth_date_invalid",
    "relation_unknown",
    "address_too_long",
    "village_unknown",
    "decile_invalid",
    "programme_unknown",
    "status_unknown",
)

_DECILES = {"": "", **{str(d): str(d) for d in range(1, 11)}}


# ---- why an extract as a whole is refused (the registry then stays as it was) ------------


class ExtractError(ValueError):
    """The extract cannot be imported at all; the registry is unchanged.

    The import's use case (`service_layer/import_extract.py`) answers every one of these
    as a `Refused` with the same code (HTTP 422)."""

    code = "extract_invalid"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.details = details


class WrongHeader(ExtractError):
    code = "wrong_header"


class TruncatedExtract(ExtractError):
    code = "extract_truncated"


class MalformedExtract(ExtractError):
    code = "extract_malformed"


class TooManyRejected(ExtractError):
    code = "too_many_rejected"


class EmptyExtract(ExtractError):
    code = "extract_empty"


class SnapshotOutOfOrder(ExtractError):
    code = "snapshot_out_of_order"


def refuse_out_of_order(current_snapshot_date: date | None, snapshot_date: date) -> None:
    """A snapshot older than the current one cannot supersede it."""
    if current_snapshot_date is not None and current_snapshot_date > snapshot_date:
        raise SnapshotOutOfOrder(
            f"the current snapshot is of {current_snapshot_date}; "
            f"one of {snapshot_date} cannot supersede it",
            current_snapshot_date=current_snapshot_date.isoformat(),
        )


@dataclass(frozen=True, slots=True)
class Rejection:
    reason: str
    detail: str = ""


@lru_cache(maxsize=4096)
def canonical_programmes(value: str) -> str | None:
    """'BPNT; pkh' -> 'PKH;BPNT' (canonical names and order); None for an unknown name."""
    mask = 0
    for part in value.split(";"):
        name = part.strip().upper()
        if not name:
            continue
        bit = PROGRAMME_BITS.get(PROGRAMME_ALIASES.get(name, name))
        if bit is None:
            return None
        mask |= bit
    return ";".join(programme_names(mask))


# Every canonical programmes text: a row carrying one of them is stored as it is.
CANONICAL_PROGRAMMES = frozenset(
    ";".join(programme_names(m)) for m in range(1 << len(PROGRAMME_BITS))
)


@cache
def _real_ddmmyy(part: str) -> bool:
    try:
        parse_kk(f"110101{part}0001")
    except ValueError:
        return False
    return True


@lru_cache(maxsize=1 << 17)
def _nik_date(birth: str, sex: str) -> str | None:
    """'1982-08-05', 'P' -> '450882' (the NIK's DDMMYY); None if not a YYYY-MM-DD date."""
    try:
        born = date.fromisoformat(birth)
    except ValueError:
        return None
    if len(birth) != 10:
        return None
    return nik_date_part(born, sex == "P")


def _ascii_digits(value: str) -> bool:
    return len(value) == 16 and value.isascii() and value.isdigit()


def check_row(f: list[str]) -> list[str] | Rejection:
    """The row as it is stored (programmes in canonical form), or why it is refused."""
    if len(f) != 11:
        return Rejection("wrong_field_count", f"{len(f)} fields, expected 11")
    nik, kk, name, sex, birth, relation, address, village, decile, programmes, status = f
    if any("\x00" in x for x in f):
        return Rejection("nul_character", "a field holds a NUL character")
    districts = district_codes()
    if not _ascii_digits(nik) or nik[:6] not in districts or nik[12:] == "0000":
        return Rejection("nik_invalid", nik_problem(nik) or "")
    if (
        not _ascii_digits(kk)
        or kk[:6] not in districts
        or kk[12:] == "0000"
        or not _real_ddmmyy(kk[6:12])
    ):
        try:
            parse_kk(kk)
        except ValueError as exc:
            return Rejection("kk_invalid", str(exc))
    if not name.strip() or len(name) > 200:
        return Rejection("name_invalid", "a name is 1-200 characters, not only spaces")
    if sex != "L" and sex != "P":
        return Rejection("sex_invalid", f"sex {sex[:10]!r} is neither L nor P")
    expected = _nik_date(birth, sex)
    if expected is None:
        return Rejection("birth_date_invalid", f"{birth[:20]!r} is not a YYYY-MM-DD date")
    if nik[6:12] != expected:
        if problem := nik_problem(nik):
            return Rejection("nik_invalid", problem)
        if nik[6:12] == _nik_date(birth, "L" if sex == "P" else "P"):
            return Rejection("nik_sex_mismatch", f"sex {sex} but the NIK says otherwise")
        return Rejection("nik_birth_date_mismatch", f"NIK date {nik[6:12]}, birth date {birth}")
    if relation not in RELATIONS:
        return Rejection("relation_unknown", f"{relation[:40]!r}")
    if len(address) > 500:
        return Rejection("address_too_long", "an address is at most 500 characters")
    if village not in village_codes():
        return Rejection("village_unknown", f"{village[:20]!r} is not a Kemendagri village code")
    dec = _DECILES.get(decile)
    if dec is None:
        dec = _DECILES.get(decile.strip())
        if dec is None:
            return Rejection("decile_invalid", f"{decile[:10]!r} is not 1-10 or empty")
    progs = canonical_programmes(programmes)
    if progs is None:
        return Rejection("programme_unknown", f"{programmes[:60]!r}")
    if status not in STATUSES:
        return Rejection("status_unknown", f"{status[:40]!r}")
    return [nik, kk, name, sex, birth, relation, address, village, dec, progs, status]


def check_lines(
    lines: list[str],
    first_line: int,
    out: list[str],
    rejected: list[tuple[int, Rejection, str]],
) -> None:
    """Check consecutive physical lines (without their line break) holding no quote.

    A good row is appended to `out` as `line_no,<row as stored>\n`; a refused one to
    `rejected` as (line_no, why, the line). The fast test below accepts only rows that
    `check_row` accepts unchanged; anything else gets `check_row`'s full answer.
    """
    districts = district_codes()
    villages = village_codes()
    relations = RELATIONS
    statuses = STATUSES
    deciles = _DECILES
    programmes = CANONICAL_PROGRAMMES
    serials = _SERIALS
    kk_dates, nik_dates = _dates()
    line = first_line - 1
    ok_kk = ""  # the last KK number that passed: a household's rows follow each other
    for text in lines:
        line += 1
        f = text.split(",")
        try:
            nik, kk, name, sex, birth, relation, address, village, decile, progs, status = f
            if (
                kk != ok_kk
                and len(kk) == 16
                and kk[:6] in districts
                and kk[6:12] in kk_dates
                and kk[12:] in serials
            ):
                ok_kk = kk
            if (
                kk == ok_kk
                and nik[6:12] == nik_dates[sex][birth]
                and nik[:6] in districts
                and nik[12:] in serials
                and len(nik) == 16
                and village in villages
                and relation in relations
                and status in statuses
                and decile in deciles
                and progs in programmes
                and name[:1] > " "
                and len(name) <= 200
                and len(address) <= 500
                and "\x00" not in text
            ):
                out.append(f"{line},{text}\n")
                continue
        except (KeyError, ValueError):
            pass
        checked = check_row(f)
        if isinstance(checked, Rejection):
            rejected.append((line, checked, text))
            continue
        out.append(f"{line},{','.join(checked)}\n")


_SERIALS = frozenset(f"{n:04d}" for n in range(1, 10000))


@dataclass(frozen=True, slots=True)
class CheckedBlock:
    """A block of lines, checked: COPY input for the good rows, the refused ones.

    `error` (with `error_line`) says the block is not text at all: the extract cannot be
    imported. Everything here is plain data, so a block can be checked in another process.
    """

    data: bytes  # `line_no,<row as stored>` lines, UTF-8
    rows: int
    refused: list[tuple[int, Rejection, str]]
    error: str | None = None
    error_line: int = 0


def check_block(data: bytes, first_line: int) -> CheckedBlock:
    """Check a block of whole lines of an extract (bytes ending in a line break, no quote
    character), the first of them being line `first_line` of the file."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = first_line + data.count(b"\n", 0, exc.start)
        return CheckedBlock(b"", 0, [], f"not UTF-8 text ({exc.reason})", line)
    lines = text.replace("\r\n", "\n")[:-1].split("\n")
    out: list[str] = []
    refused: list[tuple[int, Rejection, str]] = []
    check_lines(lines, first_line, out, refused)
    return CheckedBlock("".join(out).encode(), len(lines), refused)


def load_tables() -> None:
    """Load what the checks look rows up in (region codes, dates: a few seconds, once per
    process), e.g. before forking processes that check blocks."""
    district_codes()
    village_codes()
    _dates()


@cache
def _dates() -> tuple[frozenset[str], dict[str, dict[str, str]]]:
    """Every real DDMMYY (KK issue dates), and birth date -> NIK DDMMYY for men and women,
    for 1880-2079: the fast path's lookups (about 0.2 s and 10 MB, once)."""
    men: dict[str, str] = {}
    women: dict[str, str] = {}
    day = date(1880, 1, 1)
    while day.year < 2080:
        iso = day.isoformat()
        men[iso] = nik_date_part(day, female=False)
        women[iso] = nik_date_part(day, female=True)
        day += timedelta(days=1)
    return frozenset(men.values()), {"L": men, "P": women}
