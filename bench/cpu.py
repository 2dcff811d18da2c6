"""CPU seconds spent per part of the system during a bench phase (psutil).

Issue 15 asks the whole pipeline to keep pace with intake alone on this machine. On a
machine of few cores that is a question of CPU accounting before it is one of code: if
the four other services, PostgreSQL and the broker together spend more CPU on a complaint
than intake and PostgreSQL spend on its registration, the pipeline cannot keep pace with
intake alone on the same cores, however it is written. This meter makes that visible: CPU
seconds per group (each service with its worker processes, PostgreSQL's server
processes, the broker, the bench itself), from a snapshot before a phase to one after.

Processes that start during a phase count from zero; ones that exit during it are lost
(PostgreSQL backends of pooled connections live as long as their pools, so little is).
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import unquote

import psutil

BROKER_NAMES = ("tansu", "kafka", "redpanda", "calfkit", "broker")


def _cpu(p: psutil.Process) -> tuple[int, float] | None:
    try:
        t = p.cpu_times()
        return p.pid, t.user + t.system
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


def postmaster_of(dsn: str) -> psutil.Process | None:
    """The embedded PostgreSQL's server process: its data directory (`-D`) is the socket
    directory named in the DSN. None for a server elsewhere (its CPU is then not counted)."""
    where = unquote(dsn)
    for p in psutil.process_iter(["name", "cmdline"]):
        cmd = p.info["cmdline"] or []
        if "postgres" in (p.info["name"] or "") and "-D" in cmd:
            data_dir = cmd[cmd.index("-D") + 1] if cmd.index("-D") + 1 < len(cmd) else ""
            if data_dir and data_dir in where:
                return p
    return None


@dataclass
class CpuMeter:
    services: dict[str, int]  # service name -> its process id
    dsn: str = ""  # the database's address: its embedded server's processes are counted

    def _groups(self) -> dict[str, list[psutil.Process]]:
        groups: dict[str, list[psutil.Process]] = defaultdict(list)
        owned: set[int] = set()
        for name, pid in self.services.items():
            try:
                proc = psutil.Process(pid)
                tree = [proc, *proc.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
            groups[name] = tree
            owned.update(p.pid for p in tree)
        postmaster = postmaster_of(self.dsn) if self.dsn else None
        if postmaster is not None:
            with contextlib.suppress(psutil.NoSuchProcess):
                groups["postgres"] = [postmaster, *postmaster.children(recursive=True)]
        me = psutil.Process()
        groups["bench"] = [me]
        for p in me.children(recursive=True):
            if p.pid in owned:
                continue
            try:
                name = p.name().lower()
            except psutil.Error:
                continue
            if any(b in name for b in BROKER_NAMES):
                groups["broker"].append(p)
        return groups

    def snapshot(self) -> dict[str, dict[int, float]]:
        out: dict[str, dict[int, float]] = {}
        for group, procs in self._groups().items():
            out[group] = dict(c for p in procs if (c := _cpu(p)) is not None)
        return out

    @staticmethod
    def spent(
        before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]
    ) -> dict[str, float]:
        """CPU seconds per group between two snapshots."""
        spent: dict[str, float] = {}
        for group, now in after.items():
            then = before.get(group, {})
            spent[group] = sum(t - then.get(pid, 0.0) for pid, t in now.items())
        return spent
