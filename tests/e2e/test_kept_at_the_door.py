"""Every inbound message is kept as received, even when the door refuses it before reading:
over the real intake process, a website form that fails the schema (422) and a door
called for an office that does not exist (404) answer as before and are kept as rejected,
with the reason, for the office's front office or an administrator."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import orjson

from shared.contracts.vocab import Role
from shared.devstack import Stack
from tests.e2e.test_slices import h


def _rejected(c: httpx.Client, stack: Stack, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    r = c.get(f"{stack.url('intake')}/v1/inbound", params={"status": "rejected"}, headers=headers)
    assert r.status_code == 200, r.text
    return {m["id"]: m for m in r.json()["items"]}


def test_a_refused_website_form_and_an_unknown_office_are_kept_with_their_reason(
    stack: Stack,
) -> None:
    desk = h("pariaman", Role.FRONT_OFFICE, staff="prm-desk-door")
    admin = h("pariaman", Role.ADMIN, staff="prm-admin-door")
    other_desk = h("kupang", Role.FRONT_OFFICE, staff="kpg-desk-door")
    form = orjson.dumps({"person": {"name": "Warga Pintu"}, "message": ""})
    nowhere = orjson.dumps({"message": "Mohon bantuan."})
    json = {"Content-Type": "application/json"}
    with httpx.Client(timeout=10) as c:
        bad = c.post(
            f"{stack.url('intake')}/v1/channels/website/pariaman", content=form, headers=json
        )
        assert bad.status_code == 422, bad.text
        error = bad.json()["error"]
        assert error["code"] == "invalid_request"
        assert [e["loc"] for e in error["details"]["errors"]] == [["message"]]
        lost = c.post(
            f"{stack.url('intake')}/v1/channels/website/atlantis", content=nowhere, headers=json
        )
        assert lost.status_code == 404 and lost.json()["error"]["code"] == "unknown_office"

        kept = _rejected(c, stack, desk)[error["details"]["inbound_id"]]
        assert (kept["reason"], kept["office"], kept["channel"]) == (
            "schema_invalid",
            "pariaman",
            "website",
        )
        assert [e["loc"] for e in kept["details"]["errors"]] == [["message"]]
        one = c.get(f"{stack.url('intake')}/v1/inbound/{kept['id']}", headers=desk).json()
        assert base64.b64decode(one["body_base64"]) == form
        assert kept["id"] not in _rejected(c, stack, other_desk)

        lost_id = lost.json()["error"]["details"]["inbound_id"]
        kept = _rejected(c, stack, admin)[lost_id]
        assert (kept["reason"], kept["office"]) == ("unknown_office", None)
        assert kept["details"]["office"] == "atlantis"
        assert lost_id not in _rejected(c, stack, desk)
        one = c.get(f"{stack.url('intake')}/v1/inbound/{lost_id}", headers=admin).json()
        assert base64.b64decode(one["body_base64"]) == nowhere
