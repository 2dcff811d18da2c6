"""`make up` as an engineer lives it (issue 12, point 8): its launcher on a data directory
of its own, a case registered over HTTP, Ctrl-C, then `rebuild` with no DATABASE_URL (the
command starts the stopped database itself and stops it again), `make up` again with the
same views, `rebuild` while it runs, and the services' logs kept under `<data dir>/logs/`.

Not the session `stack`: this test owns the whole launcher, its embedded PostgreSQL and
broker included, exactly as `make up` starts them (only the ports are free ones)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.contracts.vocab import Role
from shared.kafka import SERVICES
from shared.localdb import running_database
from shared.settings import REPO_ROOT, Settings
from tests.e2e.test_slices import h, wait_for

pytestmark = pytest.mark.e2e

NIK = "3508014101900087"  # synthetic: Lumajang 35.08.01, a woman born 01-01-1990
LAUNCH = (
    "import sys, pathlib, shared.devstack as d; d.up(pathlib.Path(sys.argv[1]), fixed_ports=False)"
)
BANNER = re.compile(r"^\s+(\w+)\s+(http://127\.0\.0\.1:\d+)\s")


def _env(data_dir: Path) -> dict[str, str]:
    """A developer's shell: no addresses set, `make up`'s defaults, this data directory.
    The staff-token key pair stays the test session's, so the tokens this test mints are
    the launcher's too (left alone, `make up` makes a pair of its own under `keys/`)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS", "KAFKA_TOPIC_PREFIX")
        and (not k.startswith("SLRT_") or k.startswith("SLRT_JWT_"))
    }
    return {**env, "SLRT_DATA_DIR": str(data_dir), "SLRT_INFRA": "embedded"}


@dataclass
class Launcher:
    """`make up`'s launcher (`shared.devstack.up`) in its own process, as a terminal runs it."""

    proc: subprocess.Popen[bytes]
    lines: list[str] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)

    def read(self) -> None:
        assert self.proc.stdout is not None
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode(errors="replace")
            self.lines.append(line)
            if m := BANNER.match(line):
                self.urls[m[1]] = m[2]

    def output(self) -> str:
        return "".join(self.lines)

    def stop(self) -> None:
        """Ctrl-C."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """`make up`'s data directory. Not under pytest's base temp directory: pytest makes that
    owner-only at each session start, and PostgreSQL runs as its own user when we are root."""
    path = Path(tempfile.mkdtemp(prefix="slrt-make-up-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def launch(data_dir: Path) -> Iterator[Any]:
    started: list[Launcher] = []

    def start() -> Launcher:
        proc = subprocess.Popen(  # noqa: S603  (our own launcher)
            [sys.executable, "-c", LAUNCH, str(data_dir)],
            cwd=REPO_ROOT,
            env=_env(data_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        launcher = Launcher(proc)
        started.append(launcher)
        threading.Thread(target=launcher.read, daemon=True).start()
        deadline = time.monotonic() + 180
        while set(launcher.urls) < set(SERVICES):
            assert proc.poll() is None, launcher.output()[-4000:]
            assert time.monotonic() < deadline, launcher.output()[-4000:]
            time.sleep(0.2)
        return launcher

    yield start
    for launcher in started:
        launcher.stop()


def _rebuild(data_dir: Path, *command: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(  # noqa: S603  (our own commands)
        [sys.executable, "-m", *command],
        cwd=REPO_ROOT,
        env=_env(data_dir),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _views(c: httpx.Client, urls: dict[str, str], case_id: str) -> dict[str, Any]:
    desk = h("lumajang", Role.FRONT_OFFICE)
    case = c.get(f"{urls['casework']}/v1/cases/{case_id}", headers=desk)
    checklist = c.get(f"{urls['documents']}/v1/cases/{case_id}/checklist", headers=desk)
    if case.status_code != 200 or checklist.status_code != 200:
        return {}
    return {"case": case.json(), "checklist": checklist.json()}


def _settled(c: httpx.Client, urls: dict[str, str], case_id: str) -> dict[str, Any]:
    """The case's views once nothing more happens to them (two reads a second apart agree)."""

    def settled() -> dict[str, Any] | None:
        first = _views(c, urls, case_id)
        time.sleep(1.0)
        again = _views(c, urls, case_id)
        return first if first and first == again else None

    result: dict[str, Any] = wait_for(settled, timeout=60, what="the case's views to settle")
    return result


def test_rebuild_after_ctrl_c_needs_no_url_and_logs_are_kept(launch: Any, data_dir: Path) -> None:
    pgdata = data_dir / "pg"

    # 1. `make up`; the front office registers a walk-in request.
    first = launch()
    with httpx.Client(timeout=10) as c:
        r = c.post(
            f"{first.urls['intake']}/v1/requests",
            headers=h("lumajang", Role.FRONT_OFFICE, staff="lmj-desk"),
            json={
                "office": "lumajang",
                "service": "kks-recommendation",
                "variant": "reset-pin",
                "channel": "walk_in",
                "applicant": {"name": "Warga Contoh Operasi", "nik": NIK},
                "description": "PIN KKS terblokir.",
                "documents_declared": ["ktp", "kks"],
            },
        )
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]
        before = _settled(c, first.urls, case_id)
    assert before["case"]["case_id"] == case_id and before["case"]["timeline"]

    # 2. Ctrl-C: services, broker and database stop.
    first.stop()
    assert first.proc.returncode is not None and "stopped." in first.output()
    assert running_database(pgdata) is None

    # 3. The rebuild commands, as typed after Ctrl-C: no DATABASE_URL anywhere.
    done = _rebuild(data_dir, "services.casework", "rebuild")
    assert "`make up` is not running; starting its database" in done.stderr
    assert "database stopped again" in done.stderr
    assert re.search(r"rebuilt: [1-9]\d* events, 1 cases", done.stdout), done.stdout
    done = _rebuild(data_dir, "shared.cli", "rebuild", "documents")
    assert "starting its database" in done.stderr and "stopped again" in done.stderr
    assert "rebuilt: 1 checklists" in done.stdout, done.stdout
    assert running_database(pgdata) is None  # left as it was found: stopped

    # 4. `make up` again: the rebuilt views are the ones staff saw before.
    second = launch()
    with httpx.Client(timeout=10) as c:
        assert _settled(c, second.urls, case_id) == before
        # 5. While it runs, `slrt rebuild` uses its database and leaves it running.
        done = _rebuild(data_dir, "shared.cli", "rebuild")
        assert "using the database of the running `make up`" in done.stderr
        assert done.stdout.count("rebuilt:") == 2, done.stdout
        assert running_database(pgdata) is not None
        assert _settled(c, second.urls, case_id) == before
    second.stop()

    # 6. Each service's lines went to the terminal and to <data dir>/logs/<service>.log.
    for name in SERVICES:
        log = (data_dir / "logs" / f"{name}.log").read_text()
        # Both runs, appended; intake logs it once per worker (SLRT_INTAKE_WORKERS).
        per_run = Settings().slrt_intake_workers if name == "intake" else 1
        assert log.count("service_started") == 2 * per_run, (name, log[-2000:])
        assert f"service={name}" in log and "service_stopped" in log
        assert "\x1b[" not in log  # colours are for the terminal only
        assert any("service_started" in x and name in x for x in first.lines), name
    assert case_id in (data_dir / "logs" / "casework.log").read_text()  # lines carry the case
