"""The registry is scoped by office (issue 16, point 4), over eligibility's HTTP API on
the real PostgreSQL: staff read only members of their office's regions (the catalogue's
`registry_regions`, by default its `region_code`), and only for a case or with a stated
purpose; only a registry administrator edits or imports, for their own regions, and an
import replaces no other office's rows.

Another office's person answers 404 `not_listed`, exactly like a NIK nobody lists: a 403
would confirm that the NIK is in the registry (being listed says the household is poor).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import pytest

from services.eligibility.bootstrap import create_app
from services.eligibility.synthetic import write_extract
from shared.contracts.vocab import Role
from shared.settings import Settings
from tests.servicekit import auth, running

pytestmark = pytest.mark.integration

LUMAJANG_NIK = "3508010303800171"  # synthetic, Kabupaten Lumajang 35.08.01
LUMAJANG_KK = "3508010101100171"
MEMBER: dict[str, Any] = {
    "nik": LUMAJANG_NIK,
    "kk_number": LUMAJANG_KK,
    "name": "Warga Lumajang Uji",
    "region_code": "35.08.01.2001",
    "decile": 2,
    "programmes": ["PKH"],
    "snapshot_date": "2025-09-30",
}
WHY = {"purpose": "citizen asks at the desk"}


async def test_staff_read_their_own_regions_only_and_say_why(settings: Settings) -> None:
    lumajang_admin = auth("lumajang", Role.REGISTRY_ADMIN, staff_id="lmj-reg")
    lumajang_desk = auth("lumajang", Role.FRONT_OFFICE, staff_id="lmj-fo")
    mataram_desk = auth("mataram", Role.FRONT_OFFICE, staff_id="mtr-fo")
    url = f"/v1/registry/persons/{LUMAJANG_NIK}"
    async with running(create_app(settings, demo_data=False)) as client:
        r = await client.post(
            "/v1/registry/members", json={"members": [MEMBER]}, headers=lumajang_admin
        )
        assert r.status_code == 200, r.text

        r = await client.get(url, params=WHY, headers=lumajang_desk)
        assert r.status_code == 200 and r.json()["name"] == MEMBER["name"]

        # Mataram: the same answer as for a NIK nobody lists.
        other = await client.get(url, params=WHY, headers=mataram_desk)
        unknown = await client.get(
            f"/v1/registry/persons/{LUMAJANG_NIK[:12]}9999", params=WHY, headers=mataram_desk
        )
        assert other.status_code == unknown.status_code == 404
        assert other.json()["error"]["code"] == unknown.json()["error"]["code"] == "not_listed"
        history = await client.get(f"{url}/history", params=WHY, headers=lumajang_admin)
        assert [h["present"] for h in history.json()["history"]] == [True]
        mataram_admin = auth("mataram", Role.REGISTRY_ADMIN, staff_id="mtr-reg")
        hidden = await client.get(f"{url}/history", params=WHY, headers=mataram_admin)
        assert hidden.status_code == 200
        assert [h["present"] for h in hidden.json()["history"]] == [False]
        assert "35.08" not in hidden.text

        # No purpose and no case: refused, whatever the NIK.
        r = await client.get(url, headers=lumajang_desk)
        assert r.status_code == 422 and r.json()["error"]["code"] == "purpose_required"
        # A case the office does not have is no reason.
        r = await client.get(url, params={"case_id": str(uuid4())}, headers=lumajang_desk)
        assert r.status_code == 404 and r.json()["error"]["code"] == "case_not_found"


async def test_only_a_registry_admin_edits_and_only_their_regions(settings: Settings) -> None:
    mataram_admin = auth("mataram", Role.REGISTRY_ADMIN, staff_id="mtr-reg")
    async with running(create_app(settings, demo_data=False)) as client:
        r = await client.post(
            "/v1/registry/members",
            json={"members": [MEMBER]},
            headers=auth("lumajang", Role.ADMIN, staff_id="lmj-sysadmin"),
        )
        assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_role"

        r = await client.post(
            "/v1/registry/members", json={"members": [MEMBER]}, headers=mataram_admin
        )
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] == "region_not_covered"
        assert r.json()["error"]["details"] == {"members": [0]}

        r = await client.post(
            "/v1/registry/members",
            json={"members": [MEMBER]},
            headers=auth("lumajang", Role.REGISTRY_ADMIN, staff_id="lmj-reg"),
        )
        assert r.status_code == 200
        # Moving a Lumajang person into Mataram's regions is an edit of Lumajang's row.
        moved = {**MEMBER, "region_code": "52.71.01.1004"}
        r = await client.post(
            "/v1/registry/members", json={"members": [moved]}, headers=mataram_admin
        )
        assert r.status_code == 403 and r.json()["error"]["code"] == "region_not_covered"


async def test_an_office_import_replaces_its_own_regions_only(
    settings: Settings, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    extract = tmp_path / "mixed.csv"
    write_extract(extract, 60, seed=11, regions=("52.71", "35.08"))
    rows = list(csv.reader(extract.open(encoding="utf-8")))[1:]
    outside = sorted(n for n, r in enumerate(rows, start=2) if not r[7].startswith("52.71."))
    assert outside and len(outside) < len(rows)

    mataram_admin = auth("mataram", Role.REGISTRY_ADMIN, staff_id="mtr-reg")
    async with running(create_app(settings, demo_data=False)) as client:
        r = await client.post(
            "/v1/registry/members",
            json={"members": [MEMBER]},
            headers=auth("lumajang", Role.REGISTRY_ADMIN, staff_id="lmj-reg"),
        )
        assert r.status_code == 200
        r = await client.post(
            "/v1/registry/imports",
            params={"source": "DTSEN", "snapshot_date": "2025-10-31", "max_rejected": 1},
            content=extract.read_bytes(),
            headers={**mataram_admin, "Content-Type": "text/csv"},
        )
        assert r.status_code == 200, r.text
        report = r.json()
        assert report["rows_loaded"] == len(rows) - len(outside)
        assert report["rows_rejected"] == len(outside)
        assert report["rows_carried"] == 1  # Lumajang's member, untouched
        rejects = await client.get(
            f"/v1/registry/snapshots/{report['snapshot_id']}/rejects", headers=mataram_admin
        )
        assert [x["line_no"] for x in rejects.json()["rejects"]] == outside
        assert {x["reason"] for x in rejects.json()["rejects"]} == {"outside_region"}
        # Lumajang's administrator does not read Mataram's rejected lines.
        r = await client.get(
            f"/v1/registry/snapshots/{report['snapshot_id']}/rejects",
            headers=auth("lumajang", Role.REGISTRY_ADMIN, staff_id="lmj-reg"),
        )
        assert r.status_code == 404
        # An id past PostgreSQL's integer is a 422, not a 500.
        r = await client.get("/v1/registry/snapshots/2545134717/rejects", headers=mataram_admin)
        assert r.status_code == 422

    async with pool.acquire() as conn:
        regions = await conn.fetch(
            "SELECT left(village_code, 5) AS region, count(*) AS n "
            "FROM eligibility.registry_members GROUP BY 1 ORDER BY 1"
        )
        kept = await conn.fetchval(
            "SELECT name FROM eligibility.registry_members WHERE nik = $1", LUMAJANG_NIK
        )
    assert kept == MEMBER["name"]
    assert {r["region"]: r["n"] for r in regions} == {
        "35.08": 1,
        "52.71": len(rows) - len(outside),
    }
