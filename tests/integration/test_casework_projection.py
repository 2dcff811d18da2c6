"""Casework's projections and policy on the real database and broker.

Events of other services are appended to the store under their owners' names and
published by their own outbox relays, built here (only the services a test runs have
relays of their own), so they reach casework over Kafka exactly as in production.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest

from services.casework.bootstrap import create_app, rebuild
from shared.contracts.base import Event, EventEnvelope, EventMetadata
from shared.contracts.events import (
    Applicant,
    ComplaintRegistered,
    DocumentReceived,
    DomicileRefused,
    DomicileVerified,
    DtksNotFound,
    DtksVerified,
    LetterApproved,
    LetterDrafted,
    LetterReturned,
    LetterReviewed,
    LetterSigned,
    NotificationSent,
    RequirementsCompleted,
)
from shared.contracts.vocab import Channel, Role
from shared.eventstore.store import EventStore, read_case, stream_version
from shared.kafka import make_producer
from shared.outbox import OutboxRelay
from shared.settings import REPO_ROOT, Settings
from tests.servicekit import auth, eventually, running

pytestmark = pytest.mark.integration


class Others:
    """The other services, as far as the store and Kafka can tell: appends and relays."""

    def __init__(self, pool: asyncpg.Pool, settings: Settings) -> None:
        self.pool = pool
        self.producer = make_producer(settings, client_id="test-casework-others")
        self.relays: dict[str, OutboxRelay] = {}
        self.prefix = settings.kafka_topic_prefix

    async def start(self) -> None:
        await self.producer.start()
        for owner in ("intake", "eligibility", "documents", "notifications"):
            self.relays[owner] = OutboxRelay(
                self.pool, owner, self.producer, topic_prefix=self.prefix
            )

    async def stop(self) -> None:
        await self.producer.stop()

    async def append(
        self, owner: str, stream: str, events: list[Event], case_id: UUID, office: str
    ) -> list[EventEnvelope]:
        meta = EventMetadata(case_id=case_id, office=office, actor=f"system:{owner}")
        async with self.pool.acquire() as conn, conn.transaction():
            version = await stream_version(conn, stream)
            return await EventStore(owner).append(conn, stream, version, events, meta)

    async def publish(self) -> int:
        return sum([await relay.drain_once() for relay in self.relays.values()])


@pytest.fixture
async def others(pool: asyncpg.Pool, settings: Settings) -> AsyncIterator[Others]:
    o = Others(pool, settings)
    await o.start()
    try:
        yield o
    finally:
        await o.stop()


def registration(
    case_id: UUID,
    *,
    office: str = "lumajang",
    service: str = "kks-recommendation",
    variant: str | None = "reset-pin",
    channel: Channel = Channel.WALK_IN,
    anonymous: bool = False,
) -> ComplaintRegistered:
    return ComplaintRegistered(
        case_id=case_id,
        ticket_number=f"T-{str(case_id)[:8]}",
        office=office,
        service=service,
        variant=variant,
        channel=channel,
        applicant=Applicant()
        if anonymous
        else Applicant(name="Warga Contoh", nik="3508014101900001", phone="081200000001"),
        received_at=datetime(2026, 3, 2, 2, 0, tzinfo=UTC),
        anonymous=anonymous,
    )


def letter_flow(case_id: UUID) -> list[Event]:
    """Lumajang: checked documents, a draft returned once by the kabid, approved, signed."""
    letter = uuid4()
    chain = (Role.SUB_COORDINATOR, Role.HEAD_OF_DIVISION, Role.SECRETARY)

    def draft() -> LetterDrafted:
        return LetterDrafted(
            letter_id=letter,
            case_id=case_id,
            letter_type="kks_reset_pin_recommendation",
            product="reset-pin-letter",
            subject="Rekomendasi reset PIN KKS a.n. Warga Contoh",
            body="... NIK 3508014101900001 ...",
            drafted_by="staff:lmj-officer-01",
            chain=chain,
        )

    return [
        DocumentReceived(case_id=case_id, document_type="ktp", checked_by="staff:lmj-fo-01"),
        DocumentReceived(case_id=case_id, document_type="kks", form="original", checked_by="x"),
        RequirementsCompleted(case_id=case_id, variant="reset-pin", documents=("ktp", "kks")),
        draft(),
        LetterReviewed(
            letter_id=letter, case_id=case_id, step=1, role=Role.SUB_COORDINATOR, reviewed_by="s"
        ),
        LetterReturned(
            letter_id=letter,
            case_id=case_id,
            step=2,
            role=Role.HEAD_OF_DIVISION,
            returned_by="staff:lmj-kabid-01",
            comment="Perbaiki nomor KKS.",
        ),
        draft(),
        LetterReviewed(
            letter_id=letter, case_id=case_id, step=1, role=Role.SUB_COORDINATOR, reviewed_by="s"
        ),
        LetterReviewed(
            letter_id=letter, case_id=case_id, step=2, role=Role.HEAD_OF_DIVISION, reviewed_by="k"
        ),
        LetterApproved(letter_id=letter, case_id=case_id, approved_by=("s", "k")),
        LetterSigned(
            letter_id=letter,
            case_id=case_id,
            letter_number="400.9/012/427.64/2026",
            letter_type="kks_reset_pin_recommendation",
            signed_by="staff:lmj-sekdin-01",
            role=Role.SECRETARY,
            content_sha256="0" * 64,
        ),
    ]


def dtks_verified(case_id: UUID) -> DtksVerified:
    return DtksVerified(
        case_id=case_id,
        nik="3508014101900001",
        kk_number="3508010101900001",
        region_code="35.08.01.2001",
        decile=2,
        programmes=("BPNT",),
        snapshot_date=date(2026, 1, 31),
    )


async def case_row(pool: asyncpg.Pool, case_id: UUID) -> dict[str, Any] | None:
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM casework.cases WHERE case_id = $1", case_id)
    return dict(row) if row else None


async def store_types(pool: asyncpg.Pool, case_id: UUID) -> list[str]:
    async with pool.acquire() as conn:
        return [e.event_type for e in await read_case(conn, case_id)]


async def test_letter_signed_resolves_the_case_once(
    settings: Settings, pool: asyncpg.Pool, others: Others
) -> None:
    app = create_app(settings)
    async with running(app) as client:
        runtime = app.state.runtime
        case_id = uuid4()
        await others.append(
            "intake", f"complaint-{case_id}", [registration(case_id)], case_id, "lumajang"
        )
        await others.publish()

        async def status() -> Any:
            row = await case_row(pool, case_id)
            return row and row["status"]

        assert await eventually(status) == "registered"  # came over Kafka
        await others.append(
            "eligibility", f"eligibility-{case_id}", [dtks_verified(case_id)], case_id, "lumajang"
        )
        await others.append(
            "documents", f"letter-{case_id}", letter_flow(case_id), case_id, "lumajang"
        )
        await others.publish()

        async def resolved() -> bool:
            return bool(await status() == "resolved")

        await eventually(resolved)
        types = await store_types(pool, case_id)
        assert types.count("CaseResolved") == 1
        async with pool.acquire() as conn:
            events = await read_case(conn, case_id)
        signed = next(e for e in events if e.event_type == "LetterSigned")
        resolution = next(e for e in events if e.event_type == "CaseResolved")
        assert resolution.stream_id == f"case-{case_id}"
        assert resolution.actor == "system:casework"
        assert resolution.causation_id == signed.event_id
        assert resolution.correlation_id == signed.correlation_id
        assert resolution.data["outcome"] == "letter_issued"

        # The same LetterSigned again: over the consumer (deduplicated by event id) ...
        applied = await runtime.consumer.apply(signed)
        assert applied is False
        # ... and straight into the handler, past the dedup table: the stream fold guards.
        async with pool.acquire() as conn, conn.transaction():
            await runtime.handlers[LetterSigned.event_type](conn, signed)
        # A second signed letter for the case is a new event, and still no second resolution.
        await others.append(
            "documents", f"letter-{case_id}", letter_flow(case_id)[-1:], case_id, "lumajang"
        )

        async def second_signature_projected() -> bool:
            await runtime.consumer.catch_up()
            async with pool.acquire() as conn:
                n = await conn.fetchval(
                    """SELECT count(*) FROM casework.case_timeline
                       WHERE case_id = $1 AND event_type = 'LetterSigned'""",
                    case_id,
                )
            return bool(n == 2)

        await eventually(second_signature_projected)
        assert (await store_types(pool, case_id)).count("CaseResolved") == 1

        r = await client.get(f"/v1/cases/{case_id}", headers=auth("lumajang", Role.OFFICER))
        assert r.status_code == 200
        body = r.json()
        assert body["status"] == "resolved" and body["outcome"] == "letter_issued"
        timeline = [t["event_type"] for t in body["timeline"]]
        assert timeline[0] == "ComplaintRegistered" and timeline.count("LetterDrafted") == 2
        assert timeline.count("CaseResolved") == 1 and timeline.count("LetterSigned") == 2
        assert len(timeline) == 15
        assert "3508014101900001" not in r.text  # NIK neither from DTKS nor from the letter
        row = await case_row(pool, case_id)
        assert row is not None
        assert row["resolved_at"] == resolution.occurred_at
        assert row["opened_at"] == datetime(2026, 3, 2, 2, 0, tzinfo=UTC)

        # A staff member resolving while the signature is being applied: one resolution,
        # and the loser gets a clear 409, never a 500.
        desk = auth("lumajang", Role.FRONT_OFFICE)
        for _ in range(3):
            racing = uuid4()
            await others.append(
                "intake", f"complaint-{racing}", [registration(racing)], racing, "lumajang"
            )
            *_, signature = await others.append(
                "documents", f"letter-{racing}", letter_flow(racing), racing, "lumajang"
            )

            async def known(c: UUID = racing) -> Any:
                await runtime.consumer.catch_up()
                row = await case_row(pool, c)
                return row and row["status"] == "resolved"

            async with pool.acquire() as conn:
                registered_env = (await read_case(conn, racing))[0]
            assert await runtime.consumer.apply(registered_env)
            r, _ = await asyncio.gather(
                client.post(
                    f"/v1/cases/{racing}/resolve", json={"outcome": "answered"}, headers=desk
                ),
                runtime.consumer.apply(signature),
            )
            assert r.status_code in (200, 409), r.text
            if r.status_code == 409:
                assert r.json()["error"]["code"] == "already_resolved"
            await eventually(known)
            assert (await store_types(pool, racing)).count("CaseResolved") == 1


async def _snapshot(pool: asyncpg.Pool, ids: list[UUID]) -> tuple[list[Any], list[Any]]:
    async with pool.acquire() as conn:
        cases = await conn.fetch(
            "SELECT * FROM casework.cases WHERE case_id = ANY($1) ORDER BY case_id", ids
        )
        timeline = await conn.fetch(
            "SELECT * FROM casework.case_timeline WHERE case_id = ANY($1) ORDER BY event_id", ids
        )
    return [dict(r) for r in cases], [dict(r) for r in timeline]


async def test_rebuild_equals_live(settings: Settings, pool: asyncpg.Pool, others: Others) -> None:
    app = create_app(settings)
    async with running(app) as client:
        runtime = app.state.runtime
        letter_case, lk3_case, kupang_case = uuid4(), uuid4(), uuid4()
        ids = [letter_case, lk3_case, kupang_case]

        # Kupang: the eligibility verdicts are appended before the registration itself.
        await others.append(
            "eligibility",
            f"eligibility-{kupang_case}",
            [
                DtksNotFound(case_id=kupang_case, nik=None, reason="nik_missing"),
                DomicileRefused(
                    case_id=kupang_case,
                    required_region_code="53.71",
                    found_region_code=None,
                    basis="nik_missing",
                ),
            ],
            kupang_case,
            "kupang",
        )
        reg = registration(
            kupang_case,
            office="kupang",
            service="public-complaint",
            variant="general",
            channel=Channel.SUGGESTION_BOX,
            anonymous=True,
        )
        await others.append("intake", f"complaint-{kupang_case}", [reg], kupang_case, "kupang")
        for case_id, office, service, variant in (
            (letter_case, "lumajang", "kks-recommendation", "reset-pin"),
            (lk3_case, "mataram", "lk3-consultation", "family-counselling"),
        ):
            await others.append(
                "intake",
                f"complaint-{case_id}",
                [registration(case_id, office=office, service=service, variant=variant)],
                case_id,
                office,
            )
        await others.publish()  # over Kafka
        await eventually(lambda: case_row(pool, lk3_case))
        await others.append(
            "eligibility",
            f"eligibility-{letter_case}",
            [dtks_verified(letter_case)],
            letter_case,
            "lumajang",
        )
        await others.append(
            "documents", f"letter-{letter_case}", letter_flow(letter_case), letter_case, "lumajang"
        )
        await others.publish()

        await others.append(
            "eligibility",
            f"eligibility-{lk3_case}",
            [DomicileVerified(case_id=lk3_case, region_code="52.71", basis="registry")],
            lk3_case,
            "mataram",
        )
        # LK3 worked through casework's own API.
        head = auth("mataram", Role.HEAD_OF_OFFICE, staff_id="mtr-head-01")
        sw = auth("mataram", Role.SOCIAL_WORKER, staff_id="mtr-sw-01")
        base = f"/v1/cases/{lk3_case}"
        for path, body, headers in (
            ("/assign", {"assignee": "mtr-sw-01", "role": "social_worker"}, head),
            ("/assessment", {"summary": "Catatan asesmen (uji)."}, sw),
            ("/referrals", {"agency": "dinas-kesehatan", "reason": "Rujukan (uji)."}, sw),
            ("/assign", {"assignee": "mtr-psy-01", "role": "psychologist"}, head),
            ("/resolve", {"outcome": "referred"}, sw),
        ):
            r = await client.post(base + path, json=body, headers=headers)
            assert r.status_code in (200, 201), r.text

        # Kupang: caught up from the store, answered, the citizen told.
        async def kupang_known() -> Any:
            await runtime.consumer.catch_up()
            return await case_row(pool, kupang_case)

        await eventually(kupang_known)
        r = await client.post(
            f"/v1/cases/{kupang_case}/resolve",
            json={"outcome": "answered"},
            headers=auth("kupang", Role.HEAD_OF_OFFICE),
        )
        assert r.status_code == 200, r.text
        await others.append(
            "notifications",
            f"notification-{kupang_case}",
            [
                NotificationSent(
                    case_id=kupang_case,
                    notification_id=uuid4(),
                    channel=Channel.WHATSAPP,
                    template="case_resolved",
                    recipient="0812****0001",
                )
            ],
            kupang_case,
            "kupang",
        )
        await others.publish()

        async def all_projected() -> bool:
            async with pool.acquire() as conn:
                missing = await conn.fetchval(
                    """SELECT count(*) FROM eventstore.events e
                       WHERE e.case_id = ANY($1) AND NOT EXISTS (
                           SELECT 1 FROM casework.case_timeline t WHERE t.event_id = e.event_id)""",
                    ids,
                )
            row = await case_row(pool, letter_case)
            return missing == 0 and row is not None and row["status"] == "resolved"

        await eventually(all_projected)
        live = await _snapshot(pool, ids)
        statuses = {r["case_id"]: r["status"] for r in live[0]}
        assert statuses == {letter_case: "resolved", lk3_case: "resolved", kupang_case: "resolved"}
        kupang = next(r for r in live[0] if r["case_id"] == kupang_case)
        assert kupang["applicant_name"] is None  # anonymous
        types_in_timeline = {r["event_type"] for r in live[1]}
        assert len(types_in_timeline) == 17  # every cross-service event kind took part

        counts = """SELECT (SELECT count(*) FROM casework.processed_events p
                    JOIN eventstore.events e USING (event_id) WHERE e.case_id = ANY($1)),
                   (SELECT count(*) FROM eventstore.events WHERE case_id = ANY($1))"""
        async with pool.acquire() as conn:
            before = tuple(await conn.fetchrow(counts, ids))

        report = await rebuild(pool)
        assert report.events >= len(live[1]) and report.cases >= 3
        assert await _snapshot(pool, ids) == live

        # The command line does the same (and runs no policy: the store does not grow).
        env = {
            **os.environ,
            "DATABASE_URL": settings.database_url or "",
            "PYTHONPATH": str(REPO_ROOT),
        }
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "services.casework", "rebuild"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "rebuilt:" in done.stdout
        assert await _snapshot(pool, ids) == live
        async with pool.acquire() as conn:
            assert tuple(await conn.fetchrow(counts, ids)) == before
