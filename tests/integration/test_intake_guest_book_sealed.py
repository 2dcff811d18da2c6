"""The walk-in desk's guest book (buku tamu) sealed at rest (issue 16, point 1): the
visitor's name, phone, NIK and purpose, which intake keeps in `intake.visits` (no event
carries the first three), are ciphertext under the visit's subject key; the desk reads them
in clear through the API; once the case the visit became is erased, they read `[dihapus]`
and no table holds them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from uuid import UUID

import asyncpg
import httpx
import pytest

from services.casework.bootstrap import create_app as casework_app
from services.intake.bootstrap import create_app as intake_app
from shared.contracts.vocab import Role
from shared.infra import free_port
from shared.personal import ERASED_TEXT
from shared.settings import Settings
from tests.integration.test_intake_identity_hashed import DPO, Office, clear_in_intake
from tests.sealed_rows import erase_when_known
from tests.servicekit import auth, eventually, running

pytestmark = pytest.mark.integration

OFFICE = "kupang"
NAME, PHONE, NIK = "Tamu Tersegel Sintetis", "081299990066", "5371019912990066"
PURPOSE = "Menanyakan bantuan PKH yang terhenti"
DESK = auth(OFFICE, Role.FRONT_OFFICE, Role.RECEPTIONIST, staff_id="kpg-desk-tamu")


@pytest.fixture
async def office(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[Office]:
    async with AsyncExitStack() as stack:
        apps = [
            intake_app(settings.model_copy(update={"slrt_smtp_port": free_port()})),
            casework_app(settings),
        ]
        for app in apps:
            app.state.runtime.catch_up_seconds = 1.0
        intake, casework = [await stack.enter_async_context(running(app)) for app in apps]
        yield Office(intake, casework, pool)


async def visits(client: httpx.AsyncClient) -> list[dict[str, object]]:
    got = await client.get("/v1/desk/visits", headers=DESK)
    assert got.status_code == 200, got.text
    items: list[dict[str, object]] = got.json()["items"]
    return items


async def test_the_guest_book_is_sealed_served_and_erased_with_the_case(office: Office) -> None:
    signed = await office.intake.post(
        "/v1/desk/visits",
        json={"name": NAME, "phone": PHONE, "nik": NIK, "purpose": PURPOSE, "id_card_left": "ktp"},
        headers=DESK,
    )
    assert signed.status_code == 201, signed.text
    visit_id = signed.json()["visit_id"]
    assert await clear_in_intake(office.pool, NAME, PHONE, NIK, PURPOSE) == []
    assert await clear_in_intake(office.pool, signed.json()["queue_number"]) != []
    async with office.pool.acquire() as conn:
        subject = await conn.fetchval(
            "SELECT subject_id FROM intake.visits WHERE id = $1", UUID(visit_id)
        )
    assert subject is not None
    (visit,) = await visits(office.intake)
    assert (visit["visitor_name"], visit["purpose"]) == (NAME, PURPOSE)
    (held,) = (await office.intake.get("/v1/desk/id-cards", headers=DESK)).json()["items"]
    assert held["visitor_name"] == NAME

    # The visit becomes a case; the case's person is erased: so is the guest book's entry.
    r = await office.intake.post(
        "/v1/requests",
        json={
            "office": OFFICE,
            "service": "public-complaint",
            "channel": "walk_in",
            "applicant": {"name": NAME, "phone": PHONE, "nik": NIK},
            "description": PURPOSE,
            "visit_id": visit_id,
        },
        headers=DESK,
    )
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]

    await erase_when_known(office.casework, case_id, reader=DPO, officer=DPO)

    async def blanked() -> bool:
        async with office.pool.acquire() as conn:
            name = await conn.fetchval(
                "SELECT visitor_name FROM intake.visits WHERE id = $1", UUID(visit_id)
            )
        return bool(name == ERASED_TEXT)

    await eventually(blanked, timeout=30)
    (visit,) = await visits(office.intake)
    assert (visit["visitor_name"], visit["purpose"]) == (ERASED_TEXT, ERASED_TEXT)
    assert visit["case_id"] == case_id
    assert await clear_in_intake(office.pool, NAME, PHONE, NIK, PURPOSE) == []
