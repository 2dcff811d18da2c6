"""The case lifecycle, deadlines, disposition, social work, referrals, the survey and the
work queues, through casework's HTTP API on the real database and broker.

Other services' events are appended to the store under their owners' names; casework
takes them in by catching up from the store, and (for the merge) over Kafka through the
owners' outbox relays. The deadline check is driven with chosen moments (`check_deadlines(now)`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest

from services.casework.bootstrap import create_app, rebuild
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.events import (
    Applicant,
    ComplaintRegistered,
    DomicileVerified,
    DtksVerified,
    LetterDrafted,
    LetterSigned,
)
from shared.contracts.intake_events import (
    DuplicateConfirmed,
    DuplicateSuspected,
    GuestBookSigned,
    IdCardDeposited,
    IdCardReturned,
    ReplyReceived,
)
from shared.contracts.vocab import Channel, Role
from shared.eventstore.store import EventStore, read_stream, stream_version
from shared.kafka import make_producer
from shared.outbox import OutboxRelay
from shared.settings import Settings, get_settings
from shared.survey_links import mint_survey_token
from tests.servicekit import auth, eventually, running

pytestmark = pytest.mark.integration

MONDAY = datetime(2026, 8, 3, 1, 0, tzinfo=UTC)  # 09:00 WITA
NOTES = "Catatan konseling sesi pertama (uji, rahasia)."


async def append(
    pool: asyncpg.Pool,
    owner: str,
    stream: str,
    events: list[Event],
    case_id: UUID | None,
    office: str,
) -> list[EventEnvelope]:
    meta = EventMetadata(case_id=case_id, office=office, actor=f"system:{owner}")
    async with pool.acquire() as conn, conn.transaction():
        version = await stream_version(conn, stream)
        return await EventStore(owner).append(conn, stream, version, events, meta)


def registration(
    case_id: UUID,
    *,
    office: str = "kupang",
    service: str = "public-complaint",
    variant: str | None = "general",
    channel: Channel = Channel.LETTER,
    received_at: datetime = MONDAY,
    ticket: str | None = None,
) -> ComplaintRegistered:
    return ComplaintRegistered(
        case_id=case_id,
        ticket_number=ticket or f"T-{str(case_id)[:8]}",
        office=office,
        service=service,
        variant=variant,
        channel=channel,
        applicant=Applicant(name="Warga Contoh", nik="5371014101900001", phone="081200000009"),
        received_at=received_at,
    )


def survey_link(office: str, ticket: str, *, secret: str | None = None, days: int = 30) -> str:
    """The token of the signed link a closing message carries (as notifications mints it)."""
    return mint_survey_token(
        office,
        ticket,
        secret=secret or get_settings().slrt_survey_link_secret,
        expires_at=datetime.now(UTC) + timedelta(days=days),
    )


def tampered(token: str) -> str:
    return ("B" if token[0] != "B" else "C") + token[1:]


class Desk:
    """The casework app running, with helpers to feed it other services' facts."""

    def __init__(self, app: Any, client: httpx.AsyncClient, pool: asyncpg.Pool) -> None:
        self.app, self.client, self.pool = app, client, pool
        self.runtime = app.state.runtime

    async def caught_up(self, check: Callable[[], Awaitable[Any]]) -> Any:
        async def attempt() -> Any:
            await self.runtime.consumer.catch_up()
            return await check()

        return await eventually(attempt)

    async def register(self, reg: ComplaintRegistered) -> UUID:
        await append(
            self.pool, "intake", f"complaint-{reg.case_id}", [reg], reg.case_id, reg.office
        )
        await self.caught_up(lambda: self.row(reg.case_id))
        return reg.case_id

    async def intake(self, case_id: UUID | None, office: str, *events: Event) -> None:
        stream = f"complaint-{case_id}" if case_id else f"visit-{uuid4()}"
        appended = await append(self.pool, "intake", stream, list(events), case_id, office)
        ids = [e.event_id for e in appended]

        async def applied() -> bool:
            async with self.pool.acquire() as conn:
                n = await conn.fetchval(
                    "SELECT count(*) FROM casework.processed_events WHERE event_id = ANY($1)", ids
                )
            return bool(n == len(ids))

        await self.caught_up(applied)

    async def row(self, case_id: UUID) -> dict[str, Any] | None:
        async with self.pool.acquire() as conn:
            r = await conn.fetchrow("SELECT * FROM casework.cases WHERE case_id = $1", case_id)
        return dict(r) if r else None

    async def post(
        self, case_id: UUID, path: str, body: dict[str, Any], who: dict[str, str]
    ) -> httpx.Response:
        return await self.client.post(f"/v1/cases/{case_id}/{path}", json=body, headers=who)

    async def ok(
        self, case_id: UUID, path: str, body: dict[str, Any], who: dict[str, str]
    ) -> dict[str, Any]:
        r = await self.post(case_id, path, body, who)
        assert r.status_code in (200, 201), r.text
        return dict(r.json())

    async def types(self, case_id: UUID) -> list[str]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                """SELECT event_type FROM eventstore.events WHERE case_id = $1
                   ORDER BY global_position""",
                case_id,
            )
        return [r["event_type"] for r in rows]


@pytest.fixture
async def desk(settings: Settings, pool: asyncpg.Pool) -> AsyncIterator[Desk]:
    app = create_app(settings, watch_seconds=0)  # the tests drive the watcher themselves
    async with running(app) as client:
        yield Desk(app, client, pool)


