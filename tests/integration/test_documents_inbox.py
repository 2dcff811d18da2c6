"""The approval inbox read (`GET /v1/letters`): the office's letters waiting at a role's
step, oldest first, for staff of that office only."""

from __future__ import annotations

from functools import partial

import asyncpg
import pytest

from services.documents.bootstrap import create_app
from shared.contracts.vocab import Role
from shared.settings import Settings
from tests.integration.test_documents_service import (
    FO,
    KABID,
    OFFICER,
    SECRETARY,
    SUB,
    checklist_of,
    receive,
    register_case,
    store,
)
from tests.servicekit import auth, eventually, running

pytestmark = pytest.mark.integration

__all__ = ["store"]  # the fixture, shared with the documents service tests


async def test_letters_waiting_at_my_step_oldest_first(
    store: asyncpg.Pool, settings: Settings
) -> None:
    first, second = await register_case(store), await register_case(store)
    async with running(create_app(settings)) as client:
        letters = []
        for case_id in (first, second):
            await eventually(partial(checklist_of, client, case_id))
            assert (await receive(client, case_id, "ktp")).status_code == 201
            assert (await receive(client, case_id, "kks", "original")).status_code == 201
            r = await client.post(f"/v1/cases/{case_id}/letters", json={}, headers=OFFICER)
            assert r.status_code == 201, r.text
            letters.append(r.json()["letter_id"])

        # Both wait for the sub-coordinator, the older first; nothing for the secretary.
        r = await client.get("/v1/letters", headers=SUB)
        assert r.status_code == 200, r.text
        mine = [x["letter_id"] for x in r.json()["letters"] if x["letter_id"] in letters]
        assert mine == letters
        item = next(x for x in r.json()["letters"] if x["letter_id"] == letters[0])
        assert item["ticket_number"] == f"T-{str(first)[:8]}"
        assert item["current_step"]["role"] == "sub_coordinator" and item["waiting_since"]
        r = await client.get("/v1/letters", headers=SECRETARY)
        assert not {x["letter_id"] for x in r.json()["letters"]} & set(letters)

        # The first moves on: now the Kabid's, no longer the sub-coordinator's.
        r = await client.post(f"/v1/letters/{letters[0]}/approve", json={}, headers=SUB)
        assert r.status_code == 200, r.text
        r = await client.get("/v1/letters", headers=SUB)
        assert [x["letter_id"] for x in r.json()["letters"] if x["letter_id"] in letters] == [
            letters[1]
        ]
        r = await client.get("/v1/letters", headers=KABID)
        assert letters[0] in {x["letter_id"] for x in r.json()["letters"]}
        # A role asked for explicitly, and a status filter.
        r = await client.get(
            "/v1/letters",
            params={"waiting_for_role": "head_of_division", "status": "approved"},
            headers=FO,
        )
        assert r.status_code == 200
        assert letters[0] not in {x["letter_id"] for x in r.json()["letters"]}
        r = await client.get(
            "/v1/letters", params={"waiting_for_role": "head_of_division"}, headers=FO
        )
        assert letters[0] in {x["letter_id"] for x in r.json()["letters"]}

        # Another office's staff see nothing of Lumajang's, and cannot ask for it.
        kupang = auth("kupang", Role.SUB_COORDINATOR, staff_id="kpg-sub")
        r = await client.get("/v1/letters", headers=kupang)
        assert r.status_code == 200
        assert not {x["letter_id"] for x in r.json()["letters"]} & set(letters)
        r = await client.get("/v1/letters", params={"office": "lumajang"}, headers=kupang)
        assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_office"
        r = await client.get("/v1/letters", params={"status": "signed"}, headers=SUB)
        assert r.status_code == 422
        assert (await client.get("/v1/letters")).status_code == 401
