"""Import a registry extract: stream the CSV through COPY into a new snapshot, then swap.

    1. Before anything is written: the file ends with a newline (else it is truncated)
       and its first line is exactly the expected header.
    2. A snapshot row is recorded ('loading'), in its own transaction, so a failed
       import is on record with its error.
    3. One transaction: a new standalone table, not attached (no lookup sees it), is
       filled by COPY from an async generator that reads the file in blocks of whole
       lines, has each block checked in another process (domain/extract.py
       `check_block`: the checks use the other core while the COPY backend uses one) and
       passes on the good rows, in file order; refused rows go to a spool file with their
       line number and reason.
    4. The NIK and KK indexes, at once on two connections when given a second one (a
       NIK listed twice is refused on every line it appears on).
    5. One transaction, the swap: the refused rows are copied into `registry_rejects`,
       and the table is attached as a partition and made current. Lookups see the old
       snapshot until the commit and the new one after it.
    6. Any failure drops the unattached table: the registry is as it was, and the
       snapshot row says 'failed' and why. The steps hold a session lock: one import at
       a time, and the next one drops what an import killed midway left behind.

Memory is flat in the file size: a few blocks of rows out at a time, refusals spooled
to disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import gc
import io
import multiprocessing
import os
import tempfile
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

import asyncpg

from services.eligibility.adapters import registry
from services.eligibility.domain.extract import (
    EXTRACT_COLUMNS,
    HEADER,
    CheckedBlock,
    Rejection,
    check_block,
    check_lines,
    check_row,
    load_tables,
)
from services.eligibility.domain.registry import Source
from shared.logging import get_logger

log = get_logger(__name__)

BLOCK_BYTES = 1 << 20  # about 8,000 rows of an extract per block (one COPY message)
# Processes checking blocks. One COPY backend takes a row in about the time one process
# checks it: two keep it fed, more only take cores from it.
CHECK_PROCESSES = min(2, os.cpu_count() or 1)
QUEUED = 2 * CHECK_PROCESSES + 2  # blocks out (being checked, or done and waiting)
PARALLEL_MIN_BYTES = 1 << 20  # a smaller extract is checked in a thread
CHUNK_ROWS = 2_000
REJECT_SAMPLE = 100  # refusals returned in the report; all of them are in the table
csv.field_size_limit(1 << 16)


class ExtractError(ValueError):
    """The extract cannot be imported at all; the registry is unchanged."""

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


@dataclass
class RejectedRow:
    line_no: int
    reason: str
    detail: str
    raw: str


@dataclass
class ImportReport:
    snapshot_id: int
    source: str
    snapshot_date: date
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
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
            "rejects": [r.__dict__ for r in self.rejects],
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


def check_file(path: Path) -> None:
    """Whole-file checks made before anything is written (raise ExtractError)."""
    size = path.stat().st_size
    if size == 0:
        raise EmptyExtract(f"{path.name} is empty")
    with path.open("rb") as f:
        first = f.readline(4096)
        f.seek(-1, os.SEEK_END)
        last = f.read(1)
    header = first.removeprefix(b"\xef\xbb\xbf").rstrip(b"\r\n")
    if header.decode("utf-8", "replace") != HEADER:
        raise WrongHeader(
            f"{path.name}: line 1 must be the header {HEADER!r}",
            expected=HEADER,
            found=header[:300].decode("utf-8", "replace"),
        )
    if last != b"\n":
        raise TruncatedExtract(
            f"{path.name} does not end with a line break: the file is truncated "
            "(the last row was cut off)",
            size=size,
        )


def _executor(size: int) -> Executor:
    """Where blocks are checked: processes forked from this one (their region codes and
    date tables already loaded) for an extract of some size, else one thread."""
    if size >= PARALLEL_MIN_BYTES and "fork" in multiprocessing.get_all_start_methods():
        load_tables()  # once here, not once in every process
        return ProcessPoolExecutor(
            CHECK_PROCESSES, mp_context=multiprocessing.get_context("fork"), initializer=gc.freeze
        )
    return ThreadPoolExecutor(1, thread_name_prefix="registry-check")


class _Reader:
    """Reads the extract in blocks: CSV for COPY out, refusals to the spool."""

    def __init__(self, f: IO[bytes], spool: IO[str], max_rejected: float, size: int) -> None:
        self.f = f
        self.size = size
        self.spool = csv.writer(spool)
        self.max_rejected = max_rejected
        self.rows_read = 0
        self.rows_loaded = 0
        self.rows_rejected = 0
        self.sample: list[RejectedRow] = []

    def reject(self, line: int, reason: str, detail: str, raw: str) -> None:
        self.rows_rejected += 1
        self.spool.writerow((line, reason, detail, raw))
        if len(self.sample) < REJECT_SAMPLE:
            self.sample.append(RejectedRow(line, reason, detail, raw))

    async def chunks(self) -> AsyncIterator[bytes]:
        """COPY input, block after block in file order; the blocks are checked elsewhere.

        While PostgreSQL takes one block, the next ones are being checked (`check_block`)
        in other processes: the checks and the COPY backend run on different cores, and
        this process only moves bytes. At most QUEUED blocks are out at a time: memory
        stays flat.
        """
        loop = asyncio.get_running_loop()
        executor = _executor(self.size)
        queue: deque[asyncio.Future[CheckedBlock]] = deque()
        try:
            for job in self._blocks():
                if isinstance(job, CheckedBlock):
                    done = loop.create_future()
                    done.set_result(job)
                    queue.append(done)
                else:
                    queue.append(asyncio.wrap_future(executor.submit(check_block, *job)))
                if len(queue) >= QUEUED:
                    yield self._take(await queue.popleft())
            while queue:
                yield self._take(await queue.popleft())
        finally:
            for pending in queue:
                pending.cancel()
            executor.shutdown(wait=True, cancel_futures=True)
        self._check_rejected(final=True)

    def _blocks(self) -> Iterator[tuple[bytes, int] | CheckedBlock]:
        """The file, a block of whole lines at a time: (bytes, first line) to be checked,
        or, for a block with quote characters, checked here (one row at a time: a quoted
        field may even span lines, so such rows are read with the csv module)."""
        line = 1  # the last line read
        try:
            self.f.readline()  # the header, checked before
            carry = b""
            pending: list[str] = []  # lines of a quoted row not yet closed
            pending_start = 0
            while block := self.f.read(BLOCK_BYTES):
                block = carry + block
                cut = block.rfind(b"\n") + 1
                carry = block[cut:]
                if not cut:
                    continue
                body = block[:cut]
                if not pending and b'"' not in body:
                    yield body, line + 1
                    line += body.count(b"\n")
                    continue
                out: list[str] = []
                refused: list[tuple[int, Rejection, str]] = []
                rows = 0
                text = body.decode("utf-8")
                for text_line in text.replace("\r\n", "\n")[:-1].split("\n"):
                    line += 1
                    if not pending and '"' not in text_line:
                        check_lines([text_line], line, out, refused)
                        rows += 1
                        continue
                    if not pending:
                        pending_start = line
                    pending.append(text_line)
                    if sum(t.count('"') for t in pending) % 2:
                        continue  # a quoted field goes on on the next line
                    rows += 1
                    self._quoted(pending_start, "\n".join(pending), out, refused)
                    pending.clear()
                yield CheckedBlock("".join(out).encode(), rows, refused)
            if pending or carry:
                raise MalformedExtract(
                    f"line {pending_start or line + 1}: the file ends inside a row",
                    line_no=pending_start or line + 1,
                )
        except UnicodeDecodeError as exc:
            raise MalformedExtract(
                f"line {line + 1}: not UTF-8 text ({exc.reason})", line_no=line + 1
            ) from None
        except csv.Error as exc:
            raise MalformedExtract(f"line {line}: not CSV ({exc})", line_no=line) from None

    def _take(self, checked: CheckedBlock) -> bytes:
        """A checked block's COPY input; its refusals to the spool."""
        if checked.error is not None:
            raise MalformedExtract(
                f"line {checked.error_line}: {checked.error}", line_no=checked.error_line
            )
        self.rows_read += checked.rows
        for line, why, raw in checked.refused:
            self.reject(line, why.reason, why.detail, raw)
        self.rows_loaded += checked.rows - len(checked.refused)
        self._check_rejected()
        return checked.data

    def _quoted(
        self, line: int, block: str, out: list[str], refused: list[tuple[int, Rejection, str]]
    ) -> None:
        fields = next(csv.reader(io.StringIO(block), strict=True))
        checked = check_row(fields)
        if isinstance(checked, Rejection):
            refused.append((line, checked, block))
            return
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow((line, *checked))
        out.append(buf.getvalue())

    def _check_rejected(self, *, final: bool = False) -> None:
        # Early on a few refusals say little; by the end the fraction is what it is.
        if (final or self.rows_read >= 10_000) and self.rows_rejected > max(
            10, self.max_rejected * self.rows_read
        ):
            raise TooManyRejected(
                f"{self.rows_rejected} of {self.rows_read} rows refused "
                f"(more than {self.max_rejected:.0%}): is this the right extract?",
                rows_read=self.rows_read,
                rows_rejected=self.rows_rejected,
            )


