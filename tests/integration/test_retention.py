"""The offices' retention rule (issue 16, point 1): a person whose cases are all closed for
longer than the office's `retention_years` is erased by the sweep, through the same
erasure as the data protection officer's; a recent or still-open case holds its person; a
second sweep does nothing; `slrt retention run --dry-run` (a subprocess) lists and erases
nothing. Cases are closed through casework's HTTP API today; the sweep runs "years later"
by its `as_of`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import orjson
import pytest

from services.casework.bootstrap import create_app
from shared.contracts.base import EventMetadata
from shared.contracts.events import Applicant, ComplaintRegistered
from shared.contracts.vocab import Channel, Role
from shared.eventstore.store import EventStore, read_stream, stream_version
from shared.settings import REPO_ROOT, Settings
from tests.servicekit import auth, eventually, running

pytestmark = pytest.mark.integration

OFFICE = "kupang"  # retention_years: 5 in catalogue/kupang.yaml
FO = auth(OFFICE, Role.FRONT_OFFICE, staff_id="kpg-fo")


class Office:
    def __init__(self, app: Any, client: httpx.AsyncClient, pool: asyncpg.Pool) -> None:
        self.app, self.client, self.pool = app, client, pool
        self.runtime = app.state.runtime

    async def register(self, nik: str, name: str) -> UUID:
        case_id = uuid4()
        reg = ComplaintRegistered(
            case_id=case_id,
            ticket_number=f"T-{str(case_id)[:8]}",
            office=OFFICE,
            service="public-complaint",
            variant="general",
            channel=Channel.LETTER,
            applicant=Applicant(name=name, nik=nik, phone="081200000009"),
            received_at=datetime.now(UTC),
        )
        meta = EventMetadata(case_id=case_id, office=OFFICE, actor="system:intake")
        stream = f"complaint-{case_id}"
        async with self.pool.acquire() as conn, conn.transaction():
            version = await stream_version(conn, stream)
            await EventStore("intake").append(conn, stream, version, [reg], meta)

        async def known() -> Any:
            await self.runtime.consumer.catch_up()
            return await self.row(case_id)

        await eventually(known)
        return case_id

    async def close(self, case_id: UUID) -> None:
        for path, body in (("resolve", {"outcome": "answered"}), ("close", {})):
            r = await self.client.post(f"/v1/cases/{case_id}/{path}", json=body, headers=FO)
            assert r.status_code in (200, 201), r.text
        row = await self.row(case_id)
        assert row is not None and row["stage"] == "closed"

    async def row(self, case_id: UUID) -> dict[str, Any] | None:
        async with self.pool.acquire() as conn:
            r = await conn.fetchrow("SELECT * FROM casework.cases WHERE case_id = $1", case_id)
        return dict(r) if r else None

    async def erasures(self) -> list[dict[str, Any]]:
        async with self.pool.acquire() as conn:
            ids = await conn.fetch(
                """SELECT DISTINCT stream_id FROM eventstore.events
                   WHERE event_type = 'PersonalDataErased' ORDER BY stream_id"""
            )
            found = []
            for r in ids:
                for e in await read_stream(conn, r["stream_id"]):
                    found.append({**e.data, "actor": e.actor})
        return found

    async def keys_left(self) -> int:
        async with self.pool.acquire() as conn:
            return int(
                await conn.fetchval(
                    "SELECT count(*) FROM eventstore.subjects WHERE wrapped_key IS NOT NULL"
                )
            )


@pytest.fixture
async def office(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[Office]:
    app = create_app(settings, watch_seconds=0)  # the test drives the sweep itself
    async with running(app) as client:
        yield Office(app, client, pool)


def slrt(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  (our own command line)
        [sys.executable, "-m", "shared.cli", *args],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_a_person_past_retention_is_erased_once_and_a_recent_or_open_case_holds(
    office: Office, settings: Settings
) -> None:
    # Three synthetic people: one closed case; one closed and one still open; one open.
    gone = await office.register("5371014101900011", "Warga Retensi Satu")
    await office.close(gone)
    held = await office.register("5371014101900022", "Warga Retensi Dua")
    await office.close(held)
    still_open = await office.register("5371014101900022", "Warga Retensi Dua")
    await office.register("5371014101900033", "Warga Retensi Tiga")
    keys = await office.keys_left()
    now = datetime.now(UTC)

    # Three years on, nothing is past the five years of Kupang.
    early = await office.runtime.apply_retention(now + timedelta(days=3 * 365))
    assert early.cases == []
    assert await office.erasures() == []

    # Six years on, the dry run (the command line, another process) lists and erases nothing.
    later = (now + timedelta(days=6 * 365)).date().isoformat()
    done = slrt(
        "retention", "run", "--dry-run", "--as-of", later, "--json",
        database_url=settings.database_url or "",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    listed = orjson.loads(done.stdout)
    assert listed["dry_run"] is True
    outcomes = {UUID(c["case_id"]): c["outcome"] for c in listed["cases"]}
    assert outcomes == {gone: "would_erase", held: "held"}
    assert await office.erasures() == []
    assert await office.keys_left() == keys
    assert (await office.row(gone) or {})["applicant_name"] == "Warga Retensi Satu"
    table = slrt(
        "retention", "run", "--dry-run", "--as-of", later,
        database_url=settings.database_url or "",
    )  # fmt: skip
    assert table.returncode == 0, table.stderr
    assert "0 erased, 1 would be erased, 1 held" in table.stdout

    # The sweep itself: the first person erased through the erasure, the held one kept.
    swept = await office.runtime.apply_retention(now + timedelta(days=6 * 365))
    assert {(c.case_id, c.outcome) for c in swept.cases} == {(gone, "erased"), (held, "held")}
    erased = await office.erasures()
    assert len(erased) == 1
    assert erased[0]["case_id"] == str(gone)
    assert erased[0]["retention"] is True
    assert erased[0]["erased_by"] == "system:retention"
    assert erased[0]["actor"] == "system:retention"
    assert (
        erased[0]["legal_basis"] == "retensi: kasus ditutup lebih dari 5 tahun (catalogue kupang)"
    )
    assert await office.keys_left() == keys - 1
    row = await office.row(gone)
    assert row is not None and row["applicant_name"] is None and row["stage"] == "closed"
    for case_id in (held, still_open):
        kept = await office.row(case_id)
        assert kept is not None and kept["applicant_name"] == "Warga Retensi Dua"

    # A second sweep does nothing.
    again = await office.runtime.apply_retention(now + timedelta(days=6 * 365))
    assert [(c.case_id, c.outcome) for c in again.cases] == [(held, "held")]
    assert len(await office.erasures()) == 1
    assert await office.keys_left() == keys - 1


async def test_the_runtime_sweeps_at_most_daily(office: Office) -> None:
    now = datetime.now(UTC)
    first = await office.runtime.retention_due(now)
    assert first is not None and first.dry_run is False
    assert await office.runtime.retention_due(now + timedelta(hours=23)) is None
    assert await office.runtime.retention_due(now + timedelta(hours=25)) is not None
