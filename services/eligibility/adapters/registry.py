"""The registry extract in PostgreSQL, and the CSV files extracts arrive as."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncpg
from pydantic import ValidationError

from services.eligibility.domain.registry import RegistryMember

DEMO_CSV = Path(__file__).resolve().parent.parent / "fixtures" / "demo_registry.csv"

_COLUMNS = (
    "nik",
    "kk_number",
    "name",
    "birth_date",
    "relation",
    "region_code",
    "decile",
    "programmes",
    "status",
    "source",
    "snapshot_date",
)


class RegistryFileError(ValueError):
    """A CSV extract row that is not a valid registry member, with its line number."""


def read_csv(path: Path) -> list[RegistryMember]:
    """Rows of an extract: the columns of `registry_members`, programmes split on ';'."""
    members: list[RegistryMember] = []
    with path.open(newline="", encoding="utf-8") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            data: dict[str, Any] = {k: (v.strip() if v else None) for k, v in row.items()}
            data["programmes"] = tuple(
                p.strip() for p in (data.get("programmes") or "").split(";") if p.strip()
            )
            try:
                members.append(
                    RegistryMember.model_validate({k: v for k, v in data.items() if v is not None})
                )
            except ValidationError as exc:
                raise RegistryFileError(f"{path}:{line}: {exc}") from exc
    return members


def _record(m: RegistryMember) -> tuple[Any, ...]:
    return (
        m.nik,
        m.kk_number,
        m.name,
        m.birth_date,
        m.relation,
        m.region_code,
        m.decile,
        list(m.programmes),
        m.status,
        m.source,
        m.snapshot_date,
    )


async def upsert_members(conn: asyncpg.Connection, members: Sequence[RegistryMember]) -> int:
    """Insert or replace members by NIK: COPY into a scratch table, then one upsert.

    Must run inside a transaction (the scratch table goes with it).
    """
    if not members:
        return 0
    await conn.execute(
        """CREATE TEMP TABLE registry_load
               (LIKE eligibility.registry_members INCLUDING DEFAULTS) ON COMMIT DROP"""
    )
    await conn.copy_records_to_table(
        "registry_load", records=[_record(m) for m in members], columns=list(_COLUMNS)
    )
    cols = ", ".join(_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS if c != "nik")
    result: str = await conn.execute(
        f"""INSERT INTO eligibility.registry_members ({cols})
            SELECT DISTINCT ON (nik) {cols} FROM registry_load
            ON CONFLICT (nik) DO UPDATE SET {updates}, loaded_at = clock_timestamp()"""
    )
    return int(result.rsplit(" ", 1)[1])


async def count_members(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM eligibility.registry_members"))


async def find_member(conn: asyncpg.Connection, nik: str) -> RegistryMember | None:
    row = await conn.fetchrow(
        f"SELECT {', '.join(_COLUMNS)} FROM eligibility.registry_members WHERE nik = $1", nik
    )
    if row is None:
        return None
    data = dict(row.items())
    data["programmes"] = tuple(data["programmes"] or ())
    # Rows already in the table were validated on the way in.
    return RegistryMember.model_construct(**data)


async def load_demo(conn: asyncpg.Connection, *, only_if_empty: bool) -> int:
    """Load the synthetic demo extract; with `only_if_empty`, leave real data alone."""
    async with conn.transaction():
        # Two processes starting together must not both load.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('eligibility:demo', 0))")
        if only_if_empty and await count_members(conn) > 0:
            return 0
        return await upsert_members(conn, read_csv(DEMO_CSV))