async def _refuse_duplicates(conn: asyncpg.Connection, snapshot_id: int, reader: _Reader) -> None:
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


async def import_extract(
    conn: asyncpg.Connection,
    path: Path,
    *,
    source: Source,
    snapshot_date: date,
    origin: str | None = None,
    max_rejected: float = 0.05,
    second_connection: IndexConnection | None = None,
) -> ImportReport:
    """Load `path` as the new current snapshot, or raise ExtractError (registry unchanged).

    With `second_connection` (a pool's `acquire`, say), the KK index is built on it while
    `conn` builds the NIK index: two cores instead of one for the last third of the work.
    """
    if source not in ("DTKS", "DTSEN"):
        raise ExtractError(f"source must be DTKS or DTSEN, not {source!r}")
    started = time.perf_counter()
    async with conn.transaction():
        sid = await registry.new_snapshot(
            conn, source=source, snapshot_date=snapshot_date, origin=origin or path.name
        )
    report = ImportReport(sid, source, snapshot_date)
    timings = report.timings
    table = registry.partition_name(sid)
    log.info("registry_import_started", snapshot_id=sid, source=source, file=path.name)
    # One import at a time, for the whole import (its steps are separate transactions).
    await conn.execute(registry.IMPORT_LOCK)
    try:
        await registry.drop_interrupted_imports(conn, sid)
        check_file(path)
        with (
            path.open("rb") as f,
            tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as spool,
        ):
            reader = _Reader(f, spool, max_rejected, os.fstat(f.fileno()).st_size)
            # 1. The rows, into a table of their own that no lookup sees yet.
            async with conn.transaction():
                _refuse_out_of_order(await registry.current_snapshot(conn), snapshot_date)
                await registry.create_partition(conn, sid)
                t0 = time.perf_counter()
                await conn.copy_to_table(
                    table.split(".")[1],
                    schema_name="eligibility",
                    source=reader.chunks(),
                    columns=["line_no", *registry.MEMBER_COLUMNS],
                    format="csv",
                    # The table was created in this transaction: its rows can be written
                    # frozen (no hint-bit rewrite or freezing vacuum later).
                    freeze=True,
                )
                timings["copy_s"] = time.perf_counter() - t0
            # 2. Its indexes, two at once when there is a second connection.
            t0 = time.perf_counter()
            await _index(conn, sid, reader, second_connection)
            timings["index_s"] = time.perf_counter() - t0
            if reader.rows_loaded == 0:
                raise EmptyExtract(f"{path.name} has no row that could be loaded")
            # 3. The refusals, and the swap: lookups see the old snapshot until this
            #    commits and the new one after it.
            async with conn.transaction():
                await conn.execute(registry.REGISTRY_LOCK)
                _refuse_out_of_order(await registry.current_snapshot(conn), snapshot_date)
                spool.seek(0)
                await conn.copy_to_table(
                    "registry_rejects",
                    schema_name="eligibility",
                    source=_spooled(spool, sid),
                    columns=["snapshot_id", "line_no", "reason", "detail", "raw"],
                    format="csv",
                )
                await conn.execute(f"ANALYZE {table}")
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
            async with conn.transaction():
                # Never attached (the swap is the last step): the registry is as it was.
                await conn.execute(f"DROP TABLE IF EXISTS {table}")
                await conn.execute(
                    """UPDATE eligibility.registry_snapshots
                       SET status = 'failed', error = $2, finished_at = clock_timestamp()
                       WHERE snapshot_id = $1""",
                    sid,
                    error[:2000],
                )
        log.warning("registry_import_failed", snapshot_id=sid, error=error)
        raise
    finally:
        with contextlib.suppress(Exception):
            await conn.execute(registry.IMPORT_UNLOCK)
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
    return report


