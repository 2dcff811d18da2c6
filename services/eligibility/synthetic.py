"""Synthetic registry extracts: realistic in shape, invented in every detail.

`write_extract(path, rows, seed=...)` streams an extract of exactly `rows` members to a
file, in the format `domain/extract.py` reads. The same seed and size give the same
bytes. Region codes are real (every Kemendagri district and village from `lokal`, weighted
so that some districts are more populous than others); everything about the people is
made up: names are drawn from short lists of common given names, NIKs and KK numbers are
structurally valid (district, date, serial) and unique within an extract, never looked up.

Households: a head, often a spouse, children younger than their parents, now and then a
parent of the head. About 3 % of households live outside the district their NIKs were
issued in (they moved; their KK is issued where they live now). `bad_every=N` makes every
N-th row defective in one of several ways, for tests of the rejected-rows report.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO

from services.eligibility.domain.extract import HEADER
from services.eligibility.domain.regions import all_districts, villages_in

MALE = [
    "Agus",
    "Budi",
    "Dedi",
    "Eko",
    "Fajar",
    "Hadi",
    "Hendra",
    "Imam",
    "Joko",
    "Kurniawan",
    "Lukman",
    "Made",
    "Nyoman",
    "Putu",
    "Rahmat",
    "Rudi",
    "Slamet",
    "Teguh",
    "Wahyu",
    "Yusuf",
    "Andi",
    "Bayu",
    "Dimas",
    "Gilang",
    "Ilham",
    "Rizky",
    "Yohanes",
    "Petrus",
]
FEMALE = [
    "Ani",
    "Dewi",
    "Fitri",
    "Indah",
    "Kartika",
    "Lestari",
    "Maya",
    "Nur",
    "Putri",
    "Ratna",
    "Sari",
    "Siti",
    "Sri",
    "Tuti",
    "Wati",
    "Yuni",
    "Ayu",
    "Dian",
    "Eka",
    "Lina",
    "Nia",
    "Rina",
    "Wulan",
    "Ketut",
    "Maria",
    "Yohana",
    "Aisyah",
    "Fatimah",
]
SECOND = [
    "Contoh",
    "Fiktif",
    "Sampel",
    "Uji",
    "Pratama",
    "Saputra",
    "Wijaya",
    "Santoso",
    "Hidayat",
    "Nugroho",
    "Lestari",
    "Rahayu",
    "Kusuma",
    "Setiawan",
    "Permana",
    "Utami",
]
STREETS = [
    "Melati",
    "Mawar",
    "Kenanga",
    "Cempaka",
    "Anggrek",
    "Flamboyan",
    "Merdeka",
    "Pahlawan",
    "Pemuda",
    "Sudirman",
    "Diponegoro",
    "Kartini",
    "Pattimura",
    "Nusantara",
    "Garuda",
    "Cendrawasih",
]

# Defects for bad_every: (what it breaks, how)
DEFECTS = (
    "nik_serial_0000",
    "village_unknown",
    "wrong_field_count",
    "birth_date_mismatch",
    "programme_unknown",
    "kk_invalid",
)


@dataclass
class ExtractStats:
    rows: int = 0
    households: int = 0
    bad_rows: int = 0
    bytes: int = 0


@dataclass
class _Person:
    female: bool
    born: date
    relation: str


class _District:
    """Serial counters of one district: a NIK is unique per (district, date, sex, serial)."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.digits = code.replace(".", "")
        self.nik_serials: dict[str, int] = {}
        self.kk_serials: dict[str, int] = {}

    def nik(self, born: date, female: bool) -> str:
        dd = born.day + (40 if female else 0)
        part = f"{dd:02d}{born.month:02d}{born.year % 100:02d}"
        serial = self.nik_serials.get(part, 0) + 1
        if serial > 9999:  # pragma: no cover - needs 10,000 people born the same day
            raise RuntimeError(f"district {self.code} ran out of NIK serials for {part}")
        self.nik_serials[part] = serial
        return f"{self.digits}{part}{serial:04d}"

    def kk(self, issued: date, moved_serial: int | None = None) -> str:
        part = f"{issued.day:02d}{issued.month:02d}{issued.year % 100:02d}"
        if moved_serial is not None:  # issued where the household lives now: own range
            return f"{self.digits}{part}9{moved_serial:03d}"
        serial = self.kk_serials.get(part, 0) + 1
        self.kk_serials[part] = serial
        return f"{self.digits}{part}{serial:04d}"


