"""Separation of duties over documents' HTTP API (issue 16, point 7): a token holding
every role of the Lumajang chain drafts a letter, and is then refused at every later step
(`same_person_twice`, 403) while other officials take them; the letter is signed by them."""

from __future__ import annotations

import asyncpg
import pytest

from services.documents.bootstrap import create_app
from shared.contracts.vocab import Role
from shared.settings import Settings
from tests.integration.test_documents_service import (
    KABID,
    SECRETARY,
    SUB,
    checklist_of,
    receive,
    register_case,
    store,  # noqa: F401 - the fixture
)
from tests.servicekit import auth, eventually, running

pytestmark = pytest.mark.integration

EVERYTHING = auth(
    "lumajang",
    Role.OFFICER,
    Role.SUB_COORDINATOR,
    Role.HEAD_OF_DIVISION,
    Role.SECRETARY,
    staff_id="lmj-all-roles",
)


async def test_one_person_cannot_draft_approve_and_sign(
    store: asyncpg.Pool,  # noqa: F811 - the fixture
    settings: Settings,
) -> None:
    case_id = await register_case(store)
    async with running(create_app(settings)) as client:
        await eventually(lambda: checklist_of(client, case_id))
        assert (await receive(client, case_id, "ktp")).status_code == 201
        assert (await receive(client, case_id, "kks", "original")).status_code == 201
        r = await client.post(f"/v1/cases/{case_id}/letters", json={}, headers=EVERYTHING)
        assert r.status_code == 201, r.text
        letter = r.json()["letter_id"]
        approve, sign = f"/v1/letters/{letter}/approve", f"/v1/letters/{letter}/sign"

        r = await client.post(approve, json={}, headers=EVERYTHING)
        assert r.status_code == 403, r.text
        error = r.json()["error"]
        assert error["code"] == "same_person_twice"
        assert error["details"]["steps_taken"] == ["draft"]

        assert (await client.post(approve, json={}, headers=SUB)).status_code == 200
        r = await client.post(approve, json={}, headers=EVERYTHING)
        assert r.status_code == 403 and r.json()["error"]["code"] == "same_person_twice"
        assert (await client.post(approve, json={}, headers=KABID)).status_code == 200

        r = await client.post(sign, headers=EVERYTHING)
        assert r.status_code == 403 and r.json()["error"]["code"] == "same_person_twice"
        r = await client.post(sign, headers=SECRETARY)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "signed" and body["drafted_by"] == "staff:lmj-all-roles"
        assert [s["actor"] for s in body["steps_done"]] == ["staff:lmj-sub", "staff:lmj-kabid"]
        assert body["signed_by"] == "staff:lmj-sec"