def _refuse_out_of_order(current: Any, snapshot_date: date) -> None:
    if current and current["snapshot_date"] > snapshot_date:
        raise SnapshotOutOfOrder(
            f"the current snapshot is of {current['snapshot_date']}; "
            f"one of {snapshot_date} cannot supersede it",
            current_snapshot_date=current["snapshot_date"].isoformat(),
        )


async def _index(
    conn: asyncpg.Connection,
    sid: int,
    reader: _Reader,
    second_connection: IndexConnection | None,
) -> None:
    """The NIK index (unique: a NIK listed twice is refused on every line it is on) and
    the KK index, at the same time on two connections when there are two."""

    async def by_nik() -> None:
        try:
            await registry.index_nik(conn, sid)
        except asyncpg.UniqueViolationError:
            async with conn.transaction():
                await _refuse_duplicates(conn, sid, reader)
            await registry.index_nik(conn, sid)
            reader._check_rejected(final=True)

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


async def rejects(
    conn: asyncpg.Connection, snapshot_id: int, *, limit: int = 1000, after_line: int = 0
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT line_no, reason, detail, raw FROM eligibility.registry_rejects
           WHERE snapshot_id = $1 AND line_no > $2 ORDER BY line_no LIMIT $3""",
        snapshot_id,
        after_line,
        limit,
    )
    return [dict(r.items()) for r in rows]


async def load_demo(conn: asyncpg.Connection, *, only_if_empty: bool) -> int:
    """Import the synthetic demo extract; with `only_if_empty`, leave a loaded registry be."""
    if only_if_empty and await registry.current_snapshot(conn) is not None:
        return 0
    report = await import_extract(
        conn,
        registry.DEMO_CSV,
        source=registry.DEMO_SOURCE,
        snapshot_date=registry.DEMO_SNAPSHOT_DATE,
        origin="demo",
    )
    return report.rows_loaded