def _quotas(n: int, weights: list[float]) -> Iterator[int]:
    total = sum(weights)
    cum = 0.0
    placed = 0
    for w in weights:
        cum += w
        upto = round(n * cum / total)
        yield upto - placed
        placed = upto


def _household(rng: random.Random, today: date) -> list[_Person]:
    head_age = rng.randint(20, 80)
    head_female = rng.random() < 0.25
    head_born = today - timedelta(days=head_age * 365 + rng.randrange(365))
    people = [_Person(head_female, head_born, "kepala_keluarga")]
    if not head_female and rng.random() < 0.85:
        age = max(17, head_age + rng.randint(-8, 3))
        people.append(
            _Person(True, today - timedelta(days=age * 365 + rng.randrange(365)), "istri")
        )
    children = rng.choice((0, 1, 1, 2, 2, 2, 3, 3, 4, 5))
    for _ in range(children):
        max_age = head_age - 18
        if max_age < 0:
            break
        age = rng.randint(0, max_age)
        born = today - timedelta(days=age * 365 + rng.randrange(365))
        people.append(_Person(rng.random() < 0.5, born, "anak"))
    if head_age < 55 and rng.random() < 0.08:
        age = head_age + rng.randint(20, 30)
        born = today - timedelta(days=age * 365 + rng.randrange(365))
        people.append(_Person(rng.random() < 0.6, born, "orang_tua"))
    return people