def refused(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code, error
    return dict(error)


# ---- 1. one lifecycle ------------------------------------------------------------------


async def test_lifecycle_transitions_and_illegal_ones_refused(desk: Desk) -> None:
    fo = auth("kupang", Role.FRONT_OFFICE, staff_id="kpg-fo")
    head = auth("kupang", Role.HEAD_OF_OFFICE, staff_id="kpg-head")
    kabid = auth("kupang", Role.HEAD_OF_DIVISION, staff_id="kpg-kabid")
    case = await desk.register(registration(uuid4(), received_at=datetime.now(UTC)))

    error = refused(await desk.post(case, "close", {}, fo), 409, "illegal_transition")
    assert error["details"] == {
        "stage": "registered",
        "action": "close",
        "allowed_from": ["answered", "resolved"],
    }
    refused(await desk.post(case, "take-up", {}, kabid), 403, "wrong_role")
    assert (await desk.ok(case, "take-up", {"reason": "Surat diterima"}, fo))[
        "status"
    ] == "front_office"
    refused(await desk.post(case, "take-up", {}, fo), 409, "illegal_transition")
    body = await desk.ok(case, "back-office", {}, fo)
    assert body["status"] == "back_office"
    r = await desk.post(case, "pause", {"waiting_for": "agency", "reason": "Data Dukcapil"}, fo)
    refused(r, 422, "agency_required")
    r = await desk.post(case, "pause", {"waiting_for": "nobody", "reason": "x"}, fo)
    refused(r, 422, "invalid_request")
    # Disposition by the head of office only.
    disp = {"assignee": "kpg-kabid", "role": "head_of_division", "instruction": "Mohon dijawab."}
    refused(await desk.post(case, "disposition", disp, fo), 403, "wrong_role")
    # Only to a role the standard's disposition names (Kupang: Sekretariat, Kabid, Kasubid).
    to_officer = {**disp, "assignee": "kpg-staf", "role": "officer"}
    error = refused(
        await desk.post(case, "disposition", to_officer, head), 422, "disposition_role_not_allowed"
    )
    assert error["details"]["allowed_roles"] == ["secretary", "head_of_division", "sub_coordinator"]
    assert (await desk.ok(case, "disposition", disp, head))["status"] == "assigned"
    # Only the disposed Kabid delegates, and only down the line.
    down = {"assignee": "kpg-kasubid", "role": "sub_coordinator"}
    refused(await desk.post(case, "delegate", down, head), 403, "not_assignee")
    up = {"assignee": "kpg-sek", "role": "secretary"}
    refused(await desk.post(case, "delegate", up, kabid), 422, "delegation_role_not_allowed")
    refused(await desk.post(case, "start", {}, head), 403, "not_assignee")
    assert (await desk.ok(case, "start", {}, kabid))["status"] == "in_progress"

    # Waiting for the citizen stops the clock; the citizen's reply resumes it.
    before = await desk.row(case)
    assert before is not None and before["due_at"] is not None and not before["clock_paused"]
    await desk.ok(case, "pause", {"waiting_for": "citizen", "reason": "Mohon lengkapi KTP"}, kabid)
    paused = await desk.row(case)
    assert paused is not None and paused["stage"] == "waiting_for_citizen"
    assert paused["clock_paused"] and paused["due_at"] is None and paused["queue_role"] is None
    await desk.intake(
        case,
        "kupang",
        ReplyReceived(
            case_id=case, inbound_id=uuid4(), channel=Channel.EMAIL, summary="Berikut KTP saya"
        ),
    )
    resumed = await desk.row(case)
    assert resumed is not None and resumed["stage"] == "in_progress"
    assert not resumed["clock_paused"] and resumed["due_at"] >= before["due_at"]
    types = await desk.types(case)
    assert types[-2:] == ["ReplyReceived", "CaseResumed"]

    assert (await desk.ok(case, "answer", {"answer": "Jawaban tertulis."}, kabid))[
        "status"
    ] == "answered"
    assert (await desk.ok(case, "close", {"reason": "Selesai"}, fo))["status"] == "closed"
    refused(await desk.post(case, "reopen", {}, head), 422, "reason_required")
    assert (await desk.ok(case, "reopen", {"reason": "Warga keberatan"}, head))[
        "status"
    ] == "in_progress"
    reopened = await desk.row(case)
    assert reopened is not None and reopened["clock_number"] == 2
    assert reopened["clock_started_at"] > before["clock_started_at"]

    # Every transition is an event with its actor and reason, in the store (the reason
    # sealed, as personal data may be in it: read through the store's reader).
    async with desk.pool.acquire() as conn:
        rows: list[dict[str, Any]] = [
            {"event_type": e.event_type, "actor": e.actor, "data": e.data}
            for e in await read_stream(conn, f"case-{case}")
        ]
        raw = await conn.fetchval(
            "SELECT string_agg(data::text, ' ') FROM eventstore.events WHERE stream_id = $1",
            f"case-{case}",
        )
    assert "Surat diterima" not in raw
    assert [r["event_type"] for r in rows] == [
        "CaseFileOpened",
        "CaseTransferred",
        "CaseAssigned",
        "CaseWorkStarted",
        "CasePaused",
        "CaseResumed",
        "CaseAnswered",
        "CaseClosed",
        "CaseReopened",
    ]
    taken = rows[0]
    assert taken["actor"] == "staff:kpg-fo" and taken["data"]["reason"] == "Surat diterima"
    assert rows[2]["data"]["kind"] == "disposition" and rows[5]["actor"] == "system:casework"

    # "Not our authority": forwarded, and then nothing more can be done on it.
    other = await desk.register(registration(uuid4()))
    fwd = {"forwarded_to": "dinas-kependudukan", "reason": "Urusan KTP-el bukan kewenangan"}
    assert (await desk.ok(other, "forward", fwd, head))["status"] == "forwarded"
    refused(
        await desk.post(other, "resolve", {"outcome": "answered"}, head), 409, "illegal_transition"
    )

    # The case as it stood while waiting for the citizen.
    async with desk.pool.acquire() as conn:
        paused_at = await conn.fetchval(
            """SELECT recorded_at FROM eventstore.events
               WHERE stream_id = $1 AND event_type = 'CasePaused'""",
            f"case-{case}",
        )
    r = await desk.client.get(
        f"/v1/cases/{case}/as-of", params={"at": paused_at.isoformat()}, headers=fo
    )
    assert r.status_code == 200 and r.json()["stage"] == "waiting_for_citizen"


async def test_confirmed_duplicate_is_merged_over_kafka(
    desk: Desk, settings: Settings, pool: asyncpg.Pool
) -> None:
    head = auth("kupang", Role.HEAD_OF_OFFICE, staff_id="kpg-head")
    older = await desk.register(registration(uuid4()))
    newer = await desk.register(registration(uuid4(), channel=Channel.SP4N_LAPOR))
    await append(
        pool,
        "intake",
        f"complaint-{newer}",
        [
            DuplicateSuspected(
                case_id=newer, duplicate_of=older, reason="same_phone", window_days=30
            ),
            DuplicateConfirmed(case_id=newer, duplicate_of=older, confirmed_by="staff:kpg-fo"),
        ],
        newer,
        "kupang",
    )
    producer = make_producer(settings, client_id="test-casework-intake")
    await producer.start()
    try:
        relay = OutboxRelay(pool, "intake", producer, topic_prefix=settings.kafka_topic_prefix)
        assert await relay.drain_once() >= 2

        async def merged() -> Any:
            row = await desk.row(newer)
            return row and row["stage"] == "merged"

        await eventually(merged)  # over Kafka, no catch-up
    finally:
        await producer.stop()
    row = await desk.row(newer)
    assert row is not None and row["merged_into"] == older and row["due_at"] is not None
    assert row["clock_stopped_at"] is not None
    assert (await desk.types(older))[-1] == "DuplicateMerged"
    r = await desk.client.get(f"/v1/cases/{older}", headers=head)
    assert "digabung ke kasus ini" in r.json()["timeline"][-1]["summary"]
    refused(
        await desk.post(newer, "take-up", {}, auth("kupang", Role.FRONT_OFFICE)),
        409,
        "illegal_transition",
    )
    # A redelivered confirmation (catch-up from the store) merges nothing twice.
    await desk.runtime.consumer.catch_up()
    assert (await desk.types(newer)).count("CaseMerged") == 1


# ---- 2. deadlines ----------------------------------------------------------------------


async def test_deadline_watcher_warns_breaches_and_escalates_once(desk: Desk) -> None:
    head = auth("kupang", Role.HEAD_OF_OFFICE, staff_id="kpg-head")
    sub = auth("kupang", Role.SUB_COORDINATOR, staff_id="kpg-sub")
    # SP4N-LAPOR: 8 working days from Monday 3 Aug 2026 09:00 WITA; 17 Aug is a holiday.
    case = await desk.register(registration(uuid4(), channel=Channel.SP4N_LAPOR))
    # An assignment (a disposition may not go to an officer in Kupang's standard).
    await desk.ok(case, "assign", {"assignee": "kpg-officer", "role": "officer"}, head)
    row = await desk.row(case)
    assert row is not None
    assert row["due_at"] == datetime(2026, 8, 13, 1, 0, tzinfo=UTC)
    assert row["warn_at"] == datetime(2026, 8, 11, 1, 0, tzinfo=UTC)  # 6 of 8 days gone
    assert row["queue_role"] == "officer" and row["budget_seconds"] == 8 * 8 * 3600
    r = await desk.client.get(f"/v1/cases/{case}/deadline", headers=head)
    assert r.json()["published_time"] == "8 hari kerja"

    # A walk-in's 15 minutes, counted in office time, on another case.
    walk_in = await desk.register(registration(uuid4(), channel=Channel.WALK_IN))
    walk_row = await desk.row(walk_in)
    assert walk_row is not None and walk_row["due_at"] == MONDAY + timedelta(minutes=15)
    await desk.ok(
        walk_in,
        "handover",
        {"assignee": "kpg-sek", "role": "secretary"},
        auth("kupang", Role.RECEPTIONIST, staff_id="kpg-rcp"),
    )
    await desk.ok(
        walk_in,
        "answer",
        {"answer": "Dijawab langsung."},
        auth("kupang", Role.SECRETARY, staff_id="kpg-sek"),
    )

    report = await desk.runtime.check_deadlines(datetime(2026, 8, 10, 1, tzinfo=UTC))
    # The walk-in was received on 3 Aug but answered now (the commands run on today's
    # clock): answered long after its 15 minutes, so it gets its breach, once.
    assert report.events == {"DeadlineBreached": 1}
    walk_row = await desk.row(walk_in)
    assert walk_row is not None and walk_row["breached"] and walk_row["escalated_to"] is None
    report = await desk.runtime.check_deadlines(datetime(2026, 8, 12, tzinfo=UTC))
    assert report.events == {"DeadlineWarned": 1}
    report = await desk.runtime.check_deadlines(datetime(2026, 8, 12, 1, tzinfo=UTC))
    assert report.events == {}
    due = datetime(2026, 8, 13, 1, 0, tzinfo=UTC)
    before_breach = datetime.now(UTC)
    report = await desk.runtime.check_deadlines(due)
    assert report.events == {"DeadlineBreached": 1, "CaseEscalated": 1}
    for _ in range(2):
        assert (await desk.runtime.check_deadlines(due + timedelta(days=5))).events == {}
    types = await desk.types(case)
    assert [t for t in types if t.startswith(("Deadline", "CaseEsc"))] == [
        "DeadlineWarned",
        "DeadlineBreached",
        "CaseEscalated",
    ]
    # Answered before the watcher looked: a stopped clock is not warned about.
    assert "DeadlineWarned" not in await desk.types(walk_in)

    # The next level up now has it in its queue, and the officer, who must still act on
    # it, keeps it (flagged); it is on the overdue list.
    r = await desk.client.get("/v1/work/queue", headers=sub)
    assert r.status_code == 200
    queued = {c["case_id"]: c for c in r.json()["cases"]}
    assert str(case) in queued and queued[str(case)]["breached"]
    assert queued[str(case)]["escalated_to"] == "sub_coordinator"
    assert queued[str(case)]["remaining_office_seconds"] < 0
    r = await desk.client.get("/v1/work/queue", params={"role": "officer"}, headers=head)
    queued = {c["case_id"]: c for c in r.json()["cases"]}
    assert queued[str(case)]["breached"] and queued[str(case)]["queue_role"] == "officer"
    r = await desk.client.get("/v1/work/overdue", headers=head)
    assert [c["case_id"] for c in r.json()["cases"]] == [str(case)]
    # As of a moment before the breach was recorded: in the officer's queue only.
    for at, escalated in ((before_breach, False), (datetime.now(UTC), True)):
        params = {"at": at.isoformat()}
        r = await desk.client.get(
            "/v1/work/queue", params={**params, "role": "officer"}, headers=head
        )
        assert str(case) in r.text
        r = await desk.client.get(
            "/v1/work/queue", params={**params, "role": "sub_coordinator"}, headers=head
        )
        assert (str(case) in r.text) is escalated
        r = await desk.client.get("/v1/work/overdue", params=params, headers=head)
        assert [c["case_id"] for c in r.json()["cases"]] == [str(case)]
    r = await desk.client.get(
        "/v1/work/deadlines", params={"at": "2020-01-01T00:00:00"}, headers=head
    )
    assert r.json()["cases"] == []  # nothing was recorded yet
    r = await desk.client.get("/v1/work/deadlines", headers=head)
    assert [c["case_id"] for c in r.json()["cases"]] == [str(case)]
    r = await desk.client.get(f"/v1/cases/{case}/deadline", headers=head)
    clock = r.json()
    assert clock["breached"] and clock["warned"] and clock["escalated_to"] == ["sub_coordinator"]
    assert clock["remaining_office_seconds"] < 0
    r = await desk.client.get(
        f"/v1/cases/{case}/deadline", params={"at": before_breach.isoformat()}, headers=head
    )
    then = r.json()
    assert r.status_code == 200 and then["warned"] and not then["breached"]
    assert then["escalated_to"] == [] and then["due_at"] == clock["due_at"]
    # Another office sees none of it.
    r = await desk.client.get("/v1/work/overdue", headers=auth("mataram", Role.HEAD_OF_OFFICE))
    assert r.json()["cases"] == []


# ---- 3. disposition, hand-over, ID cards ------------------------------------------------


async def test_walk_in_handover_and_id_card_until_returned(desk: Desk) -> None:
    rcp = auth("kupang", Role.RECEPTIONIST, staff_id="kpg-rcp")
    head = auth("kupang", Role.HEAD_OF_OFFICE, staff_id="kpg-head")
    case = await desk.register(registration(uuid4(), channel=Channel.WALK_IN))
    letter = await desk.register(registration(uuid4(), channel=Channel.LETTER))
    visit, lone_visit = uuid4(), uuid4()
    for v, number in ((visit, "A-001"), (lone_visit, "A-002")):
        await desk.intake(
            None,
            "kupang",
            GuestBookSigned(
                visit_id=v,
                office="kupang",
                visit_date=date(2026, 8, 3),
                queue_number=number,
                purpose="Pengaduan",
                checked_in_by="staff:kpg-rcp",
            ),
        )
    await desk.intake(
        case,
        "kupang",
        IdCardDeposited(visit_id=visit, case_id=case, office="kupang", held_by="staff:kpg-rcp"),
    )
    await desk.intake(
        None,
        "kupang",
        IdCardDeposited(
            visit_id=lone_visit, office="kupang", card_kind="sim", held_by="staff:kpg-rcp"
        ),
    )
    r = await desk.client.get("/v1/work/id-cards", headers=rcp)
    assert r.status_code == 200
    assert {c["visit_id"] for c in r.json()["cards"]} == {str(visit), str(lone_visit)}
    row = await desk.row(case)
    assert row is not None and row["id_card_held"] and row["queue_role"] == "receptionist"

    official = {"assignee": "kpg-sek", "role": "secretary"}
    refused(await desk.post(letter, "handover", official, rcp), 422, "handover_walk_in_only")
    body = await desk.ok(case, "handover", official, rcp)
    assert body["status"] == "assigned"
    r = await desk.client.get(f"/v1/cases/{case}", headers=head)
    assert "Pengunjung diantar kepada pejabat kpg-sek" in r.text
    r = await desk.client.get(
        "/v1/work/queue",
        params={"mine": "true"},
        headers=auth("kupang", Role.SECRETARY, staff_id="kpg-sek"),
    )
    assert [c["case_id"] for c in r.json()["cases"]] == [str(case)]

    await desk.intake(
        case,
        "kupang",
        IdCardReturned(visit_id=visit, case_id=case, office="kupang", returned_by="staff:kpg-rcp"),
    )
    r = await desk.client.get("/v1/work/id-cards", headers=rcp)
    assert [c["visit_id"] for c in r.json()["cards"]] == [str(lone_visit)]
    r = await desk.client.get("/v1/work/visits", params={"date": "2026-08-03"}, headers=rcp)
    assert r.status_code == 200, r.text
    book = r.json()["visits"]
    assert [(v["queue_number"], v["case_id"], v["returned_at"] is None) for v in book] == [
        ("A-001", str(case), False),
        ("A-002", None, True),
    ]
    r = await desk.client.get("/v1/work/id-cards", params={"include_returned": "true"}, headers=rcp)
    assert len(r.json()["cards"]) == 2
    row = await desk.row(case)
    assert row is not None and not row["id_card_held"]


# ---- 4. social work (LK3) --------------------------------------------------------------


async def test_lk3_social_work_steps_and_confidential_counselling(desk: Desk) -> None:
    fo = auth("mataram", Role.FRONT_OFFICE, staff_id="mtr-fo")
    head = auth("mataram", Role.HEAD_OF_OFFICE, staff_id="mtr-head")
    sw = auth("mataram", Role.SOCIAL_WORKER, staff_id="mtr-sw")
    psy = auth("mataram", Role.PSYCHOLOGIST, staff_id="mtr-psy")
    other_psy = auth("mataram", Role.PSYCHOLOGIST, staff_id="mtr-psy-2")
    case = await desk.register(
        registration(
            uuid4(),
            office="mataram",
            service="lk3-consultation",
            variant="family-counselling",
            channel=Channel.INSTAGRAM,
            received_at=datetime.now(UTC),
        )
    )
    await append(
        desk.pool,
        "eligibility",
        f"eligibility-{case}",
        [DomicileVerified(case_id=case, region_code="52.71", basis="nik_region")],
        case,
        "mataram",
    )
    await desk.ok(case, "social-work/identity", {}, fo)
    await desk.ok(case, "assign", {"assignee": "mtr-sw", "role": "social_worker"}, head)
    r = await desk.post(case, "social-work/consultation", {"psychologist": "mtr-psy"}, sw)
    refused(r, 409, "illegal_transition")
    await desk.ok(case, "assessment", {"summary": "Asesmen awal (uji)."}, sw)
    refused(
        await desk.post(case, "social-work/counselling", {"notes": NOTES}, psy),
        409,
        "consultation_missing",
    )
    await desk.ok(case, "social-work/consultation", {"psychologist": "mtr-psy"}, sw)
    refused(
        await desk.post(case, "social-work/counselling", {"notes": NOTES}, other_psy),
        403,
        "not_case_psychologist",
    )
    for i in range(3):
        await desk.ok(
            case, "social-work/counselling", {"notes": NOTES if i == 0 else f"Sesi {i + 1}"}, psy
        )

    r = await desk.client.get(f"/v1/cases/{case}/social-work", headers=sw)
    assert r.status_code == 200, r.text
    steps = {s["key"]: s for s in r.json()["steps"]}
    assert [s["order"] for s in r.json()["steps"]] == [1, 2, 3, 4, 5, 6, 7]
    assert steps["identity"]["budget"] == "1 hari kerja" and steps["identity"]["on_time"]
    assert steps["assessment"]["budget"] == "3 hari kerja" and steps["assessment"]["done_at"]
    assert steps["counselling"]["sessions"] == 3 and steps["counselling"]["done_at"]
    assert steps["referral"]["done_at"] is None and steps["referral"]["due_at"]

    # Counselling notes: the case's social worker and psychologist only.
    for reader in (sw, psy):
        r = await desk.client.get(f"/v1/cases/{case}", headers=reader)
        assert NOTES in r.text
    for outsider in (head, fo, other_psy):
        r = await desk.client.get(f"/v1/cases/{case}", headers=outsider)
        assert r.status_code == 200 and NOTES not in r.text
        session = next(
            t for t in r.json()["timeline"] if t["event_type"] == "CounsellingSessionRecorded"
        )
        assert session["details"]["notes"] == "[rahasia]"
    async with desk.pool.acquire() as conn:
        copied = await conn.fetchval(
            "SELECT count(*) FROM casework.case_timeline WHERE data::text LIKE $1",
            f"%{NOTES[:25]}%",
        )
    assert copied == 0
    r = await desk.client.get(
        f"/v1/cases/{await desk.register(registration(uuid4()))}/social-work",
        headers=auth("kupang", Role.FRONT_OFFICE),
    )
    refused(r, 409, "not_social_work")


# ---- 5. referrals; 6. the survey and the IKM --------------------------------------------


async def test_referrals_answered_reminded_closed_and_the_survey(desk: Desk) -> None:
    fo = auth("pariaman", Role.FRONT_OFFICE, staff_id="prm-fo")
    case = await desk.register(
        registration(
            uuid4(),
            office="pariaman",
            service="dtks-certificate",
            variant="certificate",
            channel=Channel.WALK_IN,
            ticket="PRM-2026-000777",
        )
    )
    await desk.ok(case, "take-up", {}, fo)
    r = await desk.post(case, "referrals", {"agency": "dinas-antah", "reason": "x"}, fo)
    assert refused(r, 422, "unknown_agency")["details"]["known"][:2] == ["bpjs", "civil_registry"]
    r = await desk.post(
        case, "referrals", {"agency": "education_office", "programme": "kis", "reason": "x"}, fo
    )
    assert refused(r, 422, "agency_not_for_programme")["details"]["programme"] == "kis"
    made = await desk.ok(
        case, "referrals", {"agency": "bpjs", "programme": "kis", "reason": "Perlu KIS"}, fo
    )
    rid = made["referral_id"]
    assert made["status"] == "referred"
    other = await desk.ok(case, "referrals", {"agency": "kip", "reason": "Anak sekolah"}, fo)

    # Reminders while open: every 3 working days from the referral (now + 10 days: >= 1).
    later = datetime.now(UTC) + timedelta(days=10)
    report = await desk.runtime.check_deadlines(later)
    assert report.events.get("ReferralFollowUpRequested") == 2
    assert (await desk.runtime.check_deadlines(later)).events == {}

    refused(
        await desk.post(case, f"referrals/{rid}/answer", {"accepted": False}, fo),
        422,
        "reason_required",
    )
    await desk.ok(case, f"referrals/{rid}/answer", {"accepted": True}, fo)
    refused(
        await desk.post(case, f"referrals/{rid}/answer", {"accepted": True}, fo),
        409,
        "referral_already_answered",
    )
    await desk.ok(
        case,
        f"referrals/{other['referral_id']}/answer",
        {"accepted": False, "reason": "Bukan sasaran KIP"},
        fo,
    )
    await desk.ok(case, f"referrals/{rid}/close", {"outcome": "served"}, fo)
    refused(await desk.post(case, f"referrals/{uuid4()}/close", {}, fo), 422, "referral_not_found")
    row = await desk.row(case)
    assert row is not None and row["open_referrals"] == 0
    before = (await desk.types(case)).count("ReferralFollowUpRequested")
    await desk.runtime.check_deadlines(later + timedelta(days=30))
    assert (await desk.types(case)).count("ReferralFollowUpRequested") == before

    # The survey: only about a finished case, not by staff who handled it, once.
    sheet = {f"u{i}": 4 if i % 2 else 3 for i in range(1, 10)}
    survey = {
        "ticket_number": "PRM-2026-000777",
        "scores": sheet,
        "survey_link": survey_link("pariaman", "PRM-2026-000777"),
    }
    refused(await desk.client.post("/v1/surveys", json=survey), 409, "case_not_finished")
    await desk.ok(case, "answer", {"answer": "Surat keterangan DTKS dicetak."}, fo)
    refused(await desk.client.post("/v1/surveys", json=survey, headers=fo), 403, "handled_case")
    bad = {**survey, "scores": {**sheet, "u3": 7}}
    refused(await desk.client.post("/v1/surveys", json=bad), 422, "invalid_scores")
    refused(
        await desk.client.post(
            "/v1/surveys",
            json={**survey, "ticket_number": "X-1", "survey_link": survey_link("pariaman", "X-1")},
        ),
        404,
        "ticket_not_found",
    )
    # Tickets are sequential: the ticket alone, a forged link, another ticket's or
    # office's link, or an expired one are refused, and nothing tells which part was wrong.
    no_link = {k: v for k, v in survey.items() if k != "survey_link"}
    refused(await desk.client.post("/v1/surveys", json=no_link), 403, "survey_link_required")
    for forged in (
        survey_link("pariaman", "PRM-2026-000778"),
        survey_link("kupang", "PRM-2026-000777"),
        survey_link("pariaman", "PRM-2026-000777", secret="bukan-rahasia-kantor"),
        survey_link("pariaman", "PRM-2026-000777", days=-1),
        tampered(str(survey["survey_link"])),
        "sembarang",
    ):
        refused(
            await desk.client.post("/v1/surveys", json={**survey, "survey_link": forged}),
            403,
            "survey_link_invalid",
        )
    r = await desk.client.post("/v1/surveys", json=survey)
    assert r.status_code == 201, r.text
    refused(await desk.client.post("/v1/surveys", json=survey), 409, "already_surveyed")
    # A second case, surveyed by a citizen: all fours.
    second = await desk.register(
        registration(
            uuid4(),
            office="pariaman",
            service="dtks-certificate",
            variant="certificate",
            channel=Channel.WALK_IN,
            ticket="PRM-2026-000778",
        )
    )
    await desk.ok(second, "resolve", {"outcome": "answered"}, fo)
    r = await desk.client.post(
        "/v1/surveys",
        json={
            "ticket_number": "PRM-2026-000778",
            "scores": {f"u{i}": 4 for i in range(1, 10)},
            "survey_link": survey_link("pariaman", "PRM-2026-000778"),
        },
    )
    assert r.status_code == 201
    r = await desk.client.get("/v1/work/ikm", headers=auth("pariaman", Role.ANALYST))
    assert r.status_code == 200, r.text
    ikm = r.json()
    # Sheet one: five 4s and four 3s (avg 3.556); sheet two: 4. IKM = 3.778 -> 94.44, A.
    assert ikm["respondents"] == 2 and ikm["index"] == 94.44 and ikm["grade"] == "A"
    assert ikm["element_averages"]["u2"] == 3.5 and ikm["elements"]["u3"] == "Waktu penyelesaian"
    r = await desk.client.get("/v1/work/ikm", headers=auth("kupang", Role.ANALYST))
    assert r.json()["respondents"] == 0


async def test_pariaman_refers_after_the_signed_certificate_and_rebuild_equals_live(
    desk: Desk,
) -> None:
    """Pariaman's standard (seed 003): the back office prints the DTKS certificate (step 7),
    the front office refers the citizen to an assistance programme (steps 8-9), who goes
    home or on to the programme's agency (step 10). The signed certificate resolves the
    case (policy); the referral is still taken on it, reminded, and refused once the case
    is closed. The projections rebuilt equal the live ones."""
    fo = auth("pariaman", Role.FRONT_OFFICE, staff_id="prm-fo")
    case = await desk.register(
        registration(
            uuid4(),
            office="pariaman",
            service="dtks-certificate",
            variant="certificate",
            channel=Channel.WALK_IN,
            received_at=datetime.now(UTC),
        )
    )
    await desk.ok(case, "take-up", {}, fo)
    verified = DtksVerified(
        case_id=case,
        nik="1377014101900001",
        kk_number="1377010101900001",
        region_code="13.77.01.2001",
        snapshot_date=date(2026, 1, 31),
    )
    await append(desk.pool, "eligibility", f"eligibility-{case}", [verified], case, "pariaman")
    await desk.caught_up(lambda: desk.row(case))
    await desk.ok(case, "back-office", {}, fo)
    letter = uuid4()
    certificate = [
        LetterDrafted(
            letter_id=letter,
            case_id=case,
            letter_type="dtks_certificate",
            product="dtks-certificate",
            subject="Surat Keterangan DTKS",
            body="...",
            drafted_by="staff:prm-bo",
            chain=(Role.HEAD_OF_OFFICE,),
        ),
        LetterSigned(
            letter_id=letter,
            case_id=case,
            letter_number="400/001/Dinsos/2026",
            letter_type="dtks_certificate",
            signed_by="staff:prm-kadis",
            role=Role.HEAD_OF_OFFICE,
            content_sha256="0" * 64,
        ),
    ]
    await append(desk.pool, "documents", f"letter-{letter}", certificate, case, "pariaman")

    async def resolved() -> bool:
        row = await desk.row(case)
        return bool(row and row["stage"] == "resolved")

    await desk.caught_up(resolved)
    row = await desk.row(case)
    assert row is not None and row["outcome"] == "letter_issued"

    # Steps 8-9: the referral, after the certificate; the standard's agencies still checked.
    r = await desk.post(case, "referrals", {"agency": "dinas-antah", "reason": "x"}, fo)
    refused(r, 422, "unknown_agency")
    made = await desk.ok(
        case, "referrals", {"agency": "bpjs", "programme": "kis", "reason": "Perlu KIS"}, fo
    )
    assert made["status"] == "resolved" and made["referral_id"]
    row = await desk.row(case)
    assert row is not None and row["open_referrals"] == 1 and row["next_reminder_at"]
    assert row["stage"] == "resolved" and row["outcome"] == "letter_issued"
    report = await desk.runtime.check_deadlines(datetime.now(UTC) + timedelta(days=10))
    assert report.events.get("ReferralFollowUpRequested") == 1

    # Closed: no more referral.
    assert (await desk.ok(case, "close", {"reason": "Warga pulang"}, fo))["status"] == "closed"
    error = refused(
        await desk.post(case, "referrals", {"agency": "kip", "reason": "Anak sekolah"}, fo),
        409,
        "already_resolved",
    )
    assert error["details"]["stage"] == "closed"
    types = [t for t in await desk.types(case) if not t.startswith("Deadline")]
    assert types[types.index("LetterSigned") :] == [
        "LetterSigned",
        "CaseResolved",
        "ReferralMade",
        "ReferralFollowUpRequested",
        "CaseClosed",
    ]

    async def snapshot() -> tuple[list[dict[str, Any]], ...]:
        async with desk.pool.acquire() as conn:
            cases = await conn.fetch("SELECT * FROM casework.cases WHERE case_id = $1", case)
            timeline = await conn.fetch(
                "SELECT * FROM casework.case_timeline WHERE case_id = $1 ORDER BY event_id", case
            )
            states = await conn.fetch("SELECT * FROM casework.case_states WHERE case_id = $1", case)
        return tuple([dict(r) for r in rows] for rows in (cases, timeline, states))

    live = await snapshot()
    await rebuild(desk.pool)
    assert await snapshot() == live


# ---- 7. projections: rebuilt equals live ------------------------------------------------


async def test_rebuild_equals_live_with_queues_clocks_and_cards(desk: Desk) -> None:
    head = auth("kupang", Role.HEAD_OF_OFFICE, staff_id="kpg-head")
    fo = auth("kupang", Role.FRONT_OFFICE, staff_id="kpg-fo")
    a = await desk.register(registration(uuid4(), channel=Channel.SP4N_LAPOR))
    b = await desk.register(registration(uuid4(), channel=Channel.WALK_IN))
    c = await desk.register(
        registration(uuid4(), channel=Channel.LETTER, received_at=datetime.now(UTC))
    )
    await desk.ok(a, "assign", {"assignee": "kpg-o", "role": "officer"}, head)
    await desk.runtime.check_deadlines(datetime(2026, 8, 20, tzinfo=UTC))
    await desk.ok(c, "take-up", {}, fo)
    await desk.ok(c, "pause", {"waiting_for": "agency", "agency": "dukcapil", "reason": "Data"}, fo)
    b_visit = uuid4()
    await desk.intake(
        None,
        "kupang",
        GuestBookSigned(
            visit_id=b_visit,
            office="kupang",
            visit_date=date(2026, 8, 3),
            queue_number="B-001",
            purpose="Tanya bansos",
            checked_in_by="staff:kpg-rcp",
        ),
    )
    await desk.intake(
        b,
        "kupang",
        IdCardDeposited(visit_id=b_visit, case_id=b, office="kupang", held_by="staff:kpg-rcp"),
    )
    await desk.ok(b, "answer", {"answer": "Langsung."}, fo)
    await desk.ok(b, "close", {}, fo)
    r = await desk.client.post(
        "/v1/surveys",
        json={
            "ticket_number": f"T-{str(b)[:8]}",
            "scores": {f"u{i}": 3 for i in range(1, 10)},
            "survey_link": survey_link("kupang", f"T-{str(b)[:8]}"),
        },
    )
    assert r.status_code == 201

    async def snapshot() -> tuple[list[dict[str, Any]], ...]:
        async with desk.pool.acquire() as conn:
            cases = await conn.fetch("SELECT * FROM casework.cases ORDER BY case_id")
            timeline = await conn.fetch("SELECT * FROM casework.case_timeline ORDER BY event_id")
            cards = await conn.fetch("SELECT * FROM casework.id_cards ORDER BY visit_id")
            book = await conn.fetch("SELECT * FROM casework.visits ORDER BY visit_id")
        return tuple([dict(r) for r in rows] for rows in (cases, timeline, cards, book))

    live = await snapshot()
    assert len(live[3]) == 1 and len(live[2]) == 1
    assert {r["stage"] for r in live[0]} == {"assigned", "closed", "waiting_for_agency"}
    assert any(r["escalated_to"] == "sub_coordinator" for r in live[0])
    ikm_live = (await desk.client.get("/v1/work/ikm", headers=head)).json()
    queue_live = (
        await desk.client.get("/v1/work/queue", params={"role": "sub_coordinator"}, headers=head)
    ).json()["cases"]
    await rebuild(desk.pool)
    assert await snapshot() == live
    assert (await desk.client.get("/v1/work/ikm", headers=head)).json() == ikm_live
    queue_rebuilt = (
        await desk.client.get("/v1/work/queue", params={"role": "sub_coordinator"}, headers=head)
    ).json()["cases"]
    assert [q["case_id"] for q in queue_rebuilt] == [q["case_id"] for q in queue_live] == [str(a)]


async def test_the_runtime_runs_the_watcher_by_itself(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    app = create_app(settings, watch_seconds=0.2)
    async with running(app) as client:
        desk = Desk(app, client, pool)
        overdue = await desk.register(registration(uuid4(), channel=Channel.SP4N_LAPOR))
        paused = await desk.register(
            registration(uuid4(), channel=Channel.SP4N_LAPOR, received_at=datetime.now(UTC))
        )
        fo = auth("kupang", Role.FRONT_OFFICE, staff_id="kpg-fo")
        await desk.ok(paused, "take-up", {}, fo)
        await desk.ok(paused, "pause", {"waiting_for": "citizen", "reason": "KTP"}, fo)

        async def escalated() -> bool:
            return "CaseEscalated" in await desk.types(overdue)

        await eventually(escalated)
        await asyncio.sleep(0.5)  # a few more sweeps
        types = await desk.types(overdue)
        assert [t for t in types if t.startswith(("Deadline", "CaseEsc"))] == [
            "DeadlineWarned",
            "DeadlineBreached",
            "CaseEscalated",
        ]
        assert not [t for t in await desk.types(paused) if t.startswith("Deadline")]


async def test_bad_input_to_every_command_is_a_clear_4xx(desk: Desk) -> None:
    """Every POST route of casework, given junk, answers 4xx with a machine-readable error
    (never a 500, never a stack trace); junk that happens to be a valid command (an empty
    body where only a reason is asked for) may pass."""
    case = await desk.register(registration(uuid4()))
    staff = auth("kupang", *Role, staff_id="kpg-all")
    paths = [p for p, ops in desk.app.openapi()["paths"].items() if "post" in ops]
    assert len(paths) >= 20
    junk: list[Any] = [
        None,
        "kata",
        [],
        {},
        {"reason": 5, "answer": None},
        {"assignee": "", "role": "nobody"},
        {"waiting_for": "agency", "agency": "", "reason": ""},
        {"ticket_number": "T", "scores": {"u1": "empat"}},
        {"accepted": "mungkin"},
        {"psychologist": "x" * 500, "notes": ""},
    ]
    refusals = 0
    for template in paths:
        path = template.replace("{case_id}", str(case)).replace("{referral_id}", str(uuid4()))
        for body in junk:
            r = await desk.client.post(path, json=body, headers=staff)
            assert r.status_code < 500, (path, body, r.status_code, r.text)
            assert "Traceback" not in r.text
            if r.status_code >= 400:
                error = r.json()["error"]
                assert error["code"] and error["message"], (path, body, r.text)
                refusals += 1
    assert refusals >= len(paths) * (len(junk) - 2)


async def test_an_lk3_step_past_its_budget_is_breached_by_the_watcher(desk: Desk) -> None:
    fo = auth("mataram", Role.FRONT_OFFICE, staff_id="mtr-fo")
    case = await desk.register(
        registration(
            uuid4(),
            office="mataram",
            service="lk3-consultation",
            variant="family-counselling",
            channel=Channel.WALK_IN,
            received_at=datetime.now(UTC),
        )
    )
    await desk.ok(case, "social-work/identity", {}, fo)
    row = await desk.row(case)
    assert row is not None and row["next_step_due_at"] is not None
    later = row["next_step_due_at"] + timedelta(seconds=1)
    assert (await desk.runtime.check_deadlines(later - timedelta(minutes=1))).events == {}
    report = await desk.runtime.check_deadlines(later)
    assert report.events.get("DeadlineBreached") == 1
    assert (await desk.runtime.check_deadlines(later)).events == {}
    async with desk.pool.acquire() as conn:
        step = await conn.fetchval(
            """SELECT data->>'step' FROM eventstore.events
               WHERE case_id = $1 AND event_type = 'DeadlineBreached'""",
            case,
        )
    assert step == "social_worker"
    r = await desk.client.get(f"/v1/cases/{case}/social-work", headers=fo)
    handover = next(s for s in r.json()["steps"] if s["key"] == "social_worker")
    assert handover["breached"] and handover["done_at"] is None
    row = await desk.row(case)
    assert row is not None and row["next_step_due_at"] is None and not row["breached"]
