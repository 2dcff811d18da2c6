"""Use case: import a registry extract as the new current snapshot (CLI and HTTP).

    1. Before anything is written: the file ends with a newline (else it is truncated)
       and its first line is exactly the expected header.
    2. A snapshot row is recorded ('loading'), in its own transaction, so a failed
       import is on record with its error.
    3. One transaction: a new standalone table, not attached (no lookup sees it), is
       filled by COPY from an async generator that reads the file in blocks of whole
       lines, has each block checked in another process (`adapters/extract_reader.py`,
       `domain/extract.py` `check_block`: the checks use the other core while the COPY
       backend uses one) and passes on the good rows, in file order; refused rows go to
       a spool file with their line number and reason.
    4. The NIK and KK indexes, at once on two connections when given a second one (a
       NIK listed twice is refused on every line it appears on).
    5. One transaction, the swap: amended rows of the current snapshot taken from a
       newer extract than this one are carried over (in place of this extract's row
       for their NIK; older amendments are superseded), the refused rows are copied
       into `registry_rejects`, and the table is attached as a partition and made
       current. Lookups see the old
       snapshot until the commit and the new one after it.
    6. Any failure drops the unattached table: the registry is as it was, and the
       snapshot row says 'failed' and why. The steps hold a session lock: one import at
       a time, and the next one drops what an import killed midway left behind.

An extract refused as a whole (`domain/extract.py` `ExtractError`: wrong header,
truncated, not UTF-8, too many rows refused, out of order, empty) is answered as a
`Refused` with its code (422). The SQL of every step is in `adapters/registry_copy.py`
and `adapters/registry.py`; this module says which step comes when, in which transaction.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg

from services.eligibility.adapters import registry, registry_copy
from services.eligibility.adapters.extract_reader import (
    REJECT_SAMPLE,
    ExtractReader,
    RejectedRow,
    check_file,
)
from services.eligibility.adapters.registry_copy import IndexConnection
from services.eligibility.domain.extract import (
    EmptyExtract,
    ExtractError,
    refuse_out_of_order,
)
from services.eligibility.domain.registry import Source
from shared import metrics
from shared.logging import get_logger
from shared.refusal import Refused

log = get_logger(__name__)


@dataclass
class ImportReport:
    snapshot_id: int
    source: str
    snapshot_date: date
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rows_carried: int = 0  # other regions' members, carried over from the last snapshot
    # amended rows taken from an extract newer than this one, carried over in place of
    # this extract's row for their NIK
    amendments_carried: int = 0
    rejects: list[RejectedRow] = field(default_factory=list)  # the first REJECT_SAMPLE
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "snapshot_id": self.snapshot_id,
            "source": self.source,
            "snapshot_date": self.snapshot_date.isoformat(),
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
            "rows_carried": self.rows_carried,
            "amendments_carried": self.amendments_carried,
            "rejects": [r.__dict__ for r in self.rejects],
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


async def import_extract(
    conn: asyncpg.Connection,
    path: Path,
    *,
    source: Source,
    snapshot_date: date,
    origin: str | None = None,
    max_rejected: float = 0.05,
    second_connection: IndexConnection | None = None,
    office: str | None = None,
    regions: tuple[str, ...] = (),
) -> ImportReport:
    """Load `path` as the new current snapshot, or raise `Refused` (registry unchanged;
    the `ExtractError` that refused it is its `__cause__`).

    With `regions` (an office's registry administrator's import): rows outside them are
    refused (`outside_region`), and the current snapshot's members outside them are
    carried over, so the import replaces that office's regions only.

    With `second_connection` (a pool's `acquire`, say), the KK index is built on it while
    `conn` builds the NIK index: two cores instead of one for the last third of the work.
    """
    try:
        return await _import(
            conn,
            path,
            source=source,
            snapshot_date=snapshot_date,
            origin=origin,
            max_rejected=max_rejected,
            second_connection=second_connection,
            office=office,
            regions=regions,
        )
    except ExtractError as exc:
        raise Refused.invalid(
            exc.code, f"{exc} The registry is unchanged.", details=exc.details
        ) from exc


async def _import(
    conn: asyncpg.Connection,
    path: Path,
    *,
    source: Source,
    snapshot_date: date,
    origin: str | None,
    max_rejected: float,
    second_connection: IndexConnection | None,
    office: str | None = None,
    regions: tuple[str, ...] = (),
) -> ImportReport:
    if source not in ("DTKS", "DTSEN"):
        raise ExtractError(f"source must be DTKS or DTSEN, not {source!r}")
    started = time.perf_counter()
    async with conn.transaction():
        sid = await registry.new_snapshot(
            conn,
            source=source,
            snapshot_date=snapshot_date,
            origin=origin or path.name,
            office=office,
        )
    report = ImportReport(sid, source, snapshot_date)
    timings = report.timings
    log.info("registry_import_started", snapshot_id=sid, source=source, file=path.name)
    metrics.registry_import_started()
    # One import at a time, for the whole import (its steps are separate transactions).
    await registry_copy.lock_imports(conn)
    try:
        await registry.drop_interrupted_imports(conn, sid)
        check_file(path)
        with (
            path.open("rb") as f,
            tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as spool,
        ):
            reader = ExtractReader(f, spool, max_rejected, os.fstat(f.fileno()).st_size)
            # 1. The rows, into a table of their own that no lookup sees yet.
            async with conn.transaction():
                refuse_out_of_order(await _current_date(conn), snapshot_date)
                await registry.create_partition(conn, sid)
                t0 = time.perf_counter()
                await registry_copy.copy_rows(conn, sid, reader.chunks())
                if regions:
                    await registry_copy.refuse_outside_regions(conn, sid, reader, regions)
                timings["copy_s"] = time.perf_counter() - t0
            # 2. Its indexes, two at once when there is a second connection.
            t0 = time.perf_counter()
            await registry_copy.build_indexes(conn, sid, reader, second_connection)
            timings["index_s"] = time.perf_counter() - t0
            if reader.rows_loaded == 0:
                raise EmptyExtract(f"{path.name} has no row that could be loaded")
            # 3. The refusals, and the swap: lookups see the old snapshot until this
            #    commits and the new one after it.
            async with conn.transaction():
                await registry_copy.lock_registry(conn)
                refuse_out_of_order(await _current_date(conn), snapshot_date)
                # Amendments from a newer extract than this one stay (newer data); the
                # others are superseded with the snapshot they amended.
                report.amendments_carried = await registry_copy.carry_over_newer_amendments(
                    conn, sid, snapshot_date
                )
                if regions:
                    # Under the registry's lock: no amendment of another region slips
                    # between the copy of its rows and the swap.
                    report.rows_carried = await registry_copy.carry_over_other_regions(
                        conn, sid, regions
                    )
                await registry_copy.copy_rejects(conn, sid, spool)
                await registry_copy.analyze(conn, sid)
                await registry.make_current(
                    conn,
                    sid,
                    {
                        "rows_read": reader.rows_read,
                        "rows_loaded": reader.rows_loaded,
                        "rows_rejected": reader.rows_rejected,
                    },
                )
    except BaseException as exc:
        error = str(exc) if isinstance(exc, ExtractError) else f"{type(exc).__name__}: {exc}"
        with contextlib.suppress(Exception):
            # Never attached (the swap is the last step): the registry is as it was.
            await registry_copy.drop_failed(conn, sid, error)
        log.warning("registry_import_failed", snapshot_id=sid, error=error)
        metrics.registry_import_finished("failed")
        raise
    finally:
        with contextlib.suppress(Exception):
            await registry_copy.unlock_imports(conn)
    timings["total_s"] = time.perf_counter() - started
    report.rows_read = reader.rows_read
    report.rows_loaded = reader.rows_loaded
    report.rows_rejected = reader.rows_rejected
    report.rejects = sorted(reader.sample, key=lambda r: r.line_no)[:REJECT_SAMPLE]
    log.info(
        "registry_import_finished",
        snapshot_id=sid,
        rows_loaded=report.rows_loaded,
        rows_rejected=report.rows_rejected,
    )
    metrics.registry_import_finished("completed")
    return report


async def _current_date(conn: asyncpg.Connection) -> date | None:
    current = await registry.current_snapshot(conn)
    return None if current is None else current["snapshot_date"]