def generate_rows(
    rows: int,
    *,
    seed: int = 1,
    snapshot_date: date = date(2025, 9, 30),
    deciles: bool = True,
    bad_every: int = 0,
    stats: ExtractStats | None = None,
    regions: tuple[str, ...] = (),
) -> Iterator[str]:
    """The extract's lines (header first), each ending in a newline; with `regions`
    (code prefixes such as "52.71"), of households there only."""
    stats = stats if stats is not None else ExtractStats()
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not secrets
    districts = [
        d
        for d in all_districts()
        if villages_in(d) and (not regions or any(d.startswith(r) for r in regions))
    ]
    weights = [rng.lognormvariate(0, 0.7) for _ in districts]
    yield HEADER + "\n"
    line = 1
    for code, quota in zip(districts, _quotas(rows, weights), strict=True):
        if quota <= 0:
            continue
        district = _District(code)
        villages = villages_in(code)
        while quota > 0:
            members = _household(rng, snapshot_date)[:quota]
            quota -= len(members)
            stats.households += 1
            moved = rng.random() < 0.03
            village = (
                rng.choice(villages_in(rng.choice(districts))) if moved else rng.choice(villages)
            )
            issued = snapshot_date - timedelta(days=rng.randrange(1, 365 * 20))
            kk = (
                _District(village[:8]).kk(issued, rng.randrange(1, 1000))
                if moved
                else district.kk(issued)
            )
            decile = rng.choice((1, 1, 2, 2, 3, 3, 4, 5, 6, 7, 8, 9, 10))
            dec = str(decile) if deciles or rng.random() < 0.3 else ""
            progs = []
            if decile <= 3 and rng.random() < 0.5:
                progs.append("PKH")
            if decile <= 4 and rng.random() < 0.6:
                progs.append("BPNT")
            if decile <= 5 and rng.random() < 0.7:
                progs.append("PBI-JK")
            address = (
                f"Jl. {rng.choice(STREETS)} No. {rng.randint(1, 200)} "
                f"RT {rng.randint(1, 20):03d}/RW {rng.randint(1, 12):03d}"
            )
            family = rng.choice(SECOND)
            for p in members:
                line += 1
                given = rng.choice(FEMALE if p.female else MALE)
                name = f"{given} {family}" if rng.random() < 0.7 else given
                nik = district.nik(p.born, p.female)
                age = (snapshot_date - p.born).days // 365
                mine = (
                    [*progs, "KIP"] if p.relation == "anak" and 6 <= age <= 21 and progs else progs
                )
                r = rng.random()
                status = (
                    "active"
                    if r < 0.96
                    else "inactive"
                    if r < 0.98
                    else "deceased"
                    if r < 0.99
                    else "moved"
                )
                fields = [
                    nik,
                    kk,
                    name,
                    "P" if p.female else "L",
                    p.born.isoformat(),
                    p.relation,
                    address,
                    village,
                    dec,
                    ";".join(mine),
                    status,
                ]
                if bad_every and (line - 1) % bad_every == 0:
                    _spoil(fields, (line - 1) // bad_every)
                    stats.bad_rows += 1
                stats.rows += 1
                yield ",".join(fields) + "\n"


def _spoil(fields: list[str], k: int) -> None:
    defect = DEFECTS[k % len(DEFECTS)]
    if defect == "nik_serial_0000":
        fields[0] = fields[0][:12] + "0000"
    elif defect == "village_unknown":
        fields[7] = fields[7][:9] + "9999"
    elif defect == "wrong_field_count":
        del fields[6]
    elif defect == "birth_date_mismatch":
        born = date.fromisoformat(fields[4])
        fields[4] = (born + timedelta(days=400)).isoformat()
    elif defect == "programme_unknown":
        fields[9] = "PKH;BANSOS-X"
    else:
        fields[1] = fields[1][:12] + "0000"


def write_extract(
    out: Path | TextIO,
    rows: int,
    *,
    seed: int = 1,
    snapshot_date: date = date(2025, 9, 30),
    deciles: bool = True,
    bad_every: int = 0,
    regions: tuple[str, ...] = (),
) -> ExtractStats:
    """Stream `rows` members to `out` (a path or an open text file); memory stays flat."""
    stats = ExtractStats()
    lines = generate_rows(
        rows,
        seed=seed,
        snapshot_date=snapshot_date,
        deciles=deciles,
        bad_every=bad_every,
        stats=stats,
        regions=regions,
    )
    f = out.open("w", encoding="utf-8", newline="") if isinstance(out, Path) else out
    try:
        batch: list[str] = []
        for text in lines:
            batch.append(text)
            if len(batch) >= 10_000:
                chunk = "".join(batch)
                stats.bytes += f.write(chunk)
                batch.clear()
        stats.bytes += f.write("".join(batch))
    finally:
        if isinstance(out, Path):
            f.close()
    return stats


def main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(
        prog="python -m services.eligibility generate", description=__doc__.split("\n\n")[0]
    )
    p.add_argument("out", help="file to write, or - for standard output")
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--snapshot-date", type=date.fromisoformat, default=date(2025, 9, 30))
    p.add_argument("--source", choices=("DTKS", "DTSEN"), default="DTSEN")
    p.add_argument("--bad-every", type=int, default=0, help="spoil every N-th row (tests)")
    p.add_argument(
        "--region", action="append", default=[], help="only households there, e.g. 52.71"
    )
    args = p.parse_args(argv)
    target: Path | TextIO = sys.stdout if args.out == "-" else Path(args.out)
    stats = write_extract(
        target,
        args.rows,
        seed=args.seed,
        snapshot_date=args.snapshot_date,
        deciles=args.source == "DTSEN",
        bad_every=args.bad_every,
        regions=tuple(args.region),
    )
    print(
        f"{stats.rows} members in {stats.households} households, {stats.bad_rows} spoilt, "
        f"{stats.bytes} characters",
        file=sys.stderr,
    )
