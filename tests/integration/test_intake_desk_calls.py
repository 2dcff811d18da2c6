"""`POST /v1/desk/visits/{id}/call` over real PostgreSQL: the call is kept on the guest
book (`called_at`) and as `VisitCalled` on the visit's stream; a second call is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID

import asyncpg
import httpx
import pytest

from services.intake.bootstrap import create_app
from shared.contracts.streams import visit_stream
from shared.contracts.vocab import Role
from shared.eventstore.store import read_stream
from shared.settings import Settings
from tests.servicekit import auth, running

pytestmark = pytest.mark.integration

DESK = auth("kupang", Role.RECEPTIONIST, staff_id="kpg-rc-01")
LUMAJANG = auth("lumajang", Role.FRONT_OFFICE, staff_id="lmj-fo-01")
OFFICER = auth("kupang", Role.OFFICER, staff_id="kpg-of-01")


@pytest.fixture
async def intake(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running(create_app(settings)) as client:
        yield client


async def test_reception_calls_a_number_once_and_the_guest_book_shows_it(
    intake: httpx.AsyncClient, pool: asyncpg.Pool
) -> None:
    made = [
        (await intake.post("/v1/desk/visits", json={"name": n, "purpose": "Tanya"}, headers=DESK))
        for n in ("Tamu Satu", "Tamu Dua")
    ]
    first, second = (m.json()["visit_id"] for m in made)
    r = await intake.post(f"/v1/desk/visits/{first}/call", headers=DESK)
    assert r.status_code == 200, r.text
    assert r.json() == {"visit_id": first, "queue_number": "A-001", "status": "called"}

    again = await intake.post(f"/v1/desk/visits/{first}/call", headers=DESK)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_called")
    elsewhere = await intake.post(f"/v1/desk/visits/{second}/call", headers=LUMAJANG)
    assert (elsewhere.status_code, elsewhere.json()["error"]["code"]) == (403, "wrong_office")
    not_desk = await intake.post(f"/v1/desk/visits/{second}/call", headers=OFFICER)
    assert not_desk.status_code == 403

    day = (await intake.get("/v1/desk/visits", headers=DESK)).json()["items"]
    assert [(v["queue_number"], v["called_at"] is not None) for v in day] == [
        ("A-001", True),
        ("A-002", False),
    ]
    async with pool.acquire() as conn:
        stream = await read_stream(conn, visit_stream(UUID(first)))
    assert [e.event_type for e in stream] == ["GuestBookSigned", "VisitCalled"]
    assert stream[-1].office == "kupang"
