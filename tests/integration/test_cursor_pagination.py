"""One pagination style (issue 18.7): casework's `/v1/cases` pages with `?cursor=&limit=`
and answers `next_cursor`; no cursor is the first page, as before; every case comes once,
ties on the opening time included; a cursor that cannot be read is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import asyncpg
import pytest

from services.casework.bootstrap import create_app
from shared.contracts.events import Applicant, ComplaintRegistered
from shared.contracts.vocab import Channel, Role
from shared.settings import Settings
from tests.integration.test_casework_api import append, caught_up
from tests.servicekit import auth, running

pytestmark = pytest.mark.integration


def registration(case_id: UUID, n: int, hour: int) -> ComplaintRegistered:
    return ComplaintRegistered(
        case_id=case_id,
        ticket_number=f"MTR-2026-0001{n:02d}",
        office="mataram",
        service="lk3-consultation",
        variant="family-counselling",
        channel=Channel.WALK_IN,
        applicant=Applicant(name=f"Warga Contoh {n}", nik=f"52710141019000{n:02d}"),
        description="Konsultasi keluarga (contoh).",
        received_at=datetime(2026, 3, 2, hour, 0, tzinfo=UTC),
    )


async def _count(pool: asyncpg.Pool) -> int:
    async with pool.acquire() as conn:
        return int(await conn.fetchval("SELECT count(*) FROM casework.cases"))


async def test_cases_page_by_cursor(settings: Settings, pool: asyncpg.Pool) -> None:
    app = create_app(settings)
    async with running(app) as client:
        ids = [uuid4() for _ in range(5)]
        for n, case_id in enumerate(ids):
            event = registration(case_id, n, hour=1 + n % 2)  # two opening times: ties
            await append(pool, "intake", f"complaint-{case_id}", [event], case_id, "mataram")
        runtime = app.state.runtime
        await caught_up(runtime, lambda: _count_is(pool, 5))
        fo = auth("mataram", Role.FRONT_OFFICE)

        everything = (await client.get("/v1/cases", headers=fo)).json()
        assert everything["next_cursor"] is None and len(everything["cases"]) == 5

        seen: list[str] = []
        cursor: str | None = None
        pages = 0
        while True:
            params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
            r = await client.get("/v1/cases", params=params, headers=fo)
            assert r.status_code == 200, r.text
            body = r.json()
            seen += [c["case_id"] for c in body["cases"]]
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert pages == 3
        assert seen == [c["case_id"] for c in everything["cases"]]  # same order, each once
        assert sorted(seen) == sorted(str(i) for i in ids)

        for bad in ("not-a-cursor!", "eyJ4IjoxfQ"):  # garbage; a cursor of another list
            r = await client.get("/v1/cases", params={"cursor": bad}, headers=fo)
            assert r.status_code == 422 and r.json()["error"]["code"] == "cursor_invalid"


async def _count_is(pool: asyncpg.Pool, n: int) -> bool:
    return await _count(pool) == n
