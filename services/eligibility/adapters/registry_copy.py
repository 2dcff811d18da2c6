"""The SQL of an import: COPY into an unattached table, its indexes, the refusals, the swap.

Every statement an import sends is here; the order of the steps (and their transactions)
is the import's use case, `service_layer/import_extract.py`. The rows come from
`adapters/extract_reader.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import date
from typing import IO

import asyncpg

from services.eligibility.adapters import registry
from services.eligibility.adapters.extract_reader import ExtractReader
from services.eligibility.domain.extract import EXTRACT_COLUMNS

CHUNK_ROWS = 2_000  # refusals per COPY message

IndexConnection = Callable[[], AbstractAsyncContextManager[asyncpg.Connection]]


def connecting(dsn: str) -> IndexConnection:
    """A second connection for `import_extract`, opened for the index build and closed."""

    @contextlib.asynccontextmanager
    async def connection() -> AsyncIterator[asyncpg.Connection]:
        conn = await asyncpg.connect(dsn)
        try:
            yield conn
        finally:
            await conn.close()

    return connection


def from_pool(pool: asyncpg.Pool) -> IndexConnection:
    """A second connection for `import_extract`, taken from the service's pool."""

    @contextlib.asynccontextmanager
    async def connection() -> AsyncIterator[asyncpg.Connection]:
        async with pool.acquire() as conn:
            yield conn

    return connection


async def lock_imports(conn: asyncpg.Connection) -> None:
    """One import at a time, for the whole import (its steps are separate transactions)."""
    await conn.execute(registry.IMPORT_LOCK)


async def unlock_imports(conn: asyncpg.Connection) -> None:
    await conn.execute(registry.IMPORT_UNLOCK)


async def lock_registry(conn: asyncpg.Connection) -> None:
    """No other structural change of the registry until this transaction ends."""
    await conn.execute(registry.REGISTRY_LOCK)


async def copy_rows(
    conn: asyncpg.Connection, snapshot_id: int, chunks: AsyncIterator[bytes]
) -> None:
    """COPY the checked rows into the snapshot's table (created in this transaction)."""
    await conn.copy_to_table(
        registry.partition_name(snapshot_id).split(".")[1],
        schema_name="eligibility",
        source=chunks,
        columns=["line_no", *registry.MEMBER_COLUMNS],
        format="csv",
        # The table was created in this transaction: its rows can be written
        # frozen (no hint-bit rewrite or freezing vacuum later).
        freeze=True,
    )


async def refuse_duplicates(
    conn: asyncpg.Connection, snapshot_id: int, reader: ExtractReader
) -> None:
    """Every line of a NIK listed more than once is refused: the registry never guesses."""
    table = registry.partition_name(snapshot_id)
    cols = ", ".join(registry.MEMBER_COLUMNS)
    rows = await conn.fetch(
        f"""DELETE FROM {table} WHERE nik IN (
                SELECT nik FROM {table} GROUP BY nik HAVING count(*) > 1)
            RETURNING line_no, {cols}"""
    )
    lines: dict[str, list[int]] = {}
    for r in rows:
        lines.setdefault(r["nik"], []).append(r["line_no"])
    for r in sorted(rows, key=lambda r: r["line_no"]):
        values = dict(r.items())
        raw = ",".join("" if values[c] is None else str(values[c]) for c in EXTRACT_COLUMNS)
        others = [n for n in lines[r["nik"]] if n != r["line_no"]]
        reader.reject(
            r["line_no"], "nik_duplicate", f"also on line(s) {', '.join(map(str, others))}", raw
        )
    reader.rows_loaded -= len(rows)


def region_patterns(regions: tuple[str, ...]) -> list[str]:
    """LIKE patterns for the villages under region code prefixes ("35.08" -> "35.08.%")."""
    return [f"{r}.%" for r in regions] + list(regions)


async def refuse_outside_regions(
    conn: asyncpg.Connection, snapshot_id: int, reader: ExtractReader, regions: tuple[str, ...]
) -> None:
    """An office's import lists its own regions only: every other row is refused
    (`outside_region`), with its line, never loaded."""
    table = registry.partition_name(snapshot_id)
    cols = ", ".join(registry.MEMBER_COLUMNS)
    rows = await conn.fetch(
        f"""DELETE FROM {table} WHERE NOT (village_code LIKE ANY($1::text[]))
            RETURNING line_no, {cols}""",
        region_patterns(regions),
    )
    for r in sorted(rows, key=lambda r: r["line_no"]):
        values = dict(r.items())
        raw = ",".join("" if values[c] is None else str(values[c]) for c in EXTRACT_COLUMNS)
        reader.reject(
            r["line_no"],
            "outside_region",
            f"village {r['village_code']} is not in the regions {', '.join(regions)}",
            raw,
        )
    reader.rows_loaded -= len(rows)


