"""Crypto-shredding over the real processes (issue 16.1): a synthetic person registers a
request; a data protection officer erases them through casework's API with the legal
basis; then no table of any service holds their NIK, name or phone (the event store's
rows never did: sealed), every view shows them erased, and the case still counts."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from shared.contracts.vocab import Role
from shared.db import connect
from shared.devstack import Stack
from tests.e2e.test_slices import h, wait_for

pytestmark = pytest.mark.e2e

NIK, NAME, PHONE = "3508019912990077", "Warga Terhapus Sintetis", "081299990077"
SCHEMAS = ("eventstore", "intake", "eligibility", "documents", "casework", "notifications")


async def _found(dsn: str) -> list[str]:
    """Every table of every service, as text, searched for the person."""
    conn = await connect(dsn)
    try:
        tables = await conn.fetch(
            """SELECT table_schema, table_name FROM information_schema.tables
               WHERE table_schema = ANY($1::text[]) AND table_type = 'BASE TABLE'""",
            list(SCHEMAS),
        )
        found: list[str] = []
        for t in tables:
            name = f'"{t["table_schema"]}"."{t["table_name"]}"'
            hits = await conn.fetchval(
                f"""SELECT count(*) FROM {name} x
                    WHERE position($1 in x::text) > 0 OR position($2 in x::text) > 0
                       OR position($3 in x::text) > 0""",
                NIK,
                NAME,
                PHONE,
            )
            if hits:
                found.append(f"{name}: {hits}")
        return found
    finally:
        await conn.close()


def _found_now(dsn: str) -> list[str]:
    return asyncio.run(_found(dsn))


def test_an_erased_person_is_gone_from_every_table_and_view_while_the_case_counts(
    stack: Stack,
) -> None:
    dsn = stack.infra.database_url
    assert dsn
    cw = stack.url("casework")
    desk = h("lumajang", Role.FRONT_OFFICE, staff="lmj-desk")
    with httpx.Client(timeout=10) as c:
        r = c.post(
            f"{stack.url('intake')}/v1/requests",
            headers=desk,
            json={
                "office": "lumajang",
                "service": "kks-recommendation",
                "variant": "reset-pin",
                "channel": "walk_in",
                "applicant": {"name": NAME, "nik": NIK, "phone": PHONE},
                "description": f"Saya {NAME}, PIN KKS terblokir.",
            },
        )
        assert r.status_code == 201, r.text
        case_id = r.json()["case_id"]

        def case() -> dict[str, Any] | None:
            got = c.get(f"{cw}/v1/cases/{case_id}", headers=desk)
            return got.json() if got.status_code == 200 else None

        # The case once eligibility has answered (its status moves on from `registered`):
        # what the erasure must leave as it is.
        before = wait_for(
            lambda: (
                (x := case())
                and x.get("applicant_name") == NAME
                and x.get("status") != "registered"
                and x
            ),
            what="case",
        )
        # In clear in the services' own rows before the erasure; never in the event store.
        found = wait_for(lambda: _found_now(dsn), what="the person in some projection")
        assert not any(f.startswith('"eventstore"') for f in found), found

        refused = c.post(
            f"{cw}/v1/cases/{case_id}/erasure", headers=desk, json={"legal_basis": "PDP"}
        )
        assert refused.status_code == 403, refused.text
        dpo = h("lumajang", Role.DATA_PROTECTION_OFFICER, staff="lmj-dpo")
        r = c.post(
            f"{cw}/v1/cases/{case_id}/erasure",
            headers=dpo,
            json={"legal_basis": "UU 27/2022 PDP Pasal 8 (permintaan subjek data)"},
        )
        assert r.status_code == 200, r.text
        assert [e["event_type"] for e in r.json()["events"]] == ["PersonalDataErased"]
        again = c.post(
            f"{cw}/v1/cases/{case_id}/erasure", headers=dpo, json={"legal_basis": "lagi"}
        )
        assert again.status_code == 409 and again.json()["error"]["code"] == "already_erased"

        # Every service forgets the person once the event reaches it.
        left: list[str] = []

        def gone() -> bool:
            left[:] = _found_now(dsn)
            return not left

        try:
            wait_for(gone, what="nothing left")
        except AssertionError:
            pytest.fail(f"the erased person is still in {left}")
        after = case()
        assert after is not None
        assert after["applicant_name"] is None
        assert (
            after["status"] == before["status"]
            and after["ticket_number"] == before["ticket_number"]
        )
        listed = c.get(f"{cw}/v1/cases", headers=desk, params={"limit": 200})
        assert listed.status_code == 200
        assert case_id in listed.text  # the case still counts
