"""Reading an extract for its import: whole-file checks, then blocks of rows for COPY.

The file is read in blocks of whole lines (`BLOCK_BYTES`); each block is checked in one
of `CHECK_PROCESSES` processes forked from the importing one (`domain/extract.py`
`check_block`), so the checks run on one core while the COPY backend runs on the other,
and this process only moves bytes. Blocks come out in file order, at most `QUEUED` of
them out at a time: memory stays flat in the file size. A block holding a quote character
(a quoted field may even span lines) is read here with the csv module, row by row.
Refused rows go to a spool file with their line number and reason, not to memory.

What the import does with the blocks (COPY, indexes, the swap) is in
`adapters/registry_copy.py`; the import itself in `service_layer/import_extract.py`.
"""

from __future__ import annotations

import asyncio
import csv
import gc
import io
import multiprocessing
import os
from collections import deque
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from services.eligibility.domain.extract import (
    HEADER,
    CheckedBlock,
    EmptyExtract,
    MalformedExtract,
    Rejection,
    TooManyRejected,
    TruncatedExtract,
    WrongHeader,
    check_block,
    check_lines,
    check_row,
    load_tables,
)
from shared import metrics

BLOCK_BYTES = 1 << 20  # about 8,000 rows of an extract per block (one COPY message)
# Processes checking blocks. One COPY backend takes a row in about the time one process
# checks it: two keep it fed, more only take cores from it.
CHECK_PROCESSES = min(2, os.cpu_count() or 1)
QUEUED = 2 * CHECK_PROCESSES + 2  # blocks out (being checked, or done and waiting)
PARALLEL_MIN_BYTES = 1 << 20  # a smaller extract is checked in a thread
REJECT_SAMPLE = 100  # refusals returned in the report; all of them are in the table
csv.field_size_limit(1 << 16)


@dataclass
class RejectedRow:
    line_no: int
    reason: str
    detail: str
    raw: str


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


class ExtractReader:
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
        self.check_rejected(final=True)

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
        metrics.registry_import_progress(
            self.rows_read, self.rows_loaded, self.rows_rejected, self.f.tell() / (self.size or 1)
        )
        self.check_rejected()
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

    def check_rejected(self, *, final: bool = False) -> None:
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
