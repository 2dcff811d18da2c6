"""Progress of a long operator's command (a rebuild): a bar on a terminal, log lines
otherwise.

On a terminal (stderr is a tty) a `rich` progress bar counts up to the total; anywhere
else (a pipe, a file, a test, a container's log) the same progress is a structured log
line (`progress`, with `task`, `done`, `total`, `per_s`) at most every `every` seconds,
and one at the end. `rich` is already in the lock (typer's bar and help use it), so the
bar costs no new dependency.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from shared.logging import get_logger

log = get_logger(__name__)


class Progress(Protocol):
    """What a long loop reports to: how far it is, out of `total`."""

    def total(self, total: int) -> None: ...

    def update(self, done: int, **fields: Any) -> None: ...


class NoProgress:
    """Reports nowhere (a caller that asked for no progress)."""

    def total(self, total: int) -> None:
        return None

    def update(self, done: int, **fields: Any) -> None:
        return None


class LoggedProgress:
    """Progress as structured log lines, at most one every `every` seconds."""

    def __init__(self, task: str, *, every: float = 2.0) -> None:
        self.task = task
        self.every = every
        self._total = 0
        self._done = 0
        self._fields: dict[str, Any] = {}
        self._started = time.perf_counter()
        self._last = self._started

    def total(self, total: int) -> None:
        self._total = total

    def update(self, done: int, **fields: Any) -> None:
        self._done = done
        self._fields = fields
        now = time.perf_counter()
        if now - self._last >= self.every:
            self._last = now
            self._log("progress")

    def finish(self) -> None:
        self._log("progress_done")

    def _log(self, event: str) -> None:
        elapsed = time.perf_counter() - self._started
        log.info(
            event,
            task=self.task,
            done=self._done,
            total=self._total,
            per_s=round(self._done / elapsed, 1) if elapsed > 0 else None,
            elapsed_s=round(elapsed, 2),
            **self._fields,
        )


class BarProgress:
    """Progress as a `rich` bar on the terminal (stderr)."""

    def __init__(self, task: str) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        self._bar = RichProgress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self._task = self._bar.add_task(task, total=None)
        self._bar.start()

    def total(self, total: int) -> None:
        self._bar.update(self._task, total=total)

    def update(self, done: int, **fields: Any) -> None:
        self._bar.update(self._task, completed=done)

    def finish(self) -> None:
        self._bar.stop()


@contextmanager
def progress(
    task: str, *, tty: bool | None = None, every: float = 2.0
) -> Iterator[LoggedProgress | BarProgress]:
    """`with progress("casework rebuild") as p:` a bar on a terminal, log lines otherwise
    (`tty` None: whether stderr is a terminal)."""
    on_terminal = sys.stderr.isatty() if tty is None else tty
    reporter: LoggedProgress | BarProgress = (
        BarProgress(task) if on_terminal else LoggedProgress(task, every=every)
    )
    try:
        yield reporter
    finally:
        reporter.finish()