async def carry_over_newer_amendments(
    conn: asyncpg.Connection, snapshot_id: int, snapshot_date: date
) -> int:
    """Amended rows of the current snapshot taken from an extract newer than the new one
    (`row_snapshot_date` later than `snapshot_date`) are newer data than it: they go on
    into the new snapshot, with their source and date, in place of the new extract's row
    for the same NIK. Amendments dated on or before the new extract are superseded by it.
    Found through `registry_amendments` (small), then by NIK: no scan of the registry.
    Carried rows have line 0. Under the registry's lock, in the swap's transaction."""
    table = registry.partition_name(snapshot_id)
    cols = (*registry.MEMBER_COLUMNS, *registry.ROW_PROVENANCE)
    newer = await conn.fetch(
        f"""SELECT {", ".join(f"l.{c}" for c in cols)}
            FROM eligibility.registry_listings l
            WHERE l.snapshot_id = (SELECT snapshot_id FROM eligibility.registry_snapshots
                                   WHERE status = 'current')
              AND l.nik = ANY(ARRAY(SELECT DISTINCT nik FROM eligibility.registry_amendments
                                    WHERE snapshot_date > $1))
              AND l.row_snapshot_date > $1""",
        snapshot_date,
    )
    if not newer:
        return 0
    await conn.execute(
        f"DELETE FROM {table} WHERE nik = ANY($1::text[])", [r["nik"] for r in newer]
    )
    await conn.executemany(
        f"""INSERT INTO {table} (line_no, {", ".join(cols)})
            VALUES (0, {", ".join(f"${i}" for i in range(1, len(cols) + 1))})""",
        [tuple(r[c] for c in cols) for r in newer],
    )
    return len(newer)


async def carry_over_other_regions(
    conn: asyncpg.Connection, snapshot_id: int, regions: tuple[str, ...]
) -> int:
    """The current snapshot's members outside `regions` (other offices' regions) go on
    into the new snapshot unchanged, with the source and date they were listed under
    (their row's, else their snapshot's): one office's import never replaces another's
    rows, nor says they came from its extract. A NIK the new extract lists (the person
    moved here) is taken from the new extract. Carried rows have line 0 (they are on no
    line of this extract)."""
    table = registry.partition_name(snapshot_id)
    cols = ", ".join((*registry.MEMBER_COLUMNS, *registry.ROW_PROVENANCE))
    done = await conn.execute(
        f"""INSERT INTO {table} (line_no, {cols})
            SELECT 0, {", ".join(f"l.{c}" for c in registry.MEMBER_COLUMNS)},
                   coalesce(l.row_source, s.source), coalesce(l.row_snapshot_date, s.snapshot_date)
            FROM eligibility.registry_listings l
            JOIN eligibility.registry_snapshots s ON s.snapshot_id = l.snapshot_id
            WHERE l.snapshot_id = (SELECT snapshot_id FROM eligibility.registry_snapshots
                                   WHERE status = 'current')
              AND NOT (l.village_code LIKE ANY($1::text[]))
              AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.nik = l.nik)""",
        region_patterns(regions),
    )
    return int(done.split()[-1])


async def build_indexes(
    conn: asyncpg.Connection,
    sid: int,
    reader: ExtractReader,
    second_connection: IndexConnection | None,
) -> None:
    """The NIK index (unique: a NIK listed twice is refused on every line it is on) and
    the KK index, at the same time on two connections when there are two."""

    async def by_nik() -> None:
        try:
            await registry.index_nik(conn, sid)
        except asyncpg.UniqueViolationError:
            async with conn.transaction():
                await refuse_duplicates(conn, sid, reader)
            await registry.index_nik(conn, sid)
            reader.check_rejected(final=True)

    if second_connection is None:
        await by_nik()
        await registry.index_kk(conn, sid)
        return

    async def by_kk() -> None:
        async with second_connection() as other:
            await registry.index_kk(other, sid)

    kk = asyncio.create_task(by_kk())
    try:
        await by_nik()
    except BaseException:
        kk.cancel()
        with contextlib.suppress(BaseException):
            await kk
        raise
    await kk


async def copy_rejects(conn: asyncpg.Connection, snapshot_id: int, spool: IO[str]) -> None:
    """The spooled refusals into `registry_rejects`."""
    spool.seek(0)
    await conn.copy_to_table(
        "registry_rejects",
        schema_name="eligibility",
        source=_spooled(spool, snapshot_id),
        columns=["snapshot_id", "line_no", "reason", "detail", "raw"],
        format="csv",
    )


async def _spooled(spool: IO[str], snapshot_id: int) -> AsyncIterator[bytes]:
    """The spooled refusals as CSV for COPY, a chunk at a time."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for n, row in enumerate(csv.reader(spool), start=1):
        writer.writerow((snapshot_id, *row))
        if n % CHUNK_ROWS == 0:
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode()


async def analyze(conn: asyncpg.Connection, snapshot_id: int) -> None:
    await conn.execute(f"ANALYZE {registry.partition_name(snapshot_id)}")


async def drop_failed(conn: asyncpg.Connection, snapshot_id: int, error: str) -> None:
    """A failed import's table dropped (never attached: the registry is as it was), its
    snapshot marked failed with the error."""
    async with conn.transaction():
        await conn.execute(f"DROP TABLE IF EXISTS {registry.partition_name(snapshot_id)}")
        await conn.execute(
            """UPDATE eligibility.registry_snapshots
               SET status = 'failed', error = $2, finished_at = clock_timestamp()
               WHERE snapshot_id = $1""",
            snapshot_id,
            error[:2000],
        )
