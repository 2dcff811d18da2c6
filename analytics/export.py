"""`slrt export`: the analytics views to Parquet and CSV, streaming.

One server-side cursor per view (asyncpg, inside a read-only transaction), fetched in
batches of `BATCH` rows, each batch one Arrow record batch appended to a Parquet file
(pyarrow's ParquetWriter: one row group per batch) and to a CSV file. Memory stays flat in
the number of events: at most one batch is held. The time window filters on each view's
own time column (`occurred_at`, `opened_at`, `at`, `acted_at`, `answered_at`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from analytics.views import VIEWS

BATCH = 10_000

# PostgreSQL type name -> Arrow type (anything else is written as text)
_ARROW: dict[str, pa.DataType] = {
    "uuid": pa.string(),
    "text": pa.string(),
    "int4": pa.int32(),
    "int8": pa.int64(),
    "bool": pa.bool_(),
    "float8": pa.float64(),
    "numeric": pa.float64(),
    "timestamptz": pa.timestamp("us", tz="UTC"),
    "interval": pa.duration("us"),
}


@dataclass(frozen=True)
class Exported:
    view: str
    rows: int
    parquet: Path
    csv: Path


Progress = Callable[[str, int], None]  # (view, rows so far)


def _convert(value: Any, typ: pa.DataType) -> Any:
    if value is None:
        return None
    if typ == pa.string():
        return str(value)
    return value


async def export_view(
    conn: asyncpg.Connection,
    view: str,
    out_dir: Path,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    office: str | None = None,
    progress: Progress | None = None,
    batch: int = BATCH,
) -> Exported:
    """Write `analytics.<view>` (rows in [since, until), of `office`) to
    `<out_dir>/<view>.parquet` and `.csv`; return how many rows."""
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; one of {', '.join(VIEWS)}")
    column = VIEWS[view]
    query = (
        f"SELECT * FROM analytics.{view} WHERE ($1::timestamptz IS NULL OR {column} >= $1)"
        f" AND ($2::timestamptz IS NULL OR {column} < $2) AND ($3::text IS NULL OR office = $3)"
    )
    await asyncio.to_thread(out_dir.mkdir, parents=True, exist_ok=True)
    parquet_path, csv_path = out_dir / f"{view}.parquet", out_dir / f"{view}.csv"
    rows = 0
    async with conn.transaction(readonly=True):
        statement = await conn.prepare(query)
        columns = [
            (a.name, _ARROW.get(a.type.name, pa.string())) for a in statement.get_attributes()
        ]
        schema = pa.schema([pa.field(n, t) for n, t in columns])
        with pq.ParquetWriter(parquet_path, schema) as pw, pacsv.CSVWriter(csv_path, schema) as cw:
            cursor = await statement.cursor(since, until, office)
            while True:
                records = await cursor.fetch(batch)
                if not records:
                    break
                arrays = [
                    pa.array([_convert(r[i], t) for r in records], type=t)
                    for i, (_n, t) in enumerate(columns)
                ]
                chunk = pa.RecordBatch.from_arrays(arrays, schema=schema)
                pw.write_batch(chunk)
                cw.write_batch(chunk)
                rows += len(records)
                if progress is not None:
                    progress(view, rows)
    return Exported(view=view, rows=rows, parquet=parquet_path, csv=csv_path)


async def export_all(
    conn: asyncpg.Connection,
    out_dir: Path,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    office: str | None = None,
    views: list[str] | None = None,
    progress: Progress | None = None,
) -> list[Exported]:
    return [
        await export_view(
            conn, view, out_dir, since=since, until=until, office=office, progress=progress
        )
        for view in views or list(VIEWS)
    ]
