"""Eligibility on the real database and broker: registry checks as events, exactly once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from services.eligibility.bootstrap import create_app
from services.intake.bootstrap import create_app as create_intake_app
from shared.contracts.base import EventEnvelope, EventMetadata
from shared.contracts.events import Applicant, ComplaintRegistered
from shared.contracts.streams import complaint_stream, eligibility_stream
from shared.contracts.vocab import Channel, Role
from shared.eventstore.store import EventStore, read_stream
from shared.settings import REPO_ROOT, Settings
from tests.servicekit import auth, eventually, running

pytestmark = pytest.mark.integration

MATARAM_DESK = auth("mataram", Role.FRONT_OFFICE, staff_id="mtr-fo-01")
INTAKE = EventStore("intake")


def eligibility_app(settings: Settings, **kw: Any) -> FastAPI:
    app = create_app(settings, **kw)
    # Events appended here by the test reach the service through its catch-up from the
    # store (no intake relay runs): poll it often.
    app.state.runtime.catch_up_seconds = 0.2
    return app


@pytest.fixture
async def eligibility(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = eligibility_app(settings, demo_data=True)
    async with running(app) as client:
        yield app, client


async def register(
    pool: asyncpg.Pool,
    *,
    office: str,
    service: str,
    nik: str | None,
    proxy_nik: str | None = None,
) -> EventEnvelope:
    """Append a ComplaintRegistered as intake would."""
    case_id = uuid4()
    event = ComplaintRegistered(
        case_id=case_id,
        ticket_number=f"{office[:3].upper()}-2026-{case_id.int % 1_000_000:06d}",
        office=office,
        service=service,
        channel=Channel.WALK_IN,
        applicant=Applicant(name="Warga Contoh", nik=nik),
        on_behalf_of=Applicant(name="Pemegang Kartu", nik=proxy_nik) if proxy_nik else None,
        received_at=datetime.now(UTC),
    )
    meta = EventMetadata(
        case_id=case_id, office=office, actor="staff:tester", channel=Channel.WALK_IN
    )
    async with pool.acquire() as conn, conn.transaction():
        (env,) = await INTAKE.append(conn, complaint_stream(case_id), 0, [event], meta)
    return env


async def eligibility_events(pool: asyncpg.Pool, case_id: UUID) -> list[EventEnvelope]:
    async with pool.acquire() as conn:
        return await read_stream(conn, eligibility_stream(case_id))


async def checked(pool: asyncpg.Pool, case_id: UUID) -> bool:
    async with pool.acquire() as conn:
        n = await conn.fetchval(
            "SELECT count(*) FROM eligibility.checks WHERE case_id = $1", case_id
        )
    return bool(n)


# (office, service, nik, proxy nik, expected [(event_type, key field value)])
CASES: list[tuple[str, str, str | None, str | None, list[tuple[str, str | None]]]] = [
    ("mataram", "sembako-complaint", "5271011505800001", None, [("DtksVerified", None)]),
    ("mataram", "sembako-complaint", None, None, [("DtksNotFound", "nik_missing")]),
    ("mataram", "sembako-complaint", "5271013501800001", None, [("DtksNotFound", "nik_invalid")]),
    ("mataram", "sembako-complaint", "5271011505800009", None, [("DtksNotFound", "not_listed")]),
    (
        "mataram",
        "sembako-complaint",
        "5271041212900001",
        None,
        [("DtksNotFound", "listed_in_other_region")],
    ),
    # By proxy: the cardholder is the one checked.
    (
        "mataram",
        "sembako-complaint",
        "3508011203750001",
        "1377012504820001",
        [("DtksVerified", None)],
    ),
    ("pariaman", "dtks-certificate", "1377034112000001", None, [("DtksVerified", None)]),
    ("pariaman", "dtks-certificate", "1377021010450001", None, [("DtksNotFound", "not_listed")]),
    ("mataram", "lk3-consultation", "1377012504820001", None, [("DomicileVerified", "registry")]),
    ("mataram", "lk3-consultation", "5271041212900001", None, [("DomicileRefused", "registry")]),
    ("mataram", "lk3-consultation", "5271019999990001", None, [("DomicileRefused", "nik_region")]),
    ("mataram", "lk3-consultation", "5271012202020002", None, [("DomicileVerified", "nik_region")]),
    ("mataram", "lk3-consultation", None, None, [("DomicileRefused", "nik_missing")]),
    ("kupang", "public-complaint", "5371011010700001", None, []),
    # Lumajang's KKS letters need a DTKS household too (see catalogue/lumajang.yaml).
    ("lumajang", "kks-recommendation", "3508011203750001", None, [("DtksVerified", None)]),
]


def key_field(env: EventEnvelope) -> str | None:
    if env.event_type == "DtksNotFound":
        return str(env.data["reason"])
    if env.event_type.startswith("Domicile"):
        return str(env.data["basis"])
    return None


async def test_registered_cases_are_checked_once_with_the_reason(
    eligibility: tuple[FastAPI, httpx.AsyncClient], pool: asyncpg.Pool
) -> None:
    app, client = eligibility
    registered = [
        (await register(pool, office=o, service=s, nik=n, proxy_nik=p), expected)
        for o, s, n, p, expected in CASES
    ]
    for env, expected in registered:
        assert env.case_id is not None
        case_id = env.case_id
        await eventually(lambda case_id=case_id: checked(pool, case_id))  # type: ignore[misc]
        events = await eligibility_events(pool, case_id)
        assert [(e.event_type, key_field(e)) for e in events] == expected, env.data
        for e in events:
            # Same case and flow as the registration, caused by it, done by the system.
            assert (e.case_id, e.office, e.correlation_id) == (
                env.case_id,
                env.office,
                env.correlation_id,
            )
            assert e.causation_id == env.event_id and e.actor == "system:eligibility"

    verified_env = registered[0][0]
    assert verified_env.case_id is not None
    (verified,) = await eligibility_events(pool, verified_env.case_id)
    assert verified.data["kk_number"] == "5271010505090001"
    assert verified.data["programmes"] == ["PKH", "BPNT"]  # canonical order
    assert verified.data["region_code"] == "52.71.01.1004"

    # A redelivery (Kafka is at least once) changes nothing.
    consumer = app.state.runtime.consumer
    assert await consumer.apply(verified_env) is False
    assert len(await eligibility_events(pool, verified_env.case_id)) == 1
    async with pool.acquire() as conn:
        checks = await conn.fetchval(
            "SELECT count(*) FROM eligibility.checks WHERE case_id = $1", verified_env.case_id
        )
    assert checks == 1

    # Staff of the case's office read the latest result.
    r = await client.get(f"/v1/cases/{verified_env.case_id}/eligibility", headers=MATARAM_DESK)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["dtks"]["status"] == "verified" and body["domicile"]["status"] == "not_required"
    assert body["dtks"]["result"]["nik"] == "5271011505800001"
    assert body["events"][0]["event_id"] == str(verified.event_id)

    not_listed = registered[3][0]
    r = await client.get(f"/v1/cases/{not_listed.case_id}/eligibility", headers=MATARAM_DESK)
    assert (r.json()["dtks"]["status"], r.json()["dtks"]["reason"]) == ("not_found", "not_listed")
    kupang = registered[-2][0]
    r = await client.get(
        f"/v1/cases/{kupang.case_id}/eligibility", headers=auth("kupang", Role.COMPLAINT_OFFICER)
    )
    assert r.json()["dtks"]["status"] == "not_required" and r.json()["events"] == []

    r = await client.get(
        f"/v1/cases/{verified_env.case_id}/eligibility",
        headers=auth("lumajang", Role.FRONT_OFFICE),
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_office"
    r = await client.get(
        f"/v1/cases/{verified_env.case_id}/eligibility", headers=auth("mataram", Role.ANALYST)
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_role"
    r = await client.get(f"/v1/cases/{uuid4()}/eligibility", headers=MATARAM_DESK)
    assert r.status_code == 404 and r.json()["error"]["code"] == "eligibility_not_found"


async def test_admins_upsert_registry_members(settings: Settings, pool: asyncpg.Pool) -> None:
    member: dict[str, Any] = {
        "nik": "5371020101990001",
        "kk_number": "5371020101200001",
        "name": "Warga Baru Contoh",
        "region_code": "53.71.02.1004",
        "decile": 2,
        "programmes": ["PKH"],
        "source": "DTSEN",
        "snapshot_date": "2025-09-30",
    }
    admin = auth("kupang", Role.REGISTRY_ADMIN, staff_id="kpg-admin")
    async with running(eligibility_app(settings, demo_data=False)) as client:
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM eligibility.registry_members") == 0
        r = await client.post("/v1/registry/members", json={"members": [member]}, headers=admin)
        assert r.status_code == 200 and r.json() == {"upserted": 1}
        # Upsert: the same NIK again replaces the row.
        r = await client.post(
            "/v1/registry/members",
            json={"members": [{**member, "decile": 3}, {**member, "nik": "5371024101990002"}]},
            headers=admin,
        )
        assert r.json() == {"upserted": 2}
        async with pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT nik, decile, programmes FROM eligibility.registry_members ORDER BY nik"
            )
        assert [(r["nik"], r["decile"], r["programmes"]) for r in rows] == [
            ("5371020101990001", 3, "PKH"),
            ("5371024101990002", 2, "PKH"),
        ]

        r = await client.post(
            "/v1/registry/members",
            json={"members": [{**member, "nik": "5371023201990001"}]},
            headers=admin,
        )
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
        errors = r.json()["error"]["details"]["errors"]
        assert ["body", "members", "0", "nik"] in [e["loc"] for e in errors]
        r = await client.post(
            "/v1/registry/members",
            json={"members": [member]},
            headers=auth("kupang", Role.BACK_OFFICE),
        )
        assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_role"


async def test_demo_data_is_loaded_when_asked(settings: Settings, pool: asyncpg.Pool) -> None:
    demo = settings.model_copy(update={"slrt_demo_data": True})
    async with running(create_app(demo)), pool.acquire() as conn:
        n = await conn.fetchval("SELECT count(*) FROM eligibility.registry_members")
    assert n == 20
    # The command line loads it again (idempotent: an upsert by NIK).
    env = {**os.environ, "DATABASE_URL": settings.database_url or "", "SLRT_LOG_LEVEL": "WARNING"}
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.eligibility", "load-demo"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "20 members loaded" in done.stdout
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM eligibility.registry_members") == 20


async def test_intake_to_eligibility_over_kafka(settings: Settings, pool: asyncpg.Pool) -> None:
    """The real path: intake's relay publishes, eligibility's Kafka consumer applies."""
    elig = create_app(settings, demo_data=True)
    elig.state.runtime.catch_up_seconds = 3600  # only Kafka can bring the event in time
    async with running(create_intake_app(settings)) as intake, running(elig):
        r = await intake.post(
            "/v1/requests",
            json={
                "office": "mataram",
                "service": "sembako-complaint",
                "channel": "walk_in",
                "applicant": {"name": "Bapak Contoh Ampenan", "nik": "5271011505800001"},
                "description": "KKS terblokir",
            },
            headers=MATARAM_DESK,
        )
        assert r.status_code == 201, r.text
        case_id = UUID(r.json()["case_id"])

        async def verified() -> list[EventEnvelope]:
            return [
                e for e in await eligibility_events(pool, case_id) if e.event_type == "DtksVerified"
            ]

        (event,) = await eventually(verified, timeout=30)
        assert event.data["nik"] == "5271011505800001"
        async with pool.acquire() as conn:
            (registered,) = await read_stream(conn, complaint_stream(case_id))
        assert event.causation_id == registered.event_id
        assert event.correlation_id == registered.correlation_id


async def test_staff_recheck_a_case_with_the_nik_the_channel_did_not_carry(
    eligibility: tuple[FastAPI, httpx.AsyncClient], pool: asyncpg.Pool
) -> None:
    _app, client = eligibility
    env = await register(pool, office="mataram", service="sembako-complaint", nik=None)
    assert env.case_id is not None
    case_id = env.case_id
    await eventually(lambda: checked(pool, case_id))
    first = [(e.event_type, key_field(e)) for e in await eligibility_events(pool, case_id)]
    assert first == [("DtksNotFound", "nik_missing")]

    url = f"/v1/cases/{case_id}/eligibility/recheck"
    r = await client.post(url, json={"nik": "5271011505800001"}, headers=MATARAM_DESK)
    assert r.status_code == 200, r.text
    assert r.json()["dtks"]["status"] == "verified"
    events = [(e.event_type, key_field(e)) for e in await eligibility_events(pool, case_id)]
    assert events == [("DtksNotFound", "nik_missing"), ("DtksVerified", None)]  # both kept

    other = auth("kupang", Role.FRONT_OFFICE, staff_id="kpg-fo-01")
    r = await client.post(url, json={"nik": "5271011505800001"}, headers=other)
    assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_office"
    r = await client.post(url, json={"nik": "12345"}, headers=MATARAM_DESK)
    assert r.status_code == 422
    r = await client.post(
        f"/v1/cases/{uuid4()}/eligibility/recheck",
        json={"nik": "5271011505800001"},
        headers=MATARAM_DESK,
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "case_not_found"
