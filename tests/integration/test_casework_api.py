"""Casework's staff API on the real database and broker: an LK3 case worked end to end.

Arrangement: intake's and eligibility's events are appended to the store as those
services would, and casework takes them in by catching up from the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest

from services.casework.bootstrap import create_app
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.events import Applicant, ComplaintRegistered, DomicileVerified
from shared.contracts.vocab import Channel, Role
from shared.eventstore.store import EventStore, stream_version
from shared.settings import Settings
from tests.servicekit import auth, eventually, running

pytestmark = pytest.mark.integration


SECRET = "Klien menceritakan konflik keluarga yang berat (catatan uji)."


async def append(
    pool: asyncpg.Pool, owner: str, stream: str, events: list[Event], case_id: UUID, office: str
) -> list[EventEnvelope]:
    meta = EventMetadata(case_id=case_id, office=office, actor=f"system:{owner}")
    async with pool.acquire() as conn, conn.transaction():
        version = await stream_version(conn, stream)
        return await EventStore(owner).append(conn, stream, version, events, meta)


async def caught_up(runtime: Any, check: Callable[[], Awaitable[Any]]) -> Any:
    """Catch up from the store until `check` holds. One call may not be enough: the safe
    reader holds back events newer than any transaction still open (e.g. a relay's)."""

    async def attempt() -> Any:
        await runtime.consumer.catch_up()
        return await check()

    return await eventually(attempt)


async def _timeline_has(pool: asyncpg.Pool, case_id: UUID, event_type: str) -> bool:
    async with pool.acquire() as conn:
        return bool(
            await conn.fetchval(
                """SELECT EXISTS (SELECT 1 FROM casework.case_timeline
                   WHERE case_id = $1 AND event_type = $2)""",
                case_id,
                event_type,
            )
        )


def lk3_registration(case_id: UUID) -> ComplaintRegistered:
    return ComplaintRegistered(
        case_id=case_id,
        ticket_number="MTR-2026-000042",
        office="mataram",
        service="lk3-consultation",
        variant="family-counselling",
        channel=Channel.INSTAGRAM,
        applicant=Applicant(name="Warga Contoh", nik="5271014101900001", phone="081200000042"),
        description="Konsultasi keluarga (contoh).",
        received_at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
        confidential=True,
    )


async def test_lk3_case_worked_through_the_api(settings: Settings, pool: asyncpg.Pool) -> None:
    app = create_app(settings)
    async with running(app) as client:
        runtime = app.state.runtime
        case_id = uuid4()
        fo = auth("mataram", Role.FRONT_OFFICE, staff_id="mtr-fo-01")
        head = auth("mataram", Role.HEAD_OF_OFFICE, staff_id="mtr-head-01")
        sw1 = auth("mataram", Role.SOCIAL_WORKER, staff_id="mtr-sw-01")
        sw2 = auth("mataram", Role.SOCIAL_WORKER, staff_id="mtr-sw-02")
        other_office = auth("kupang", Role.HEAD_OF_OFFICE, staff_id="kpg-head-01")

        # Before casework knows the case, commands and reads are refused clearly.
        r = await client.get(f"/v1/cases/{case_id}", headers=fo)
        assert r.status_code == 404 and r.json()["error"]["code"] == "case_not_found"
        r = await client.post(f"/v1/cases/{case_id}/resolve", json={"outcome": "x"}, headers=fo)
        assert r.status_code == 404

        # Eligibility's verdict arrives before the registration: not ready yet.
        await append(
            pool,
            "eligibility",
            f"eligibility-{case_id}",
            [DomicileVerified(case_id=case_id, region_code="52.71", basis="nik_region")],
            case_id,
            "mataram",
        )
        await caught_up(runtime, lambda: _timeline_has(pool, case_id, "DomicileVerified"))
        r = await client.get(f"/v1/cases/{case_id}", headers=fo)
        assert r.status_code == 409 and r.json()["error"]["code"] == "case_not_ready"

        await append(
            pool, "intake", f"complaint-{case_id}", [lk3_registration(case_id)], case_id, "mataram"
        )
        await caught_up(runtime, lambda: _timeline_has(pool, case_id, "ComplaintRegistered"))
        r = await client.get(f"/v1/cases/{case_id}", headers=fo)
        assert r.status_code == 200, r.text
        body = r.json()
        # The registration has the smaller position: folded in order, the case is eligible.
        assert body["status"] == "eligible"
        # A confidential report: the front office does not see who reported it; the
        # complaint officer does.
        assert body["applicant_name"] is None
        co = auth("mataram", Role.COMPLAINT_OFFICER, staff_id="mtr-co-01")
        named = await client.get(f"/v1/cases/{case_id}", headers=co)
        assert named.json()["applicant_name"] == "Warga Contoh"
        listed = await client.get("/v1/cases", headers=fo)
        assert [c["applicant_name"] for c in listed.json()["cases"]] == [None]
        assert body["ticket_number"] == "MTR-2026-000042"
        assert [t["event_type"] for t in body["timeline"]] == [
            "DomicileVerified",
            "ComplaintRegistered",
        ]
        assert [t["position"] for t in body["timeline"]] == sorted(
            t["position"] for t in body["timeline"]
        )
        registered = body["timeline"][1]
        assert "applicant" not in registered["details"]
        assert "5271014101900001" not in r.text  # no NIK in the case file's timeline
        assert "MTR-2026-000042" in registered["summary"]
        await asyncio.sleep(0.01)
        before_assignment = datetime.now(UTC)

        # Assignment: role and office are checked.
        assign = {"assignee": "mtr-sw-01", "role": "social_worker"}
        r = await client.post(f"/v1/cases/{case_id}/assign", json=assign, headers=sw1)
        assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_role"
        r = await client.post(f"/v1/cases/{case_id}/assign", json=assign, headers=other_office)
        assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_office"
        r = await client.post(f"/v1/cases/{case_id}/assign", json=assign, headers=head)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "assigned"  # read-your-writes
        assert r.json()["events"][0]["event_type"] == "CaseAssigned"
        r = await client.post(
            f"/v1/cases/{case_id}/assign", json={"assignee": "x", "role": "nobody"}, headers=head
        )
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"

        # Only the assigned social worker records the assessment.
        note = {"summary": SECRET}
        r = await client.post(f"/v1/cases/{case_id}/assessment", json=note, headers=sw2)
        assert r.status_code == 403 and r.json()["error"]["code"] == "not_assignee"
        r = await client.post(f"/v1/cases/{case_id}/assessment", json=note, headers=fo)
        assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_role"
        r = await client.post(f"/v1/cases/{case_id}/assessment", json=note, headers=sw1)
        assert r.status_code == 200 and r.json()["status"] == "in_progress"

        # Confidential: the assigned social worker reads the notes, nobody else does.
        r = await client.get(f"/v1/cases/{case_id}", headers=sw1)
        assessment = _only(r.json()["timeline"], "AssessmentRecorded")
        assert assessment["details"]["summary"] == SECRET
        for viewer in (fo, sw2, head):
            r = await client.get(f"/v1/cases/{case_id}", headers=viewer)
            assert r.status_code == 200
            assert SECRET not in r.text
            assert _only(r.json()["timeline"], "AssessmentRecorded")["details"]["summary"] == (
                "[rahasia]"
            )
        async with pool.acquire() as conn:
            projected = await conn.fetchval(
                "SELECT count(*) FROM casework.case_timeline WHERE data::text LIKE $1",
                f"%{SECRET[:20]}%",
            )
        assert projected == 0, "counselling notes must not be copied into the projection"

        r = await client.post(
            f"/v1/cases/{case_id}/referrals",
            json={"agency": "dinas-kesehatan", "reason": "Perlu pemeriksaan psikiater."},
            headers=sw1,
        )
        assert r.status_code == 201, r.text
        assert r.json()["status"] == "referred" and UUID(r.json()["referral_id"])

        # The case as it stood before the assignment.
        r = await client.get(
            f"/v1/cases/{case_id}/as-of",
            params={"at": before_assignment.isoformat()},
            headers=fo,
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "eligible"
        assert r.json()["assigned_to"] is None
        assert [t["event_type"] for t in r.json()["timeline"]] == [
            "DomicileVerified",
            "ComplaintRegistered",
        ]
        r = await client.get(
            f"/v1/cases/{case_id}/as-of", params={"at": "2020-01-01T00:00:00"}, headers=fo
        )
        assert r.status_code == 404
        r = await client.get(f"/v1/cases/{case_id}/as-of", params={"at": "not-a-time"}, headers=fo)
        assert r.status_code == 422

        r = await client.post(
            f"/v1/cases/{case_id}/resolve", json={"outcome": "referred"}, headers=sw1
        )
        assert r.status_code == 200 and r.json()["status"] == "resolved"
        r = await client.post(
            f"/v1/cases/{case_id}/resolve", json={"outcome": "answered"}, headers=fo
        )
        assert r.status_code == 409 and r.json()["error"]["code"] == "already_resolved"
        r = await client.get(f"/v1/cases/{case_id}", headers=other_office)
        assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_office"

        # The office's list; another office sees nothing of it.
        r = await client.get("/v1/cases", params={"status": "resolved"}, headers=fo)
        assert r.status_code == 200
        listed = r.json()["cases"]
        assert str(case_id) in [c["case_id"] for c in listed]
        assert {(c["office"], c["status"]) for c in listed} == {("mataram", "resolved")}
        r = await client.get("/v1/cases", headers=other_office)
        assert str(case_id) not in r.text
        r = await client.get("/v1/cases", params={"status": "bogus"}, headers=fo)
        assert r.status_code == 422
        r = await client.get("/v1/cases", headers=auth("mataram", Role.ANALYST))
        assert r.status_code == 403

        # Every successful read of the case file was recorded, with who and why.
        async with pool.acquire() as conn:
            log = await conn.fetch(
                "SELECT staff_id, purpose FROM casework.access_log WHERE case_id = $1 ORDER BY id",
                case_id,
            )
        assert [(r["staff_id"], r["purpose"]) for r in log] == [
            ("mtr-fo-01", "view"),
            ("mtr-co-01", "view"),
            ("mtr-sw-01", "view"),
            ("mtr-fo-01", "view"),
            ("mtr-sw-02", "view"),
            ("mtr-head-01", "view"),
            ("mtr-fo-01", "view_as_of"),
        ]
        recorded = await _events(pool, case_id)
        assert recorded.count("CaseResolved") == 1


def _only(timeline: list[dict[str, Any]], event_type: str) -> dict[str, Any]:
    (item,) = [t for t in timeline if t["event_type"] == event_type]
    return item


async def _events(pool: asyncpg.Pool, case_id: UUID) -> list[str]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT event_type FROM eventstore.events WHERE case_id = $1 ORDER BY global_position",
            case_id,
        )
    return [r["event_type"] for r in rows]


async def test_no_token_is_401(settings: Settings) -> None:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    # Auth is checked before any database access: no need to start the runtime.
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        r = await client.get(f"/v1/cases/{uuid4()}")
    assert r.status_code == 401 and r.json()["error"]["code"] == "token_missing"


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.REGISTRY_ADMIN])
async def test_roles_that_never_touch_a_case_cannot_work_one(
    settings: Settings, pool: asyncpg.Pool, role: Role
) -> None:
    """The auditor reads the audit log and the registry admin the registry: neither may
    start, pause, resume or answer a case, even of their own office."""
    case_id = uuid4()
    app = create_app(settings)
    async with running(app) as client:
        await append(
            pool, "intake", f"complaint-{case_id}", [lk3_registration(case_id)], case_id, "mataram"
        )
        await caught_up(
            app.state.runtime, lambda: _timeline_has(pool, case_id, "ComplaintRegistered")
        )
        bodies = {
            "start": {},
            "pause": {"waiting_for": "citizen", "reason": "Menunggu KK"},
            "resume": {},
            "answer": {"answer": "Sudah dijawab"},
        }
        for command, body in bodies.items():
            r = await client.post(
                f"/v1/cases/{case_id}/{command}",
                json=body,
                headers=auth("mataram", role, staff_id=f"mtr-{role}"),
            )
            assert r.status_code == 403, (command, r.text)
            assert r.json()["error"]["code"] == "wrong_role"
