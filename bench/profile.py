"""`python -m bench --profile DIR`: py-spy samples every service process while the bench's
end-to-end run goes through the system, and prints the top of each profile.

py-spy (a dev dependency) reads the processes from outside (ptrace), so the services run
unchanged; idle time (the event loop waiting) is not sampled. Each process's collapsed
stacks are kept as `DIR/<service>.txt` (open them with speedscope or flamegraph.pl); the
summary is where the CPU went by function itself ("self") and by our own code on the stack
("own", the innermost frame under `services/` or `shared/`).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:]*)(?::\d+)?\)$")
OWN = ("services/", "shared/")  # py-spy names files relative to their import root


def py_spy() -> str | None:
    """py-spy beside this interpreter (the venv's), else on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


@contextlib.contextmanager
def profiled(pids: dict[str, int], out_dir: Path | None, rate: int = 100) -> Iterator[None]:
    """py-spy records each named process (and its children: intake's workers) while the
    block runs; without `out_dir` (or without py-spy) it does nothing."""
    exe = py_spy() if out_dir is not None else None
    if out_dir is None or exe is None:
        if out_dir is not None:
            print("!! py-spy is not installed: no profile taken", flush=True)
        yield
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    recorders = {
        name: subprocess.Popen(  # noqa: S603  (py-spy, on our own processes)
            [
                exe,
                "record",
                "--pid",
                str(pid),
                "--subprocesses",
                "--rate",
                str(rate),
                "--format",
                "raw",
                "--output",
                str(out_dir / f"{name}.txt"),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in pids.items()
    }
    try:
        yield
    finally:
        for rec in recorders.values():
            rec.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
        for rec in recorders.values():
            try:
                rec.wait(30)
            except subprocess.TimeoutExpired:
                rec.kill()


def _frame(text: str) -> tuple[str, str]:
    m = _FRAME.match(text.strip())
    if not m:
        return text.strip(), ""
    return m["func"], m["file"]


def summarise(path: Path, top: int = 10) -> list[str]:
    """The top `top` functions by own samples ("self", the leaf frame; `Runner.run` there
    is the event loop's native code: uvloop and asyncpg's protocol) and our own functions
    by inclusive samples (each counted once per stack), as lines of text."""
    self_time: Counter[str] = Counter()
    own_time: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_frame(f) for f in stack.split(";")[1:]]  # [0]: py-spy's process label
        if not frames:
            continue
        func, file = frames[-1]
        self_time[f"{func} ({file})"] += count
        own = {f"{func} ({file})" for func, file in frames if file.startswith(OWN)}
        entry = ("service_main ", "serve ", "serve_workers ", "main ", "<module> ")
        own = {k for k in own if not k.startswith(entry)}
        for key in own:
            own_time[key] += count
    if not total:
        return ["(no samples)"]
    lines = [f"{total} samples; self:"]
    lines += [f"  {100 * c / total:5.1f}%  {k}" for k, c in self_time.most_common(top)]
    lines.append("our own functions, inclusive:")
    lines += [f"  {100 * c / total:5.1f}%  {k}" for k, c in own_time.most_common(top)]
    return lines
