"""A breached deadline escalates to an official the office has, and the case stays in the
queue of the role that must act on it: through casework's HTTP API on the real database
and broker, the deadline sweep driven with chosen moments (`check_deadlines(now)`).

Mataram's catalogue names a head of division, a secretary and the head of office, and no
sub-coordinator; its Sembako complaints have one office hour (walk 13, defect 1).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest

from services.casework.bootstrap import create_app, rebuild
from shared.contracts.casework_events import CaseEscalated, DeadlineBreached
from shared.contracts.events import Applicant, ComplaintRegistered
from shared.contracts.streams import case_stream
from shared.contracts.vocab import Channel, Role
from shared.settings import Settings
from tests.integration.test_casework_lifecycle import Desk, append
from tests.servicekit import auth, running

pytestmark = pytest.mark.integration

# Tuesday 1 Dec 2026, 09:00 WITA: due at 10:00 WITA (one office hour).
RECEIVED = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
NOON = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 12:00 WITA, two hours late

FO = auth("mataram", Role.FRONT_OFFICE, staff_id="mtr-fo")
KABID = auth("mataram", Role.HEAD_OF_DIVISION, staff_id="mtr-kabid")


@pytest.fixture
async def desk(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[Desk]:
    app = create_app(settings, watch_seconds=0)  # the tests drive the sweep themselves
    async with running(app) as client:
        yield Desk(app, client, pool)


def sembako_walk_in(case_id: UUID, ticket: str) -> ComplaintRegistered:
    return ComplaintRegistered(
        case_id=case_id,
        ticket_number=ticket,
        office="mataram",
        service="sembako-complaint",
        variant="pin-blocked",
        channel=Channel.WALK_IN,
        applicant=Applicant(name="Warga Contoh", nik="5271013001720031", phone="081200000031"),
        received_at=RECEIVED,
    )


async def queue(desk: Desk, who: dict[str, str], **params: str) -> dict[str, dict[str, Any]]:
    r = await desk.client.get("/v1/work/queue", params=params, headers=who)
    assert r.status_code == 200, r.text
    return {c["case_id"]: c for c in r.json()["cases"]}


async def test_a_breached_mataram_sembako_case_stays_at_the_desk_and_reaches_the_kabid(
    desk: Desk,
) -> None:
    case = await desk.register(sembako_walk_in(uuid4(), "MTR-2026-000005"))
    assert str(case) in await queue(desk, FO, role="front_office")
    before_breach = datetime.now(UTC)

    report = await desk.runtime.check_deadlines(NOON)
    assert report.events == {"DeadlineWarned": 1, "DeadlineBreached": 1, "CaseEscalated": 1}
    assert (await desk.runtime.check_deadlines(NOON + timedelta(days=3))).events == {}
    async with desk.pool.acquire() as conn:
        escalated = await conn.fetchval(
            """SELECT data FROM eventstore.events
               WHERE case_id = $1 AND event_type = 'CaseEscalated'""",
            case,
        )
    assert (escalated["to_role"], escalated["from_role"]) == ("head_of_division", "front_office")

    # The front office still has it, flagged: by role, and as the web app asks (no role).
    for params in ({"role": "front_office"}, {}):
        item = (await queue(desk, FO, **params))[str(case)]
        assert item["queue_role"] == "front_office"
        assert item["breached"] and item["escalated_to"] == "head_of_division"
        assert item["remaining_office_seconds"] < 0
    # The Kabid, Mataram's first official, sees it too; nobody is the sub-coordinator.
    assert (await queue(desk, KABID))[str(case)]["escalated_to"] == "head_of_division"
    assert str(case) not in await queue(desk, KABID, role="sub_coordinator")
    assert str(case) not in await queue(desk, KABID, role="head_of_office")

    # As of a moment before the breach: the desk's only; now: both.
    for at, kabid_sees in ((before_breach, False), (datetime.now(UTC), True)):
        then = {"at": at.isoformat()}
        assert str(case) in await queue(desk, FO, role="front_office", **then)
        assert (str(case) in await queue(desk, KABID, **then)) is kabid_sees

    r = await desk.client.get(f"/v1/cases/{case}", headers=FO)
    assert r.json()["queue_role"] == "front_office"
    summaries = [t["summary"] for t in r.json()["timeline"]]
    assert "Kasus dieskalasi ke Kepala Bidang" in summaries

    # Taken up and handed on, the case follows the work; the Kabid keeps it until the
    # clock stops.
    await desk.ok(case, "take-up", {}, FO)
    await desk.ok(case, "back-office", {}, FO)
    assert str(case) not in await queue(desk, FO, role="front_office")
    bo = auth("mataram", Role.BACK_OFFICE, staff_id="mtr-bo")
    assert (await queue(desk, bo))[str(case)]["escalated_to"] == "head_of_division"
    assert str(case) in await queue(desk, KABID)


async def test_an_old_escalation_to_the_sub_coordinator_folds_and_stays_with_the_desk(
    desk: Desk,
) -> None:
    """Escalations stored before ladders came from the catalogue went to the
    sub-coordinator, whom Mataram does not have: they still fold and read as recorded; the
    front office keeps the case and the Kabid (the first official above) holds it too.
    The rebuild gives the same queues."""
    old = await desk.register(sembako_walk_in(uuid4(), "MTR-2026-000006"))
    events = [
        DeadlineBreached(
            case_id=old,
            by="system:casework",
            reason="Batas waktu layanan terlampaui.",
            due_at=RECEIVED + timedelta(hours=1),
            clock=1,
        ),
        CaseEscalated(
            case_id=old,
            by="system:casework",
            reason="Batas waktu terlampaui; diteruskan ke atasan.",
            to_role=Role.SUB_COORDINATOR,
            clock=1,
        ),
    ]
    await append(desk.pool, "casework", case_stream(old), list(events), old, "mataram")

    async def escalated() -> dict[str, Any] | None:
        row = await desk.row(old)
        return row if row and row["escalated_to"] else None

    row = await desk.caught_up(escalated)
    assert (row["queue_role"], row["breached"], row["escalated_to"]) == (
        "front_office",
        True,
        "head_of_division",
    )
    # Escalated once on this clock: the sweep adds no second escalation.
    report = await desk.runtime.check_deadlines(NOON)
    assert "CaseEscalated" not in report.events

    r = await desk.client.get(f"/v1/cases/{old}/deadline", headers=FO)
    assert r.json()["breached"] and r.json()["escalated_to"] == ["sub_coordinator"]
    r = await desk.client.get(f"/v1/cases/{old}", headers=FO)
    assert "Kasus dieskalasi ke Sub-koordinator" in [t["summary"] for t in r.json()["timeline"]]

    async def queues() -> tuple[dict[str, dict[str, Any]], ...]:
        return (
            await queue(desk, FO, role="front_office"),
            await queue(desk, KABID),
            await queue(desk, KABID, role="sub_coordinator"),
        )

    live = await queues()
    assert str(old) in live[0] and str(old) in live[1] and live[2] == {}
    assert live[0][str(old)]["escalated_to"] == "head_of_division"
    await rebuild(desk.pool)
    rebuilt = await queues()
    for before, after in zip(live, rebuilt, strict=True):
        assert before.keys() == after.keys()
        for case_id, item in before.items():
            assert {**item, "remaining_office_seconds": None} == {
                **after[case_id],
                "remaining_office_seconds": None,
            }
