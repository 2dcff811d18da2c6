"""No request body is read before the caller is let in, and every body FastAPI parses is
bounded while it streams (issue 16, point 10), over each of the five services' HTTP APIs
on the real database and broker (`shared.door`).

A body is streamed in 1 MiB chunks (chunked: no Content-Length) by a generator that counts
what was pulled: without a token, with a bad one, or with a role the route declares it
does not take, the answer is 401 (403) and nothing was pulled; a body far over the limit
with a good token is 413 `payload_too_large` once past the limit, not at its end; a
declared Content-Length over the limit is 413 before a byte is read; an ordinary request
still works.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import uuid4

import httpx
import pytest

from services.casework.bootstrap import create_app as casework_app
from services.documents.bootstrap import create_app as documents_app
from services.eligibility.bootstrap import create_app as eligibility_app
from services.intake.bootstrap import create_app as intake_app
from services.notifications.bootstrap import create_app as notifications_app
from services.portal.bootstrap import FORM_MAX_BYTES as PORTAL_FORM_MAX_BYTES
from services.portal.bootstrap import create_app as portal_app
from shared.contracts.vocab import Role
from shared.door import JSON_BODY_MAX_BYTES
from shared.internal_api import internal_headers
from shared.settings import Settings
from tests.servicekit import auth, running

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
JSON = {"Content-Type": "application/json"}
BAD_TOKEN = {"Authorization": "Bearer not.a.token"}
ANALYST = auth("lumajang", Role.ANALYST, staff_id="lmj-analyst-door")


class Counted:
    """A JSON body streamed as `{"reason": "xxx…"}`, `size_mib` MiB of padding in 1 MiB
    chunks; `pulled` counts the chunks the server asked for."""

    def __init__(self, size_mib: int, field: str = "reason") -> None:
        self.size_mib, self.field, self.pulled = size_mib, field, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.pulled += 1
        yield f'{{"{self.field}": "'.encode()
        for _ in range(self.size_mib):
            self.pulled += 1
            yield b"x" * MiB
        yield b'"}'


async def _door_holds(
    client: httpx.AsyncClient,
    url: str,
    good: dict[str, str],
    field: str = "reason",
    wrong_role: dict[str, str] | None = None,
) -> None:
    """The refusals at one staff route: no token, a bad token (401), a role the route
    declares it does not take (403), each with nothing pulled; a good token with a body
    far over the limit, chunked or declared (413)."""
    refusals = [({}, 401, "token_missing"), (BAD_TOKEN, 401, "token_invalid")]
    if wrong_role is not None:
        refusals.append((wrong_role, 403, "wrong_role"))
    for headers, status, code in refusals:
        body = Counted(100, field)
        r = await client.post(url, content=body, headers={**JSON, **headers})
        assert r.status_code == status, r.text
        assert r.json()["error"]["code"] == code
        assert body.pulled == 0  # not a byte of the 100 MiB read, let alone parsed

    body = Counted(100, field)
    r = await client.post(url, content=body, headers={**JSON, **good})
    assert r.status_code == 413, r.text
    error = r.json()["error"]
    assert error["code"] == "payload_too_large"
    assert error["details"]["max_bytes"] == JSON_BODY_MAX_BYTES
    assert body.pulled <= 3  # refused once past 1 MiB, not at the end of 100

    body = Counted(100, field)
    declared = {**JSON, **good, "Content-Length": str(100 * MiB + 20)}
    r = await client.post(url, content=body, headers=declared)
    assert r.status_code == 413, r.text
    assert r.json()["error"]["details"]["size_at_least"] == 100 * MiB + 20
    assert body.pulled == 0  # the declared length is enough


async def test_intake(settings: Settings) -> None:
    desk = auth("lumajang", Role.RECEPTIONIST, staff_id="lmj-rcp-door")
    async with running(intake_app(settings)) as client:
        await _door_holds(client, "/v1/desk/visits", desk, field="purpose", wrong_role=ANALYST)
        r = await client.post(
            "/v1/desk/visits", json={"name": "Tamu Uji", "purpose": "Tanya PKH"}, headers=desk
        )
        assert r.status_code == 201, r.text

        # The internal API's key is checked before its body, like a token.
        url = "/v1/internal/check-codes/verify"
        body = Counted(100, "office")
        r = await client.post(url, content=body, headers=JSON)
        assert r.status_code == 401 and r.json()["error"]["code"] == "internal_key_invalid"
        assert body.pulled == 0
        question = {"office": "lumajang", "ticket_number": "LMJ-0", "code": "x"}
        r = await client.post(url, json=question, headers=internal_headers())
        assert r.status_code == 404, r.text


async def test_eligibility(settings: Settings) -> None:
    admin = auth("lumajang", Role.REGISTRY_ADMIN, staff_id="lmj-reg-door")
    desk = auth("lumajang", Role.FRONT_OFFICE, staff_id="lmj-fo-door")
    member = {
        "nik": "3508010303800172",  # synthetic
        "kk_number": "3508010101100172",
        "name": "Warga Uji Pintu",
        "region_code": "35.08.01.2001",
        "snapshot_date": "2025-09-30",
    }
    async with running(eligibility_app(settings, demo_data=False)) as client:
        await _door_holds(client, "/v1/registry/members", admin, field="members", wrong_role=desk)
        r = await client.post("/v1/registry/members", json={"members": [member]}, headers=admin)
        assert r.status_code == 200 and r.json() == {"upserted": 1}, r.text


async def test_documents(settings: Settings) -> None:
    official = auth("lumajang", Role.HEAD_OF_OFFICE, staff_id="lmj-head-door")
    url = f"/v1/letters/{uuid4()}/approve"
    async with running(documents_app(settings)) as client:
        await _door_holds(client, url, official, field="comment")
        # Through the door: the body parsed, the route answered (no such letter).
        r = await client.post(url, json={"comment": "Setuju"}, headers=official)
        assert r.status_code == 404, r.text


async def test_casework(settings: Settings) -> None:
    desk = auth("lumajang", Role.FRONT_OFFICE, staff_id="lmj-fo-door")
    url = f"/v1/cases/{uuid4()}/take-up"
    async with running(casework_app(settings)) as client:
        await _door_holds(client, url, desk, wrong_role=ANALYST)
        r = await client.post(url, json={"reason": "Diterima"}, headers=desk)
        assert r.status_code == 404, r.text

        # The citizen's survey door takes no token, but its body is bounded all the same.
        body = Counted(100, "ticket_number")
        r = await client.post("/v1/surveys", content=body, headers=JSON)
        assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
        assert body.pulled <= 3


async def test_notifications(settings: Settings) -> None:
    desk = auth("lumajang", Role.FRONT_OFFICE, staff_id="lmj-fo-door")
    url = f"/v1/tasks/{uuid4()}/done"
    async with running(notifications_app(settings)) as client:
        await _door_holds(client, url, desk, field="how", wrong_role=ANALYST)
        r = await client.post(url, json={"how": "telephone_call"}, headers=desk)
        assert r.status_code == 404, r.text


async def test_the_citizens_portal_bounds_its_forms() -> None:
    """The public portal takes no token, and its forms are a few short fields: a survey
    form far over its limit is refused while it streams, before a service is asked."""
    async with running(portal_app()) as client:
        body = Counted(100, "t")
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        r = await client.post("/survei", content=body, headers=form)
        assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"
        assert r.json()["error"]["details"]["max_bytes"] == PORTAL_FORM_MAX_BYTES
        assert body.pulled <= 2
