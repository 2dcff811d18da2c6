"""Backup and restore (issue 18.6), end to end on the embedded stack: cases registered over
HTTP on the running stack, a `pg_dump` of its database, a restore into a fresh data
directory (a new embedded PostgreSQL), every projection refolded from the restored store by
the services' own rebuild commands (as their own database roles), and the same case views
served by casework and documents started on the restored database."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from shared.backup import RestoreRefused, backup, restore
from shared.contracts.vocab import Role
from shared.dbroles import dsn_as, role_of
from shared.devstack import Stack, start_stack
from shared.infra import Infra, start_infra
from shared.settings import REPO_ROOT
from tests.e2e.test_slices import h, wait_for

pytestmark = pytest.mark.e2e

REQUESTS = [  # synthetic people
    ("Warga Cadangan Satu", "3508014101900123", "walk_in"),
    ("Warga Cadangan Dua", "3508015202910045", "telephone"),
]


@pytest.fixture
def fresh_dir() -> Iterator[Path]:
    # Not under pytest's temp folder: as root, PostgreSQL runs as its own user.
    path = Path(tempfile.mkdtemp(prefix="slrt-restore-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _views(c: httpx.Client, urls: dict[str, str], case_id: str) -> dict[str, Any] | None:
    desk = h("lumajang", Role.FRONT_OFFICE)
    case = c.get(f"{urls['casework']}/v1/cases/{case_id}", headers=desk)
    checklist = c.get(f"{urls['documents']}/v1/cases/{case_id}/checklist", headers=desk)
    if case.status_code != 200 or checklist.status_code != 200:
        return None
    return {"case": case.json(), "checklist": checklist.json()}


def _settled(c: httpx.Client, urls: dict[str, str], case_id: str) -> dict[str, Any]:
    def settled() -> dict[str, Any] | None:
        first = _views(c, urls, case_id)
        time.sleep(1.0)
        again = _views(c, urls, case_id)
        return first if first and first == again and first["case"]["timeline"] else None

    found: dict[str, Any] = wait_for(settled, timeout=60, what="the case's views")
    return found


def _differences(a: Any, b: Any, at: str = "") -> list[str]:
    """Where two JSON values differ (paths), for a readable failure."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [
            d
            for k in sorted(set(a) | set(b))
            for d in _differences(a.get(k), b.get(k), f"{at}.{k}")
        ]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _differences(x, y, f"{at}[{i}]")
        ]
    return [] if a == b else [f"{at}: {a!r} != {b!r}"]


async def _store(dsn: str) -> tuple[int, int]:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow("SELECT count(*), max(global_position) FROM eventstore.events")
        assert row is not None
        return int(row[0]), int(row[1])
    finally:
        await conn.close()


def _rebuild(dsn: str, service: str) -> str:
    done = subprocess.run(  # noqa: S603  (our own module)
        [sys.executable, "-m", f"services.{service}", "rebuild"],
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT), "DATABASE_URL": dsn},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_backup_restored_into_a_fresh_data_directory_serves_the_same_cases(
    stack: Stack, fresh_dir: Path
) -> None:
    # 1. Cases on the running stack, and their views once settled.
    before: dict[str, dict[str, Any]] = {}
    with httpx.Client(timeout=15) as c:
        for name, nik, channel in REQUESTS:
            r = c.post(
                f"{stack.url('intake')}/v1/requests",
                headers=h("lumajang", Role.FRONT_OFFICE, staff="lmj-desk"),
                json={
                    "office": "lumajang",
                    "service": "kks-recommendation",
                    "variant": "reset-pin",
                    "channel": channel,
                    "applicant": {"name": name, "nik": nik},
                    "description": "PIN KKS terblokir.",
                    "documents_declared": ["ktp", "kks"],
                },
            )
            assert r.status_code == 201, r.text
            before[r.json()["case_id"]] = {}
        # 2. The backup: one pg_dump of the whole database, taken again should a view
        #    still have moved while it ran (eligibility's check, documents' checklist).
        for _ in range(3):
            for case_id in before:
                before[case_id] = _settled(c, stack.urls, case_id)
            events, last = asyncio.run(_store(stack.infra.database_url))
            dump = backup(stack.infra.database_url, fresh_dir / "backup" / "slrt.dump")
            if all(_views(c, stack.urls, case_id) == v for case_id, v in before.items()):
                break
        else:
            pytest.fail("the cases' views kept changing around the backup")
    assert dump.stat().st_size > 0

    # 3. A fresh data directory: a new embedded PostgreSQL (and broker), the restore.
    infra: Infra = start_infra(fresh_dir / "data", mode="embedded", ephemeral=True)
    restored: Stack | None = None
    try:
        admin = infra.database_url
        assert restore(admin, dump) == {  # nothing newer than the dump to migrate
            name: []
            for name in (
                "eventstore",
                "intake",
                "eligibility",
                "documents",
                "casework",
                "notifications",
                "dashboard",
            )
        }
        with pytest.raises(RestoreRefused, match="restore into an empty one"):
            restore(admin, dump)  # never over live data
        restored_events, restored_last = asyncio.run(_store(admin))
        assert restored_events >= events and restored_last >= last

        # 4. Every projection refolded from the restored store, each as its own role.
        out = _rebuild(dsn_as(admin, role_of("casework")), "casework")
        cases = int(re.search(r"rebuilt: \d+ events, (\d+) cases", out)[1])  # type: ignore[index]
        assert cases >= len(before), out
        out = _rebuild(dsn_as(admin, role_of("documents")), "documents")
        assert re.search(r"rebuilt: \d+ checklists", out), out

        # 5. casework and documents on the restored database serve the same views.
        restored = start_stack(
            fresh_dir / "data",
            infra=infra,
            services=("casework", "documents"),
            fixed_ports=False,
            ephemeral=True,
            timeout=120,
        )
        with httpx.Client(timeout=15) as c:
            for case_id, views in before.items():
                after = _settled(c, restored.urls, case_id)
                assert _differences(after, views) == [], case_id
    finally:
        if restored is not None:
            restored.stop()  # stops the new infrastructure too
        else:
            infra.close()
