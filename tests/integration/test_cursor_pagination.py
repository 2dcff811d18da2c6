"""One pagination style (issue 18.7): every list pages with `?cursor=&limit=` and answers
`next_cursor`; no cursor is the first page, as before; every item comes once, ties on the
sort time included; a cursor that cannot be read (or is another list's) is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest

from services.casework.bootstrap import create_app
from shared.contracts.events import Applicant, ComplaintRegistered
from shared.contracts.vocab import Channel, Role
from shared.settings import Settings
from tests.integration.test_casework_api import append, caught_up
from tests.integration.test_documents_service import (
    OFFICER,
    SUB,
    checklist_of,
    receive,
    register_case,
    store,
)
from tests.servicekit import auth, eventually, running

pytestmark = pytest.mark.integration
__all__ = ["store"]  # the fixture, shared with the documents service tests


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


# One style on every list (issue 18.7): each service's list paged 2 at a time to the end
# gives what one unpaged read gives, in the same order, each item once.


async def page_through(
    client: httpx.AsyncClient,
    url: str,
    items: str,
    key: str,
    headers: dict[str, str],
    **params: str,
) -> list[Any]:
    """`url` read 2 at a time to its last page: the `key` of every item, and checks that
    the unpaged read (no cursor, no limit) holds the same, in the same order."""
    whole = await client.get(url, params=params, headers=headers)
    assert whole.status_code == 200, whole.text
    assert whole.json()["next_cursor"] is None
    seen: list[Any] = []
    cursor: str | None = None
    pages = 0
    while True:
        r = await client.get(
            url,
            params={**params, "limit": "2", **({"cursor": cursor} if cursor else {})},
            headers=headers,
        )
        assert r.status_code == 200, r.text
        page = r.json()[items]
        assert len(page) <= 2
        seen += [x[key] for x in page]
        pages += 1
        cursor = r.json()["next_cursor"]
        if cursor is None:
            break
        assert len(page) == 2
    assert seen == [x[key] for x in whole.json()[items]]
    assert len(set(map(str, seen))) == len(seen)
    assert pages >= (len(seen) + 1) // 2
    r = await client.get(url, params={**params, "cursor": "eyJ4IjoxfQ"}, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "cursor_invalid"
    return seen


async def test_intake_lists_page_by_cursor(settings: Settings) -> None:
    from services.intake.bootstrap import create_app as intake_app
    from tests.integration.test_intake_requests import LUMAJANG_DESK, request_body

    async with running(intake_app(settings)) as client:
        for n in range(5):
            body = request_body(description=f"PIN KKS terblokir ({n}).")
            r = await client.post("/v1/requests", json=body, headers=LUMAJANG_DESK)
            assert r.status_code == 201, r.text
        seen = await page_through(client, "/v1/inbound", "items", "id", LUMAJANG_DESK)
        assert len(seen) == 5
        visits = []
        desk = auth("lumajang", Role.RECEPTIONIST, staff_id="lmj-rcp-01")
        for n in range(3):
            r = await client.post(
                "/v1/desk/visits",
                json={"name": f"Tamu Contoh {n}", "purpose": "Pengaduan", "id_card_left": "ktp"},
                headers=desk,
            )
            assert r.status_code == 201, r.text
            visits.append(r.json()["visit_id"])
        assert await page_through(client, "/v1/desk/visits", "items", "visit_id", desk) == visits
        assert await page_through(client, "/v1/desk/id-cards", "items", "visit_id", desk) == visits


async def test_eligibility_lists_page_by_cursor(settings: Settings, tmp_path: Path) -> None:
    from services.eligibility.synthetic import write_extract
    from tests.integration.test_eligibility_checks import eligibility_app

    # Mataram's registry administrator loads Mataram's households (52.71) only.
    admin = auth("mataram", Role.REGISTRY_ADMIN, staff_id="adm-1")
    extract = tmp_path / "extract.csv"
    write_extract(extract, 500, seed=3, bad_every=100, regions=("52.71",))
    async with running(eligibility_app(settings, demo_data=False)) as client:
        r = await client.post(
            "/v1/registry/imports",
            params={"source": "DTKS", "snapshot_date": "2025-06-30"},
            content=extract.read_bytes(),
            headers={**admin, "Content-Type": "text/csv"},
        )
        assert r.status_code == 200, r.text
        snapshot_id = r.json()["snapshot_id"]
        for month in ("07", "08"):  # two refused extracts: snapshots that failed
            r = await client.post(
                "/v1/registry/imports",
                params={"source": "DTKS", "snapshot_date": f"2025-{month}-31"},
                content=b"nik,kk\n",
                headers={**admin, "Content-Type": "text/csv"},
            )
            assert r.status_code == 422
        snapshots = await page_through(
            client, "/v1/registry/snapshots", "snapshots", "snapshot_id", admin
        )
        assert len(snapshots) == 3 and snapshots == sorted(snapshots, reverse=True)
        url = f"/v1/registry/snapshots/{snapshot_id}/rejects"
        lines = await page_through(client, url, "rejects", "line_no", admin)
        assert lines == [101, 201, 301, 401, 501]
        # The old way still works (deprecated): after_line.
        r = await client.get(url, params={"after_line": "201", "limit": "2"}, headers=admin)
        assert [x["line_no"] for x in r.json()["rejects"]] == [301, 401]


async def test_casework_work_lists_page_by_cursor(settings: Settings, pool: asyncpg.Pool) -> None:
    app = create_app(settings)
    async with running(app) as client:
        for n in range(5):
            case_id = uuid4()
            event = registration(case_id, n, hour=1 + n % 2)
            await append(pool, "intake", f"complaint-{case_id}", [event], case_id, "mataram")
        await caught_up(app.state.runtime, lambda: _count_is(pool, 5))
        fo = auth("mataram", Role.FRONT_OFFICE)
        queue = await page_through(client, "/v1/work/queue", "cases", "case_id", fo)
        assert len(queue) == 5
        await page_through(client, "/v1/work/deadlines", "cases", "case_id", fo)


async def test_documents_letters_waiting_page_by_cursor(
    store: asyncpg.Pool, settings: Settings
) -> None:
    from services.documents.bootstrap import create_app as documents_app

    cases = [await register_case(store) for _ in range(3)]
    async with running(documents_app(settings)) as client:
        letters = []
        for case_id in cases:
            await eventually(partial(checklist_of, client, case_id))
            assert (await receive(client, case_id, "ktp")).status_code == 201
            assert (await receive(client, case_id, "kks", "original")).status_code == 201
            r = await client.post(f"/v1/cases/{case_id}/letters", json={}, headers=OFFICER)
            assert r.status_code == 201, r.text
            letters.append(r.json()["letter_id"])
        assert await page_through(client, "/v1/letters", "letters", "letter_id", SUB) == letters


async def test_notifications_lists_page_by_cursor(settings: Settings, pool: asyncpg.Pool) -> None:
    from services.notifications.bootstrap import create_app as notifications_app
    from tests.integration.test_notifications_service import append as append_events
    from tests.integration.test_notifications_service import caught_up as caught
    from tests.integration.test_notifications_service import messages
    from tests.integration.test_notifications_service import registration as registered

    app = notifications_app(settings)
    async with running(app) as client:
        cases = [uuid4() for _ in range(3)]
        for case_id in cases:
            event = registered(case_id, channel=Channel.TELEPHONE)
            await append_events(pool, "intake", [event], case_id, "lumajang")

        async def all_kept() -> bool:
            return all([await messages(pool, c) for c in cases])

        await caught(app.state.runtime, all_kept)
        fo = auth("lumajang", Role.FRONT_OFFICE)
        tasks = await page_through(client, "/v1/tasks", "tasks", "case_id", fo, kind="call_back")
        assert tasks == [str(c) for c in cases]
