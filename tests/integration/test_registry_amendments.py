"""Amendments keep the registry they were taken from (walk 13, defect 10), over
eligibility's HTTP API on the real PostgreSQL and broker.

A registry administrator adds a person from a DTKS extract dated 2026-11-15 to a registry
whose current snapshot is the DTSEN of 2025-09-30: the person's listing, and the
`DtksVerified` of a case for them (which the Surat Keterangan DTKS prints), say DTKS
2026-11-15, not the snapshot's source and date. A date that cannot be an extract's is
refused, nothing written. A later full import older than the amendment keeps it (newer
data); one newer than it supersedes it.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from services.eligibility.adapters import registry
from services.eligibility.service_layer.import_extract import import_extract
from services.eligibility.synthetic import write_extract
from shared.contracts.vocab import Role
from shared.localtime import local_today
from shared.settings import Settings
from tests.integration.test_eligibility_checks import (
    eligibility_app,
    eligibility_events,
    register,
)
from tests.servicekit import auth, eventually, running

pytestmark = pytest.mark.integration

PARIAMAN_NIK = "1377024203880021"  # synthetic, Kota Pariaman 13.77.02 (a woman, 2 Mar 1988)
MEMBER: dict[str, Any] = {
    "nik": PARIAMAN_NIK,
    "kk_number": "1377020101100021",
    "name": "Warga Contoh Amandemen",
    "region_code": "13.77.02.2005",
    "decile": 2,
    "programmes": ["PKH"],
    "source": "DTKS",
    "snapshot_date": "2026-11-15",
}
ADMIN = auth("pariaman", Role.REGISTRY_ADMIN, staff_id="prm-reg")
DESK = auth("pariaman", Role.FRONT_OFFICE, staff_id="prm-fo")
WHY = {"purpose": "citizen asks at the desk"}
URL = f"/v1/registry/persons/{PARIAMAN_NIK}"


async def test_an_amended_member_is_verified_with_its_own_source_and_date(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    async with running(eligibility_app(settings, demo_data=True)) as client:
        # The demo snapshot is the DTSEN of 2025-09-30.
        r = await client.get("/v1/registry/snapshots", headers=ADMIN)
        (demo,) = r.json()["snapshots"]
        assert (demo["source"], demo["snapshot_date"]) == ("DTSEN", "2025-09-30")

        r = await client.post("/v1/registry/members", json={"members": [MEMBER]}, headers=ADMIN)
        assert r.status_code == 200 and r.json() == {"upserted": 1}, r.text

        r = await client.get(URL, params=WHY, headers=DESK)
        assert r.status_code == 200, r.text
        assert (r.json()["source"], r.json()["snapshot_date"]) == ("DTKS", "2026-11-15")

        env = await register(pool, office="pariaman", service="dtks-certificate", nik=PARIAMAN_NIK)
        assert env.case_id is not None
        (verified,) = await eventually(
            lambda: eligibility_events(pool, env.case_id)  # type: ignore[arg-type]
        )
        assert verified.event_type == "DtksVerified"
        assert (verified.data["source"], verified.data["snapshot_date"]) == ("DTKS", "2026-11-15")
        assert verified.data["name"] == MEMBER["name"]
        r = await client.get(f"/v1/cases/{env.case_id}/eligibility", headers=DESK)
        result = r.json()["dtks"]["result"]
        assert (result["source"], result["snapshot_date"]) == ("DTKS", "2026-11-15")

        # The history says where the person's row came from; the snapshot stays DTSEN.
        r = await client.get(f"{URL}/history", params=WHY, headers=ADMIN)
        (entry,) = r.json()["history"]
        assert (entry["source"], entry["snapshot_date"]) == ("DTSEN", "2025-09-30")
        assert (entry["listing_source"], entry["listing_snapshot_date"]) == (
            "DTKS",
            "2026-11-15",
        )
        # The other office's administrator sees it absent, provenance included.
        r = await client.get(
            f"{URL}/history", params=WHY, headers=auth("lumajang", Role.REGISTRY_ADMIN)
        )
        (hidden,) = r.json()["history"]
        assert hidden["present"] is False and hidden["listing_snapshot_date"] is None

    async with pool.acquire() as conn:
        amendment = await conn.fetchrow(
            "SELECT staff_id, source, snapshot_date FROM eligibility.registry_amendments"
        )
        listed = await conn.fetchrow(
            "SELECT source, snapshot_date FROM eligibility.registry_members WHERE nik = $1",
            PARIAMAN_NIK,
        )
    assert tuple(amendment) == ("prm-reg", "DTKS", date(2026, 11, 15))
    assert tuple(listed) == ("DTKS", date(2026, 11, 15))


async def test_a_date_no_extract_can_have_is_refused_and_nothing_written(
    settings: Settings,
) -> None:
    tomorrow = date.fromordinal(local_today("13.77").toordinal() + 1)
    async with running(eligibility_app(settings, demo_data=True)) as client:
        r = await client.post(
            "/v1/registry/members",
            json={"members": [{**MEMBER, "snapshot_date": tomorrow.isoformat()}]},
            headers=ADMIN,
        )
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "snapshot_date_in_future"
        assert r.json()["error"]["details"]["members"] == [0]

        older = {**MEMBER, "nik": "1377025506900022", "snapshot_date": "2025-06-30"}
        r = await client.post(
            "/v1/registry/members", json={"members": [MEMBER, older]}, headers=ADMIN
        )
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "snapshot_out_of_order"
        assert r.json()["error"]["details"] == {
            "members": [1],
            "current_snapshot_date": "2025-09-30",
        }
        # Neither request wrote anything.
        r = await client.get(URL, params=WHY, headers=DESK)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_listed"

        # A source that is neither registry is the schema's 422, not a guess.
        r = await client.post(
            "/v1/registry/members",
            json={"members": [{**MEMBER, "source": "SIKS-NG"}]},
            headers=ADMIN,
        )
        assert r.status_code == 422, r.text
        errors = r.json()["error"]["details"]["errors"]
        assert ["body", "members", "0", "source"] in [e["loc"] for e in errors]


def _demo_without(path: Path, *niks: str) -> Path:
    lines = registry.DEMO_CSV.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(x for x in lines if x.split(",")[0] not in niks) + "\n")
    return path


async def test_a_full_import_keeps_newer_amendments_and_supersedes_older_ones(
    settings: Settings, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """A national import of 2026-10-31 keeps the 2026-11-15 amendment (newer data, with its
    source and date), in place of the extract's own row for that NIK, and supersedes one
    dated 2025-09-30. The import of 2026-11-30 supersedes the other."""
    listed = "1377022008550001"  # in the demo extract (DTSEN 2025-09-30)
    newer = {**MEMBER, "nik": listed, "kk_number": "1377020101100021", "decile": 1}
    same_day = {**MEMBER, "snapshot_date": "2025-09-30"}
    async with running(eligibility_app(settings, demo_data=True)) as client:
        r = await client.post(
            "/v1/registry/members", json={"members": [newer, same_day]}, headers=ADMIN
        )
        assert r.status_code == 200, r.text

        async with pool.acquire() as conn:
            report = await import_extract(
                conn,
                _demo_without(tmp_path / "oct.csv"),
                source="DTSEN",
                snapshot_date=date(2026, 10, 31),
            )
        assert report.amendments_carried == 1
        r = await client.get(f"/v1/registry/persons/{listed}", params=WHY, headers=DESK)
        kept = r.json()
        assert (kept["source"], kept["snapshot_date"], kept["decile"]) == (
            "DTKS",
            "2026-11-15",
            1,
        )
        r = await client.get(URL, params=WHY, headers=DESK)
        assert r.status_code == 404  # the 2025-09-30 amendment went with its snapshot
        # A case now is still verified with the amendment's source and date.
        env = await register(pool, office="pariaman", service="dtks-certificate", nik=listed)
        (verified,) = await eventually(
            lambda: eligibility_events(pool, env.case_id)  # type: ignore[arg-type]
        )
        assert (verified.data["source"], verified.data["snapshot_date"]) == ("DTKS", "2026-11-15")

        async with pool.acquire() as conn:
            report = await import_extract(
                conn,
                _demo_without(tmp_path / "nov.csv"),
                source="DTSEN",
                snapshot_date=date(2026, 11, 30),
            )
        assert report.amendments_carried == 0
        r = await client.get(f"/v1/registry/persons/{listed}", params=WHY, headers=DESK)
        now = r.json()
        assert (now["source"], now["snapshot_date"], now["decile"]) == ("DTSEN", "2026-11-30", 2)


async def test_an_office_import_carries_other_regions_with_their_own_source_and_date(
    settings: Settings, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """Pariaman's DTSEN import of 2026-11-20 carries Lumajang's rows over: they still say
    where they were listed (the demo's DTSEN 2025-09-30, an amendment's DTKS 2025-10-01),
    not Pariaman's extract."""
    extract = tmp_path / "pariaman.csv"
    write_extract(extract, 30, seed=5, regions=("13.77",))
    rows = list(csv.reader(extract.read_text(encoding="utf-8").splitlines()))[1:]
    assert rows and all(r[7].startswith("13.77.") for r in rows)
    lumajang = {
        "nik": "3508010303800171",
        "kk_number": "3508010101100171",
        "name": "Warga Lumajang Uji",
        "region_code": "35.08.01.2001",
        "source": "DTKS",
        "snapshot_date": "2025-10-01",
    }
    async with running(eligibility_app(settings, demo_data=True)) as client:
        r = await client.post(
            "/v1/registry/members",
            json={"members": [lumajang]},
            headers=auth("lumajang", Role.REGISTRY_ADMIN, staff_id="lmj-reg"),
        )
        assert r.status_code == 200, r.text
        r = await client.post(
            "/v1/registry/imports",
            params={"source": "DTSEN", "snapshot_date": "2026-11-20"},
            content=extract.read_bytes(),
            headers={**ADMIN, "Content-Type": "text/csv"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["rows_carried"] > 0 and r.json()["amendments_carried"] == 0

    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT nik, source, snapshot_date FROM eligibility.registry_members "
            "WHERE village_code LIKE '35.08.%'"
        )
    by_nik = {r["nik"]: (r["source"], r["snapshot_date"]) for r in rows}
    assert by_nik.pop(lumajang["nik"]) == ("DTKS", date(2025, 10, 1))
    assert by_nik and set(by_nik.values()) == {("DTSEN", date(2025, 9, 30))}
